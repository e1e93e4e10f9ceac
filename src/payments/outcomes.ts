import type { Logger } from '../observability/logger.js';
import type { PortalClient } from '../portal/port.js';
import type { Payment, PaymentState, ReasonCode, TransitionOutcome } from './payment.js';
import type { ProviderStatus } from './port.js';
import type { PaymentProviderDirectory } from './provider-directory.js';
import type { PaymentQueues } from './queues.js';
import type { ReceiptSender } from './receipts.js';
import type { PaymentStore } from './store/port.js';

export interface PaymentOutcomeDeps {
  store: PaymentStore;
  providers: PaymentProviderDirectory;
  portal: Pick<PortalClient, 'recordPayment'>;
  queues: Pick<PaymentQueues, 'portal'>;
  sendReceipt: ReceiptSender;
  logger: Logger;
  now: () => number;
}

/** What a provider's answer does to a payment: shared by the jobs and the callback route. */
export interface PaymentOutcomes {
  /**
   * One move through the store's state machine, with its code (what the report reads) and its
   * prose (what a person reads); logged when it is refused or flagged.
   */
  move(payment: Payment, to: PaymentState, code: ReasonCode, reason: string, providerTransactionId?: string): Promise<TransitionOutcome>;
  /**
   * Applies what the provider said and answers the payment's state afterwards. Safe to repeat: a
   * replay finds the state unchanged, and a stale answer (pending or failed after a success)
   * changes nothing.
   *
   * `notice` says how a success reaches the portal. `queued` (the default, and what an HTTP
   * request must use: it answers without waiting on the portal) puts the durable portal job on its
   * queue. `now` is for callers that are themselves a durable job (collect, poll, confirm): the
   * portal is told at once, inside the job, and only a failure goes to the portal queue (retried
   * for a long while). A crash in between leaves the job unfinished, so BullMQ runs it again, which
   * finds the success unchanged and tells the portal again (its idempotency key absorbs a repeat).
   * One queue hop less per payment: under a burst of a thousand successes, the portal job's
   * enqueue, fetch and completion were a fifth of the gateway's work (issue 18 part 2).
   */
  apply(payment: Payment, status: ProviderStatus, source: string, notice?: 'queued' | 'now'): Promise<PaymentState>;
  /**
   * Tells the portal once: skipped when the payment record says the portal already acknowledged
   * (the de-duplication lives with the payment, not in BullMQ's memory of completed jobs), or when
   * the payment is a second success for its request (`paid_twice`: refunded, never credited).
   * `read`: the payment as the caller has just read or moved it, to spare a read.
   */
  tellPortal(paymentId: string, read?: Payment): Promise<void>;
}

