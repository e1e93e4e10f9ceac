import type { EngineState, Screen } from '../../engine/types.js';
import type { SessionEndReason } from './dialect.js';

/**
 * What the USSD channel stores per session: the engine's position plus what it needs to
 * recognise a retransmitted hop. Short keys: this is written on every hop and held in Redis
 * for every live session.
 */
export interface UssdSessionRecord {
  /** The engine's state. */
  e: EngineState;
  /** The last hop's input as received: the cumulative text for Africa's Talking. */
  h: string;
  /** The screen answered to that hop, answered again if the hop is retransmitted. */
  s: Screen;
  /** The last hop's `resend` key and when it was handled (ms since the epoch), for dialects that give one. */
  r?: string;
  t?: number;
  /** Set once the session is over, and why; a hop arriving after that is not run. */
  x?: SessionEndReason;
}

export function encodeRecord(record: UssdSessionRecord): string {
  return JSON.stringify(record);
}

export function decodeRecord(data: string): UssdSessionRecord {
  return JSON.parse(data) as UssdSessionRecord;
}
