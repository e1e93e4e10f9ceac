import type { EngineState, Screen } from '../../engine/types.js';
import type { PendingSurvey } from '../../surveys/port.js';
import type { SessionEndReason } from './port.js';

/**
 * What the USSD channel stores per session: the engine's position plus what it needs to
 * recognise a retransmitted hop and its caller. Short keys: this is written on every hop and held
 * in Redis for every live session. Nothing the citizen typed is kept in clear outside the engine's
 * variables (and identity proofs leave those once checked): histories and resend keys are keyed
 * hashes (`pii-hash.ts`).
 */
export interface UssdSessionRecord {
  /** The engine's state. */
  e: EngineState;
  /**
   * The caller (E.164) the session belongs to: a hop from any other number is refused. In clear
   * because the same store already keys languages and opt-outs by number, and phone-keyed
   * dialects (Nalo, SMPP) key the session itself by it.
   */
  c: string;
  /** Random per session (not per key: phone-keyed dialects reuse a key), so deferred answers get ids of their own. */
  n: string;
  /**
   * The last hop as received: the keyed hash of the cumulative text for Africa's Talking, the
   * dialect's hop id otherwise.
   */
  h: string;
  /** Cumulative dialects: the lengths of the earlier texts, to recognise an older hop arriving late. */
  p?: number[];
  /** The screen answered to that hop, answered again if the hop is retransmitted. */
  s: Screen;
  /** The keyed hash of the last hop's `resend` key and when it was handled (ms since the epoch), for dialects that give one. */
  r?: string;
  t?: number;
  /**
   * When the session opened (ms since the epoch) and how many hops it has committed, so whichever
   * instance sees its end can count its hops and length (`src/observability/funnels.ts`).
   * Absent in records written before they were kept.
   */
  o?: number;
  k?: number;
  /**
   * When the last hop committed (ms since the epoch), kept while resuming is on: the record then
   * outlives its session's time-out by the resume window, and a hop after the time-out is refused
   * as the expired session it is (`resume.ts`).
   */
  l?: number;
  /**
   * While the "1.Reprendre 2.Recommencer" offer waits: the state 1 restores (already rewound before
   * any payment confirmation or identity proof, without proof variables). `e` is then the fresh start.
   */
  b?: EngineState;
  /** Set once the session is over, and why; a hop arriving after that is not run. */
  x?: SessionEndReason;
  /**
   * While the USSD survey (`survey: ussd`) waits on this session's screen: `rating` for the 1–5
   * question, then `word` with what the rating was counted under. The menu's part is over (`e`
   * rests on its END node): such a session is never resumed, and its drop is no funnel drop.
   */
  v?: UssdSurveyStage;
}

export type UssdSurveyStage = { q: 'rating' } | { q: 'word'; p: PendingSurvey };

export function encodeRecord(record: UssdSessionRecord): string {
  return JSON.stringify(record);
}

/** A stored record as written (the simulator's inspection reads only its engine state). */
export function decodeRecord(data: string): UssdSessionRecord {
  return JSON.parse(data) as UssdSessionRecord;
}

/**
 * A stored record a hop can trust, or null: a record written before sessions were bound to their
 * caller has no `c` and is treated as expired (the citizen redials) rather than adopted by
 * whoever sends the next hop.
 */
export function decodeBoundRecord(data: string): UssdSessionRecord | null {
  const record = JSON.parse(data) as Partial<UssdSessionRecord>;
  if (typeof record.c !== 'string' || typeof record.n !== 'string' || typeof record.h !== 'string' || !record.e || !record.s) return null;
  return record as UssdSessionRecord;
}
