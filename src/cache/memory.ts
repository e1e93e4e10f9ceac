import type { Cache } from './port.js';

/** The cache in this process, for the embedded default and tests; bounded. */
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
