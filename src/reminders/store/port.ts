import type { Language } from '../../engine/schema.js';
import type { TrackedStatus } from '../rules.js';
import type { FrequencyCap } from '../schedule.js';

/**
 * What reminders remember: each request's current status (as its agency, or the payment flow,
 * last reported it) and, per number, the reminders sent lately (for the frequency cap). Node
 * wires Redis (`redis.ts`), the embedded default and tests memory (`memory.ts`); both run one
 * conformance suite (`conformance.ts`).
 */

/** One status report about one request. */
export interface StatusEvent {
  agency: string;
  requestNumber: string;
  status: TrackedStatus;
  /** When the status changed, at the agency (ms since the epoch). */
  atMs: number;
  /** E.164: who is reminded. Personal data: mask before logging. */
  to: string;
  language?: Language;
  /** The fee, for payment statuses (named in the text). */
  amountXof?: number;
  /** The same key for the same request is the same report: it changes nothing the second time. */
  idempotencyKey?: string;
}

/** A request as reminders know it: in `status` since `sinceMs`. */
export interface RequestState {
  agency: string;
  requestNumber: string;
  status: TrackedStatus;
  /** When the request entered this status: what its rules count from, and what names its jobs. */
  sinceMs: number;
  /** The latest report's instant: an older report arriving late is stale. */
  lastEventMs: number;
  to: string;
  language?: Language;
  amountXof?: number;
}

/**
 * `changed`: a new status (the previous one's reminders are off); `unchanged`: the status it
 * already had (counting goes on from when it entered it); `stale`: older than the latest report
 * (ignored); `duplicate`: an idempotency key already seen.
 */
export type EventOutcome = 'changed' | 'unchanged' | 'stale' | 'duplicate';

export interface RecordedEvent {
  outcome: EventOutcome;
  state: RequestState;
  /** The state before, when `changed` replaced one. */
  previous?: RequestState;
}

/**
 * `claimed`: the reminder is counted and may go; `already`: this reminder was claimed before (a
 * job run twice: send it under the same idempotency key, which sends once); `capped`: the
 * number had its share, nothing is counted.
 */
export type SendClaim = 'claimed' | 'already' | 'capped';

export interface ReminderStore {
  /** Applies one report atomically: status, idempotency key and time order together. */
  recordStatus(event: StatusEvent): Promise<RecordedEvent>;
  get(agency: string, requestNumber: string): Promise<RequestState | null>;
  /** Atomically: checks every cap for `msisdn` at `nowMs` and counts `reminderKey` if they have room. */
  claimSend(msisdn: string, reminderKey: string, nowMs: number, caps: readonly FrequencyCap[]): Promise<SendClaim>;
}

/** How long a request's state is kept after its last report: longer than any rule's delay. */
export const STATE_TTL_MS = 120 * 24 * 3_600_000;
/** How long an idempotency key is remembered. */
export const IDEMPOTENCY_TTL_MS = 30 * 24 * 3_600_000;

/**
 * How long a number's sent reminders are remembered: the longest cap's window, and at least a
 * day, so a job run twice within a day still finds its claim (`already`) without any cap.
 */
export function claimRetentionMs(caps: readonly FrequencyCap[]): number {
  return Math.max(24 * 3_600_000, ...caps.map((cap) => cap.windowMs));
}
