import type { JobQueue } from '../jobs/port.js';

// Job ids use `-`: BullMQ refuses `:` in custom ids.
export const COLLECT_QUEUE = 'payments.collect';
export const POLL_QUEUE = 'payments.poll';
export const PORTAL_QUEUE = 'payments.portal';
/** Confirmations of unsigned callbacks by the status API, queued by the callback route. */
export const CONFIRM_QUEUE = 'payments.confirm';

export interface CollectJob {
  paymentId: string;
}
/** `round` is absent on the first poll of a payment. */
export interface PollJob {
  paymentId: string;
  round?: number;
}
export interface PortalJob {
  paymentId: string;
}
export interface ConfirmJob {
  paymentId: string;
  candidateReference?: string;
}

/**
 * How each payment job is put on its queue (its id, delay and retries), in one place: the menu
 * services queue collections, the outcomes queue portal notices, the callback route queues hint
 * confirmations, and the jobs (`jobs.ts`) consume them all.
 */
export interface PaymentQueues {
  /** Once per payment (`collect-<id>`): a second confirmation of the same payment adds nothing. */
  collect(paymentId: string): Promise<void>;
  /**
   * Status question number `round` (1, 2, …), `pollDelayMs` from now: one poll interval, or
   * longer when the provider `callsBack`.
   */
  poll(paymentId: string, round: number, callsBack?: boolean): Promise<void>;
  /** Keyed by payment id, retried for a long while: the portal must hear of every success. */
  portal(paymentId: string): Promise<void>;
  /**
   * No job id (a later hint after an earlier PENDING answer must still be confirmed), but coalesced
   * per payment: duplicates arriving while a confirmation waits are absorbed by it (it has not asked
   * the provider yet), and one arriving while it runs is kept for one more look after it. Retried
   * while the status API is away.
   */
  confirm(paymentId: string, candidateReference?: string): Promise<void>;
}

/**
 * How many poll intervals each status question waits when the provider calls back, by round (the
 * last repeats): with the default 5 s, the first question 30 s after the push (most citizens
 * have answered the PIN prompt by then, and the callback has settled the payment, so the poll
 * finds it final and asks nothing), then one a minute until expiry. A lost callback costs the
 * citizen at most that wait; the payment is never left unsettled: polls go on until expiry, and
 * the overdue sweep runs behind them. At a fixed 5 s, a payment the callback settles in a burst
 * was still asked about two or three times by the poller (issue 18 part 2).
 */
export const CALLBACK_POLL_FACTORS: readonly number[] = [6, 12];

/** The wait before status question number `round` (1, 2, …). */
export function pollDelayMs(pollIntervalMs: number, round: number, callsBack = false): number {
  if (!callsBack) return pollIntervalMs;
  const factor = CALLBACK_POLL_FACTORS[Math.min(round, CALLBACK_POLL_FACTORS.length) - 1] ?? 1;
  return pollIntervalMs * factor;
}

export function createPaymentQueues(jobs: JobQueue, pollIntervalMs: number): PaymentQueues {
  return {
    collect: (paymentId) => jobs.enqueue<CollectJob>(COLLECT_QUEUE, { paymentId }, { jobId: `collect-${paymentId}` }),
    poll: (paymentId, round, callsBack) =>
      jobs.enqueue<PollJob>(POLL_QUEUE, round === 1 ? { paymentId } : { paymentId, round }, { jobId: `poll-${paymentId}-${round}`, delayMs: pollDelayMs(pollIntervalMs, round, callsBack) }),
    portal: (paymentId) => jobs.enqueue<PortalJob>(PORTAL_QUEUE, { paymentId }, { jobId: `portal-${paymentId}`, attempts: 50, backoffMs: 2000 }),
    confirm: (paymentId, candidateReference) =>
      jobs.enqueue<ConfirmJob>(CONFIRM_QUEUE, { paymentId, ...(candidateReference ? { candidateReference } : {}) }, { attempts: 5, backoffMs: 1000, coalesceKey: paymentId }),
  };
}