export function createPaymentOutcomes(deps: PaymentOutcomeDeps): PaymentOutcomes {
  const { store, providers, logger, now, sendReceipt } = deps;

  async function tellPortal(paymentId: string, read?: Payment): Promise<void> {
    const payment = read?.id === paymentId ? read : await store.get(paymentId);
    if (!payment || payment.state !== 'succeeded' || payment.portalNotifiedAt) return;
    const paidBy = await store.paidPaymentOf(payment.requestNumber);
    if (paidBy !== null && paidBy !== payment.id) return;
    await deps.portal.recordPayment({
      paymentId,
      requestNumber: payment.requestNumber,
      amountXof: payment.amountXof,
      provider: payment.provider,
      providerTransactionId: payment.providerTransactionId ?? '',
      paidAt: payment.history.find((h) => h.to === 'succeeded')?.at ?? new Date(now()).toISOString(),
    });
    // After the acknowledgement: a crash in between tells the portal again, which its idempotency
    // key (the payment id) absorbs; never the other way round, which could lose the notice.
    await store.markPortalNotified(paymentId, new Date(now()).toISOString());
  }

  /** The portal told inside the calling job; on failure, the durable portal job takes over. */
  async function tellPortalNow(payment: Payment): Promise<void> {
    try {
      await tellPortal(payment.id, payment);
    } catch (error) {
      logger.warn({ paymentId: payment.id, err: (error as Error).message }, 'portal not told of a payment: queued for retries');
      await deps.queues.portal(payment.id);
    }
  }

  async function move(payment: Payment, to: PaymentState, code: ReasonCode, reason: string, providerTransactionId?: string): Promise<TransitionOutcome> {
    const outcome = await store.transition(payment.id, { to, at: new Date(now()).toISOString(), reason, code, providerTransactionId });
    if (outcome.kind === 'refused') {
      logger.warn({ paymentId: payment.id, from: outcome.payment.state, to, code, reason }, 'illegal payment transition refused');
    } else if (outcome.kind === 'flagged') {
      logger.error({ paymentId: payment.id, providerTransactionId }, 'success after expiry: flagged for reconciliation');
    }
    return outcome;
  }

  async function apply(payment: Payment, status: ProviderStatus, source: string, notice: 'queued' | 'now' = 'queued'): Promise<PaymentState> {
    const stateAfter = (outcome: TransitionOutcome, fallback: PaymentState) => (outcome.kind === 'missing' ? fallback : outcome.payment.state);
    if (status.status === 'pending') {
      if (payment.state !== 'created') return payment.state;
      return stateAfter(await move(payment, 'pending', 'provider_pending', `${source}: pending`), 'pending');
    }
    if (status.status === 'failed') {
      const outcome = await move(payment, 'failed', 'provider_failed', `${source}: ${status.reason}`);
      if (outcome.kind === 'applied') await sendReceipt(outcome.payment, 'failed');
      return stateAfter(outcome, 'failed');
    }
    const expectedCurrency = providers.byName(payment.provider)?.currency ?? 'XOF';
    const wrongAmount = status.amountXof !== undefined && status.amountXof !== payment.amountXof;
    const wrongCurrency = status.currency !== undefined && status.currency !== expectedCurrency;
    if (wrongAmount || wrongCurrency) {
      // Never credit a request for a sum other than its fee; finance sorts it out from the report.
      const reported = `${status.amountXof ?? '?'} ${status.currency ?? expectedCurrency}`;
      logger.error({ paymentId: payment.id, reported, expected: `${payment.amountXof} ${expectedCurrency}` }, 'provider reported another amount: not credited');
      const code = wrongAmount ? 'amount_mismatch' : 'currency_mismatch';
      const outcome = await move(payment, 'failed', code, `${source}: amount mismatch, provider reported ${reported} (reconcile)`, status.providerTransactionId);
      return stateAfter(outcome, 'failed');
    }
    if (payment.state === 'created') await move(payment, 'pending', 'provider_answered', `${source}: answered`);
    const outcome = await move(payment, 'succeeded', 'provider_succeeded', `${source}: succeeded`, status.providerTransactionId);
    if (status.refunded && outcome.kind !== 'missing') {
      // Paid, then refunded at the provider (FedaPay's refunded statuses): the credit stands (the
      // portal may have delivered the service), and finance decides from the report.
      const flag = status.refunded === 'full' ? 'refunded_after_success' : 'partially_refunded_after_success';
      if (await store.flag(payment.id, flag)) logger.error({ paymentId: payment.id, flag }, 'provider reports a refund: flagged for reconciliation');
    }
    if ((outcome.kind === 'applied' || outcome.kind === 'unchanged') && outcome.payment.state === 'succeeded') {
      // Two payments of one request both succeeded (the holder paid while someone else's prompt
      // was still open): the first success is the request's; the other is money to give back, so
      // the portal is not told of it and finance sees it in the report.
      const paidBy = await store.paidPaymentOf(payment.requestNumber);
      if (paidBy !== null && paidBy !== payment.id) {
        if (await store.flag(payment.id, 'paid_twice')) logger.error({ paymentId: payment.id, firstPaymentId: paidBy }, 'request paid twice: flagged for a refund');
        await sendReceipt(outcome.payment, 'succeeded');
      } else if (!outcome.payment.portalNotifiedAt) {
        // 'unchanged' tells (or enqueues) again too: a crash after the transition but before the
        // notice must not lose it. Once the portal acknowledged, the record says so and a replayed
        // callback does nothing more, whatever BullMQ still keeps of the first job.
        const told = notice === 'now' ? tellPortalNow(outcome.payment) : deps.queues.portal(payment.id);
        await Promise.all([told, sendReceipt(outcome.payment, 'succeeded')]);
      } else {
        await sendReceipt(outcome.payment, 'succeeded');
      }
    }
    return stateAfter(outcome, 'succeeded');
  }

  return { move, apply, tellPortal };
}
