/**
 * The cache port for slow-changing upstream answers (service catalogue, fee schedules). Redis on
 * Node (shared by every instance), memory for the embedded default and tests.
 */
export interface Cache {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
}

export class MemoryCache implements Cache {
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();
  constructor(
    private readonly now: () => number = Date.now,
    /** Entries at most: expired ones go first, then the oldest. */
    private readonly maxEntries = 10_000,
  ) {}

  async get(key: string): Promise<string | null> {
    const entry = this.entries.get(key);
    if (!entry || entry.expiresAt <= this.now()) return null;
    return entry.value;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + ttlSeconds * 1000 });
    if (this.entries.size <= this.maxEntries) return;
    const now = this.now();
    for (const [old, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(old);
    for (const old of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(old);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

/** Answers `load` from the cache, or loads, stores and returns it. */
export async function cached<T>(cache: Cache, key: string, ttlSeconds: number, load: () => Promise<T>): Promise<T> {
  const hit = await cache.get(key);
  if (hit !== null) return JSON.parse(hit) as T;
  const value = await load();
  await cache.set(key, JSON.stringify(value), ttlSeconds);
  return value;
}
