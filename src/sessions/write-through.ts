import type { SessionStore, VersionedRecord } from './port.js';

interface Known extends VersionedRecord {
  expiresAt: number;
}

export interface WriteThroughOptions {
  /** Records kept at most (the oldest written goes first): about 1 KB each. */
  maxRecords?: number;
  now?: () => number;
}

/** Saves looked at before the stale share is judged, and the share past which `recent` stops answering. */
const JUDGE_EVERY = 500;
const MAX_STALE_SHARE = 0.1;

/**
 * A session store (Redis) with the records this process wrote last kept beside it, so the next
 * hop of a session this process answered needs no load: its save's compare-and-set is the check.
 * `load`, `save` and `exchange` are the inner store's, unchanged; only `recent` is added.
 *
 * When several instances share the sessions and a provider spreads one session's hops over them,
 * what this process wrote may be stale: its compare-and-set then fails and the hop reloads (one
 * round trip more than without this). The store counts those failures and, past one save in ten,
 * stops answering `recent` for the next stretch of saves, so such a deployment pays at most a
 * little for it. The records are what Redis holds (engine state included), in this process's
 * memory only, bounded in number, gone with their time to live.
 */
export class WriteThroughSessionStore implements SessionStore {
  private readonly known = new Map<string, Known>();
  private readonly maxRecords: number;
  private readonly now: () => number;
  private savesFromRecent = 0;
  private staleSaves = 0;
  private paused = false;

  constructor(
    private readonly inner: SessionStore,
    options: WriteThroughOptions = {},
  ) {
    this.maxRecords = options.maxRecords ?? 20_000;
    this.now = options.now ?? Date.now;
  }

  recent(key: string): VersionedRecord | undefined {
    if (this.paused) return undefined;
    const entry = this.known.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.known.delete(key);
      return undefined;
    }
    return entry.decoded === undefined ? { data: entry.data, version: entry.version } : { data: entry.data, version: entry.version, decoded: entry.decoded };
  }

  load(key: string): Promise<VersionedRecord | null> {
    return this.inner.load(key);
  }

  async save(key: string, data: string, expectedVersion: number | null, ttlSeconds: number, decoded?: unknown): Promise<boolean> {
    const fromRecent = expectedVersion !== null && this.known.get(key)?.version === expectedVersion;
    const saved = await this.inner.save(key, data, expectedVersion, ttlSeconds);
    // Refreshed in insertion order, so the first entry is always the one written longest ago.
    this.known.delete(key);
    if (saved) {
      this.known.set(key, { data, version: (expectedVersion ?? 0) + 1, expiresAt: this.now() + ttlSeconds * 1000, decoded });
      if (this.known.size > this.maxRecords) this.known.delete(this.known.keys().next().value!);
    }
    if (fromRecent) this.judge(!saved);
    return saved;
  }

  exchange(key: string, value: string, ttlSeconds: number): Promise<string | null> {
    return this.inner.exchange(key, value, ttlSeconds);
  }

  /** Counts a save made from a recent record; every JUDGE_EVERY of them, pauses or resumes `recent`. */
  private judge(stale: boolean): void {
    this.savesFromRecent++;
    if (stale) this.staleSaves++;
    if (this.savesFromRecent < JUDGE_EVERY) return;
    this.paused = this.staleSaves / this.savesFromRecent > MAX_STALE_SHARE;
    this.savesFromRecent = 0;
    this.staleSaves = 0;
  }
}
