import type { JobQueue } from '../jobs/port.js';
import type { Logger } from '../observability/logger.js';
import { confirmHint } from './confirm-hint.js';
import type { PaymentOutcomes } from './outcomes.js';
import type { Payment, PaymentState } from './payment.js';
import { AmbiguousCollectionError, type CollectionRef, type CollectionRequest, type PaymentProvider, type ProviderStatus } from './port.js';
import type { PaymentProviderDirectory } from './provider-directory.js';
import { COLLECT_QUEUE, CONFIRM_QUEUE, POLL_QUEUE, PORTAL_QUEUE, type CollectJob, type ConfirmJob, type PaymentQueues, type PollJob, type PortalJob } from './queues.js';
import type { ReceiptSender } from './receipts.js';
import type { PaymentStore } from './store/port.js';
import { unrefTimer } from '../lib/timers.js';

export interface PaymentJobsDeps {
  store: PaymentStore;
  providers: PaymentProviderDirectory;
  jobs: JobQueue;
  queues: PaymentQueues;
  outcomes: PaymentOutcomes;
  sendReceipt: ReceiptSender;
  logger: Logger;
  now: () => number;
  /** See `PaymentServiceDeps.unsentRetryDelaysMs`. */
  unsentRetryDelaysMs: readonly number[];
  /** Jobs of each payment queue run at once per process (`PaymentServiceDeps.concurrency`). */
  concurrency: number;
}

export interface PaymentJobsStartOptions {
  /**
   * Runs `reconcileOverdue` this often (the Node gateway: every minute). Absent, no sweep runs:
   * tests call `reconcileOverdue` themselves.
   */
  reconcileEveryMs?: number;
}

/**
 * The background half of a payment: collect, follow the provider until an outcome, tell the
 * portal, confirm callback hints, and sweep what is overdue. Every job is safe to run twice.
 * Building this starts nothing: `start()` registers the workers, once, in the process that should
 * run them (the Node gateway, a test); a process that only serves the menu never calls it.
 */
export interface PaymentJobs {
  collect(paymentId: string): Promise<void>;
  poll(paymentId: string, round: number): Promise<void>;
  tellPortal(paymentId: string): Promise<void>;
  /** Confirms a callback hint with the status API (`confirm-hint.ts`), then applies the answer. */
  confirm(paymentId: string, candidateReference?: string, onAsk?: () => void): Promise<void>;
  reconcileOverdue(limit?: number): Promise<number>;
  /** What the callback route calls for a hint: a durable, retried confirmation job. */
  enqueueHintConfirmation(paymentId: string, candidateReference?: string): Promise<void>;
  /**
   * Starts consuming the four payment queues and, if asked, the overdue sweep; answers the
   * function that stops the sweep (the queue's own `close()` stops the workers). Refused a second
   * time: two sets of workers would double the concurrency.
   */
  start(options?: PaymentJobsStartOptions): () => void;
}

