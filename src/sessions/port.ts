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
}

export interface SessionStore {
  load(key: string): Promise<VersionedRecord | null>;
  /**
   * Writes `data` only if the stored version is still `expectedVersion` (`null`: only if no record
   * exists), and (re)sets its time to live. Returns false when another hop got there first: the
   * caller reloads and decides again, so two concurrent hops can never fork a session.
   */
  save(key: string, data: string, expectedVersion: number | null, ttlSeconds: number): Promise<boolean>;
}

/** Per-citizen settings that outlive sessions, keyed by E.164 number. */
export interface PreferenceStore {
  getLanguage(msisdn: string): Promise<string | null>;
  setLanguage(msisdn: string, language: string): Promise<void>;
  /** Whether the citizen asked for no more notifications (SMS `STOP`). */
  isOptedOut(msisdn: string): Promise<boolean>;
  setOptedOut(msisdn: string, optedOut: boolean): Promise<void>;
}

/** How long a chosen language is remembered after the citizen's last choice. */
export const LANGUAGE_TTL_SECONDS = 365 * 24 * 3600;
