/**
 * Who looked at my file: an append-only, hash-chained log of every lookup of a holder's request
 * or status, kept per holder. The holder key is a keyed hash of the holder's NPI or number (the
 * caller computes it); entries carry only masked callers, never an NPI or a number in clear.
 */
export type AccessChannel = 'ussd' | 'sms' | 'api';

export interface AccessEntry {
  channel: AccessChannel;
  /** Already masked (`src/lib/mask.ts`); the store refuses nothing, the callers mask. */
  caller: string;
  agency: string;
  /** ISO 8601, UTC. */
  at: string;
  /** What was looked at: a request number or a notification id, never an NPI. */
  subject: string;
}

export interface ChainedEntry extends AccessEntry {
  /** 1 for a holder's first entry, then +1; survives trimming, so a gap shows a removal. */
  seq: number;
  /** Hex SHA-256 of the previous entry (GENESIS for seq 1). */
  prev: string;
  /** Hex SHA-256 over prev and this entry's fields (see chain.ts). */
  hash: string;
}

export const GENESIS = '0'.repeat(64);

/** Bounded retention: the newest entries per holder kept (older ones are trimmed, the chain stays checkable from the oldest kept). */
export const ACCESS_LOG_MAX_ENTRIES = 200;
/** A holder nobody looked at for this long loses the log (one year). */
export const ACCESS_LOG_TTL_SECONDS = 366 * 24 * 3600;

export interface AccessLogStore {
  /** Appends atomically after the holder's current head; concurrent appends never fork the chain. */
  append(holderKey: string, entry: AccessEntry): Promise<ChainedEntry>;
  /** The newest `limit` entries (all kept if omitted), oldest first. */
  list(holderKey: string, limit?: number): Promise<ChainedEntry[]>;
}
