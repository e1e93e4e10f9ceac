/**
 * A map of at most `maxEntries` entries, each kept at most `maxAgeMs`: the oldest inserted goes
 * first when it is full. For values that never change once written (a payment's pointer to its
 * request), where an entry's only risk is to be evicted and read again. Not for anything that can
 * change under another process: a cache of those would answer what that process no longer holds.
 */
export class BoundedCache<K, V> {
  private readonly entries = new Map<K, { value: V; until: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (this.now() >= entry.until) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: K, value: V): void {
    if (this.maxEntries <= 0) return;
    // Re-inserted at the end: a key written again is the newest.
    this.entries.delete(key);
    this.entries.set(key, { value, until: this.now() + this.maxAgeMs });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
