/**
 * The ports the USSD channel keeps state behind. Records are opaque strings to a store: the
 * channel owns their shape, a store owns only durability, expiry and atomicity. Implemented by
 * `memory.ts` (embedded default, tests), `redis.ts` (Node) and `durable-object.ts` (Workers); all
 * three run one conformance suite (`conformance.ts`).
 */

export interface VersionedRecord {
  data: string;
  /** Increases by one on every successful save; the token for compare-and-set. */
  version: number;
  /**
   * `data` as the channel decoded it, where a store kept the object it was saved with
   * (`write-through.ts`): the next hop then need not parse it again. Read-only: the same object
   * is handed out until the next save.
   */
  decoded?: unknown;
}

export interface SessionStore {
  load(key: string): Promise<VersionedRecord | null>;
  /**
   * Writes `data` only if the stored version is still `expectedVersion` (`null`: only if no record
   * exists), and (re)sets its time to live. Returns false when another hop got there first: the
   * caller reloads and decides again, so two concurrent hops can never fork a session.
   * `decoded`: the object `data` encodes, for a store that keeps records in memory to hand back
   * with `recent` (the others ignore it; it is never stored or compared).
   */
  save(key: string, data: string, expectedVersion: number | null, ttlSeconds: number, decoded?: unknown): Promise<boolean>;
  /**
   * Sets a small value under `key` whatever was there, (re)sets its time to live, and returns the
   * value it replaced (null: none or expired), in one atomic step: of two callers exchanging the
   * same key, only one is handed the old value. Pointers live apart from session records (a key
   * given to `exchange` is never one given to `load`/`save`). The USSD channel keeps "the caller's
   * last session on this code" this way, so a redial finds what it may resume at most once.
   */
  exchange(key: string, value: string, ttlSeconds: number): Promise<string | null>;
  /**
   * Optional: the record as this process last saved it, without a round trip (`write-through.ts`),
   * or undefined when it does not know one. It may be stale (another instance may have saved
   * since): only for a caller whose next step is a compare-and-set save, which then fails on a
   * stale record and makes it load.
   */
  recent?(key: string): VersionedRecord | undefined;
}

/** Per-citizen settings that outlive sessions, keyed by E.164 number. */
export interface PreferenceStore {
  getLanguage(msisdn: string): Promise<string | null>;
  setLanguage(msisdn: string, language: string): Promise<void>;
  /** Whether the citizen asked for no more notifications (SMS `STOP`). */
  isOptedOut(msisdn: string): Promise<boolean>;
  setOptedOut(msisdn: string, optedOut: boolean): Promise<void>;
  /**
   * `getLanguage` and `isOptedOut` in one read: what a notification needs of its recipient before
   * it is rendered and recorded. On one Redis a single `MGET` (issue 18 part 3: one command fewer
   * per notification); the same answers as the two reads, which the conformance suite checks.
   */
  languageAndOptOut(msisdn: string): Promise<RecipientPreferences>;
}

/** A recipient's stored language (null: never chosen, or forgotten) and opt-out. */
export interface RecipientPreferences {
  language: string | null;
  optedOut: boolean;
}

/** How long a chosen language is remembered after the citizen's last choice. */
export const LANGUAGE_TTL_SECONDS = 365 * 24 * 3600;