export function createPaymentJobs(deps: PaymentJobsDeps): PaymentJobs {
  const { store, providers, queues, logger, now, sendReceipt } = deps;
  const { move, apply } = deps.outcomes;

  function providerOf(payment: Payment): PaymentProvider {
    const provider = providers.byName(payment.provider);
    // A provider removed from the configuration while its payments are open: keep retrying, loudly.
    if (!provider) throw new Error(`payment ${payment.id}: provider ${payment.provider} is not configured`);
    return provider;
  }

  async function collect(paymentId: string): Promise<void> {
    let payment = await store.get(paymentId);
    if (!payment) return;
    if (payment.state !== 'created') return finishUntold(payment);
    const provider = providerOf(payment);
    if (!provider.resendSafe) {
      // At most one push, ever: only the caller whose created → pending move applies sends it,
      // and a retried or duplicated job finds the payment pending. Recorded before the push, so
      // a crash halfway cannot lead to a second one either.
      const claimed = await move(payment, 'pending', 'push_sent_once', 'request: sending, never resent');
      if (claimed.kind !== 'applied') return;
      payment = claimed.payment;
    }
    const request: CollectionRequest = {
      paymentId,
      amountXof: payment.amountXof,
      payerMsisdn: payment.payerMsisdn,
      operator: payment.operator,
      description: `Frais ${payment.requestNumber}`,
      ...(payment.providerReference ? { providerReference: payment.providerReference } : {}),
      rememberReference: async (reference: string) => (await store.rememberReference(paymentId, reference)) ?? reference,
    };
    let status: ProviderStatus;
    try {
      status = provider.resendSafe ? await provider.requestCollection(request) : await sendOnceRetryingUnsent(provider, request);
    } catch (error) {
      if (provider.resendSafe) throw error; // the job retries: the provider recognises a resend
      if (!(error instanceof AmbiguousCollectionError)) {
        // Nothing reached the provider (refused connection, our credentials refused): the citizen
        // hears at once that nothing was charged and may try again, rather than a silent retry.
        logger.warn({ paymentId, provider: payment.provider, err: (error as Error).message }, 'collection not sent: payment failed');
        const outcome = await move(payment, 'failed', 'not_sent', `request: not sent (${(error as Error).message})`);
        if (outcome.kind === 'applied') await sendReceipt(outcome.payment, 'failed');
        return;
      }
      // It may have gone out: followed by status and callbacks, never sent again. Should neither
      // ever name the provider's id, the expired payment is listed in the report for finance.
      logger.warn({ paymentId, provider: payment.provider, err: error.message }, 'collection answer lost: not resent, following the payment');
      status = { status: 'pending' };
    }
    if ((await apply(payment, status, 'request', 'now')) === 'pending') await queues.poll(paymentId, 1, provider.callsBack);
  }

  /** Sends again only after failures that prove nothing left; an ambiguous one ends the tries. */
  async function sendOnceRetryingUnsent(provider: PaymentProvider, request: CollectionRequest): Promise<ProviderStatus> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await provider.requestCollection(request);
      } catch (error) {
        const delayMs = deps.unsentRetryDelaysMs[attempt];
        if (error instanceof AmbiguousCollectionError || delayMs === undefined) throw error;
        logger.warn({ paymentId: request.paymentId, provider: provider.name, err: (error as Error).message, retryInMs: delayMs }, 'collection not sent: trying again');
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  /**
   * A job run again after a crash (BullMQ hands a dead process's job to another) may find the
   * success it had recorded but not yet told: the portal notice is told inside the job (`apply`'s
   * `now`), so this run finishes it, by applying the same success again ('unchanged').
   */
  async function finishUntold(payment: Payment): Promise<void> {
    if (payment.state !== 'succeeded' || payment.portalNotifiedAt) return;
    await apply(payment, { status: 'succeeded', providerTransactionId: payment.providerTransactionId ?? '' }, 'job run again', 'now');
  }

  async function poll(paymentId: string, round: number): Promise<void> {
    const payment = await store.get(paymentId);
    if (!payment) return;
    if (payment.state !== 'pending' && payment.state !== 'created') return finishUntold(payment);
    const provider = providerOf(payment);
    const status = await provider.checkStatus(refOf(payment));
    const state = await apply(payment, status, 'status', 'now');
    if (state !== 'pending') return;
    if (now() >= Date.parse(payment.expiresAt)) {
      await move(payment, 'expired', 'expired_unanswered', 'no answer before expiry');
      await sendReceipt(payment, 'failed');
      return;
    }
    await queues.poll(paymentId, round + 1, provider.callsBack);
  }

  /** The portal queue's job: `outcomes.tellPortal` (where the in-job notice also goes). */
  const tellPortal = (paymentId: string) => deps.outcomes.tellPortal(paymentId);

  async function confirm(paymentId: string, candidateReference?: string, onAsk?: () => void): Promise<void> {
    const payment = await store.get(paymentId);
    if (!payment) return;
    // The payment just read is handed on: a second read in `confirmHint` was a quarter of the job's Redis work.
    // A job: a success tells the portal inside it (`apply`'s `now`).
    const applyInJob = (p: Payment, status: ProviderStatus, source: string) => apply(p, status, source, 'now');
    await confirmHint({ store, apply: applyInJob, logger }, providerOf(payment), paymentId, candidateReference, undefined, payment, onAsk);
  }

  /**
   * The safety net behind the per-payment pollers (a poll job lost, a provider that never
   * answered): every unfinished payment past its expiry is asked about once more, then expired.
   * A success the provider reports later is flagged for reconciliation by the state machine.
   */
  async function reconcileOverdue(limit = 500): Promise<number> {
    const ids = await store.overdue(new Date(now()).toISOString(), limit);
    for (const id of ids) {
      const payment = await store.get(id);
      if (!payment) continue;
      let state: PaymentState = payment.state;
      try {
        state = await apply(payment, await providerOf(payment).checkStatus(refOf(payment)), 'reconciliation');
      } catch (error) {
        logger.warn({ paymentId: id, err: (error as Error).message }, 'reconciliation: status unavailable, expiring');
      }
      if (state === 'pending' || state === 'created') {
        const outcome = await move(payment, 'expired', 'expired_overdue', 'reconciliation: past expiry');
        if (outcome.kind === 'applied') await sendReceipt(outcome.payment, 'failed');
      }
    }
    return ids.length;
  }

  let started = false;
  function start(options: PaymentJobsStartOptions = {}): () => void {
    if (started) throw new Error('payment jobs already started in this process');
    started = true;
    const { jobs, concurrency } = deps;
    jobs.process<CollectJob>(COLLECT_QUEUE, async ({ paymentId }) => collect(paymentId), { concurrency });
    jobs.process<PollJob>(POLL_QUEUE, async ({ paymentId, round }) => poll(paymentId, round ?? 1), { concurrency });
    jobs.process<PortalJob>(PORTAL_QUEUE, async ({ paymentId }) => tellPortal(paymentId), { concurrency });
    jobs.process<ConfirmJob>(CONFIRM_QUEUE, async ({ paymentId, candidateReference }) => confirm(paymentId, candidateReference), { concurrency });
    if (options.reconcileEveryMs === undefined) return () => {};
    // Safe on every instance at once: each transition applies once, whoever runs it.
    const sweep = setInterval(() => {
      reconcileOverdue().catch((err: Error) => logger.warn({ err: err.message }, 'payment reconciliation failed'));
    }, options.reconcileEveryMs);
    unrefTimer(sweep);
    return () => clearInterval(sweep);
  }

  return { collect, poll, tellPortal, confirm, reconcileOverdue, enqueueHintConfirmation: queues.confirm, start };
}

/** What a status question needs to name the collection at its provider. */
export function refOf(payment: Payment): CollectionRef {
  return { paymentId: payment.id, ...(payment.providerReference ? { providerReference: payment.providerReference } : {}) };
}
