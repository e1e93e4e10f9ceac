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
  /** Status question number `round` (1, 2, …), one poll interval from now. */
  poll(paymentId: string, round: number): Promise<void>;
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

export function createPaymentQueues(jobs: JobQueue, pollIntervalMs: number): PaymentQueues {
  return {
    collect: (paymentId) => jobs.enqueue<CollectJob>(COLLECT_QUEUE, { paymentId }, { jobId: `collect-${paymentId}` }),
    poll: (paymentId, round) =>
      jobs.enqueue<PollJob>(POLL_QUEUE, round === 1 ? { paymentId } : { paymentId, round }, { jobId: `poll-${paymentId}-${round}`, delayMs: pollIntervalMs }),
    portal: (paymentId) => jobs.enqueue<PortalJob>(PORTAL_QUEUE, { paymentId }, { jobId: `portal-${paymentId}`, attempts: 50, backoffMs: 2000 }),
    confirm: (paymentId, candidateReference) =>
      jobs.enqueue<ConfirmJob>(CONFIRM_QUEUE, { paymentId, ...(candidateReference ? { candidateReference } : {}) }, { attempts: 5, backoffMs: 1000, coalesceKey: paymentId }),
  };
}
