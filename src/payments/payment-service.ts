import type { JobQueue } from '../jobs/port.js';
import type { Logger } from '../observability/logger.js';
import { normalizeMsisdn, operatorOf } from '../lib/msisdn.js';
import type { PortalClient } from '../portal/port.js';
import { maskMsisdn } from '../lib/mask.js';
import type { SmsOutbox } from '../sms/outbox.js';
import type { ServiceRegistry } from '../services/service-registry.js';
import type { ServiceOutcome } from '../engine/types.js';
import type { Payment, PaymentState, TransitionOutcome } from './payment.js';
import { AmbiguousCollectionError, type CollectionRef, type CollectionRequest, type PaymentProvider, type ProviderStatus } from './port.js';
import type { PaymentProviderDirectory } from './provider-directory.js';
import type { PaymentStore } from './store/port.js';
import { confirmHint } from './confirm-hint.js';
import { MemoryAttemptLimiter } from '../limits/memory.js';
import type { AttemptLimiter, AttemptPolicy } from '../limits/port.js';
import { hmacHex, secretsMatch } from '../lib/secrets.js';
import { createHolderProof, DEFAULT_PII_HASH_KEY, isIdentityClaim, type HolderProofOptions } from '../services/holder-proof.js';
import { guarded } from '../services/portal-services.js';

// Job ids use `-`: BullMQ refuses `:` in custom ids.
export const COLLECT_QUEUE = 'payments.collect';
export const POLL_QUEUE = 'payments.poll';
export const PORTAL_QUEUE = 'payments.portal';
/** Confirmations of unsigned callbacks by the status API, queued by the callback route. */
export const CONFIRM_QUEUE = 'payments.confirm';

export interface PaymentServiceDeps {
  store: PaymentStore;
  providers: PaymentProviderDirectory;
  portal: PortalClient;
  jobs: JobQueue;
  sms: SmsOutbox;
  logger: Logger;
  now?: () => number;
  /** How long the citizen has to approve the PIN prompt before the payment expires. */
  expiryMs?: number;
  pollIntervalMs?: number;
  /**
   * Jobs of each payment queue run at once per process. They wait on the network (provider,
   * portal over X-Road), not the CPU; BullMQ's default of 4 made a burst of a thousand successes
   * queue up behind four portal calls.
   */
  concurrency?: number;
  /**
   * For providers that are not `resendSafe`: pauses before sending again after a failure that
   * proves nothing was sent (refused connection, throttled, credentials refused), within the one
   * job that holds the payment. After the last, the payment fails, nothing charged.
   */
  unsentRetryDelaysMs?: readonly number[];
  /**
   * The holder's NPI + birth-date proof on the pay path: give it the same attempt limiter and
   * `PII_HASH_KEY` as tracking (`createPortalServices`), so both paths count one set of mistakes.
   */
  holderProof?: HolderProofOptions;
  /**
   * Counts PIN prompts pushed for someone else (per payer number when another number pays, per
   * request when someone other than its holder starts it), `PAYMENT_PROMPT_POLICY`; Redis when
   * configured, so every instance counts together.
   */
  prompts?: AttemptLimiter;
  /** At most this many such prompts per payer number and per request in an hour. */
  promptsPerHour?: number;
}

/** N of "at most N prompts per payer number and per request per hour" (issue 11 item 5). */
export const PAYMENT_PROMPTS_PER_HOUR = 3;
/**
 * The prompt counters' policy: only the count is read (`failures`); it is forgotten an hour after
 * the last prompt, so a number kept busy by a stranger stays closed to that stranger only.
 */
export const PAYMENT_PROMPT_POLICY: AttemptPolicy = { freeFailures: PAYMENT_PROMPTS_PER_HOUR, baseLockMs: 3_600_000, maxLockMs: 3_600_000, windowMs: 3_600_000 };
/** How long a proof made on the pay path lets its caller start a payment for that request. */
const PROOF_VALID_MS = 10 * 60_000;

/**
 * The payment flow behind the menu: create, end the session, collect in the background, follow
 * the provider until an outcome, then tell the portal (durable, retried, keyed by payment id)
 * and the citizen (SMS receipt, keyed by payment id). Every step is safe to run twice.
 */
export function createPaymentService(deps: PaymentServiceDeps) {
  const now = deps.now ?? Date.now;
  const expiryMs = deps.expiryMs ?? 10 * 60_000;
  const pollIntervalMs = deps.pollIntervalMs ?? 5000;
  const unsentRetryDelaysMs = deps.unsentRetryDelaysMs ?? [1000, 4000];
  const { store, providers, jobs, logger } = deps;

  function providerOf(payment: Payment) {
    const provider = providers.byName(payment.provider);
    // A provider removed from the configuration while its payments are open: keep retrying, loudly.
    if (!provider) throw new Error(`payment ${payment.id}: provider ${payment.provider} is not configured`);
    return provider;
  }

  async function move(payment: Payment, to: PaymentState, reason: string, providerTransactionId?: string) {
    const outcome = await store.transition(payment.id, { to, at: new Date(now()).toISOString(), reason, providerTransactionId });
    if (outcome.kind === 'refused') {
      logger.warn({ paymentId: payment.id, from: outcome.payment.state, to, reason }, 'illegal payment transition refused');
    } else if (outcome.kind === 'flagged') {
      logger.error({ paymentId: payment.id, providerTransactionId }, 'success after expiry: flagged for reconciliation');
    }
    return outcome;
  }

  /**
   * Applies what the provider said and answers the payment's state afterwards. Safe to repeat: a
   * replay finds the state unchanged, and a stale answer (pending or failed after a success)
   * changes nothing.
   */
  async function apply(payment: Payment, status: ProviderStatus, source: string): Promise<PaymentState> {
    const stateAfter = (outcome: TransitionOutcome, fallback: PaymentState) => (outcome.kind === 'missing' ? fallback : outcome.payment.state);
    if (status.status === 'pending') {
      if (payment.state !== 'created') return payment.state;
      return stateAfter(await move(payment, 'pending', `${source}: pending`), 'pending');
    }
    if (status.status === 'failed') {
      const outcome = await move(payment, 'failed', `${source}: ${status.reason}`);
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
      const outcome = await move(payment, 'failed', `${source}: amount mismatch, provider reported ${reported} (reconcile)`, status.providerTransactionId);
      return stateAfter(outcome, 'failed');
    }
    if (payment.state === 'created') await move(payment, 'pending', `${source}: answered`);
    const outcome = await move(payment, 'succeeded', `${source}: succeeded`, status.providerTransactionId);
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
      } else if (!outcome.payment.portalNotifiedAt) {
        // 'unchanged' enqueues again too: a crash after the transition but before the enqueue must
        // not lose the portal notice. Once the portal acknowledged, the record says so and a
        // replayed callback enqueues nothing, whatever BullMQ still keeps of the first job.
        await jobs.enqueue(PORTAL_QUEUE, { paymentId: payment.id }, { jobId: `portal-${payment.id}`, attempts: 50, backoffMs: 2000 });
      }
      await sendReceipt(outcome.payment, 'succeeded');
    }
    return stateAfter(outcome, 'succeeded');
  }

  async function sendReceipt(payment: Payment, outcome: 'succeeded' | 'failed'): Promise<void> {
    const text =
      outcome === 'succeeded'
        ? `Paiement recu: ${payment.amountXof} FCFA pour la demande ${payment.requestNumber}. Ref ${reference(payment.id)}, transaction ${payment.providerTransactionId ?? ''}.`
        : `Paiement non abouti pour la demande ${payment.requestNumber} (ref ${reference(payment.id)}). Aucun montant preleve. Recomposez *123# pour reessayer.`;
    await deps.sms.enqueue({ to: payment.payerMsisdn, text, idempotencyKey: `receipt:${payment.id}`, purpose: 'payment-receipt' });
    // The phone that started it for someone else hears the outcome too.
    if (payment.initiatorMsisdn) {
      await deps.sms.enqueue({ to: payment.initiatorMsisdn, text, idempotencyKey: `receipt:${payment.id}:initiator`, purpose: 'payment-receipt' });
    }
  }

  async function collect(paymentId: string): Promise<void> {
    let payment = await store.get(paymentId);
    if (!payment || payment.state !== 'created') return;
    const provider = providerOf(payment);
    if (!provider.resendSafe) {
      // At most one push, ever: only the caller whose created → pending move applies sends it,
      // and a retried or duplicated job finds the payment pending. Recorded before the push, so
      // a crash halfway cannot lead to a second one either.
      const claimed = await move(payment, 'pending', 'request: sending, never resent');
      if (claimed.kind !== 'applied') return;
      payment = claimed.payment;
    }
    const request = {
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
        const outcome = await move(payment, 'failed', `request: not sent (${(error as Error).message})`);
        if (outcome.kind === 'applied') await sendReceipt(outcome.payment, 'failed');
        return;
      }
      // It may have gone out: followed by status and callbacks, never sent again. Should neither
      // ever name the provider's id, the expired payment is listed in the report for finance.
      logger.warn({ paymentId, provider: payment.provider, err: error.message }, 'collection answer lost: not resent, following the payment');
      status = { status: 'pending' };
    }
    if ((await apply(payment, status, 'request')) === 'pending') {
      await jobs.enqueue(POLL_QUEUE, { paymentId }, { jobId: `poll-${paymentId}-1`, delayMs: pollIntervalMs });
    }
  }

  /** Sends again only after failures that prove nothing left; an ambiguous one ends the tries. */
  async function sendOnceRetryingUnsent(provider: PaymentProvider, request: CollectionRequest): Promise<ProviderStatus> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await provider.requestCollection(request);
      } catch (error) {
        const delayMs = unsentRetryDelaysMs[attempt];
        if (error instanceof AmbiguousCollectionError || delayMs === undefined) throw error;
        logger.warn({ paymentId: request.paymentId, provider: provider.name, err: (error as Error).message, retryInMs: delayMs }, 'collection not sent: trying again');
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  async function poll(paymentId: string, round: number): Promise<void> {
    const payment = await store.get(paymentId);
    if (!payment || (payment.state !== 'pending' && payment.state !== 'created')) return;
    const status = await providerOf(payment).checkStatus(refOf(payment));
    const state = await apply(payment, status, 'status');
    if (state !== 'pending') return;
    if (now() >= Date.parse(payment.expiresAt)) {
      await move(payment, 'expired', 'no answer before expiry');
      await sendReceipt(payment, 'failed');
      return;
    }
    await jobs.enqueue(POLL_QUEUE, { paymentId, round: round + 1 }, { jobId: `poll-${paymentId}-${round + 1}`, delayMs: pollIntervalMs });
  }

  /**
   * Tells the portal once: skipped when the payment record says the portal already acknowledged
   * (the de-duplication lives with the payment, not in BullMQ's memory of completed jobs), or when
   * the payment is a second success for its request (`paid_twice`: refunded, never credited).
   */
  async function tellPortal(paymentId: string): Promise<void> {
    const payment = await store.get(paymentId);
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
        const outcome = await move(payment, 'expired', 'reconciliation: past expiry');
        if (outcome.kind === 'applied') await sendReceipt(outcome.payment, 'failed');
      }
    }
    return ids.length;
  }

  const concurrency = deps.concurrency ?? 32;
  jobs.process<{ paymentId: string }>(COLLECT_QUEUE, async ({ paymentId }) => collect(paymentId), { concurrency });
  jobs.process<{ paymentId: string; round?: number }>(POLL_QUEUE, async ({ paymentId, round }) => poll(paymentId, round ?? 1), { concurrency });
  jobs.process<{ paymentId: string }>(PORTAL_QUEUE, async ({ paymentId }) => tellPortal(paymentId), { concurrency });
  jobs.process<{ paymentId: string; candidateReference?: string }>(CONFIRM_QUEUE, async ({ paymentId, candidateReference }) => {
    const payment = await store.get(paymentId);
    if (!payment) return;
    await confirmHint({ store, apply }, providerOf(payment), paymentId, candidateReference);
  }, { concurrency });

  /**
   * What the callback route calls for a hint: one job per callback (no job id: a later hint after
   * an earlier PENDING answer must still be confirmed), retried while the status API is away.
   */
  async function enqueueHintConfirmation(paymentId: string, candidateReference?: string): Promise<void> {
    await jobs.enqueue(CONFIRM_QUEUE, { paymentId, ...(candidateReference ? { candidateReference } : {}) }, { attempts: 5, backoffMs: 1000 });
  }

  const proveIdentity = createHolderProof(deps.portal, { now, ...deps.holderProof });
  const piiHashKey = deps.holderProof?.piiHashKey ?? DEFAULT_PII_HASH_KEY;
  const prompts = deps.prompts ?? new MemoryAttemptLimiter(PAYMENT_PROMPT_POLICY);
  const promptsPerHour = deps.promptsPerHour ?? PAYMENT_PROMPTS_PER_HOUR;

  /**
   * What a caller who proved the holder's identity carries to `payments.start` instead of the NPI
   * and birth date (which leave the session as soon as they are checked): bound to the request
   * and the caller's number, valid a few minutes, signed with `PII_HASH_KEY`.
   */
  async function proofToken(requestNumber: string, msisdn: string): Promise<string> {
    const until = now() + PROOF_VALID_MS;
    return `${until}.${await hmacHex(piiHashKey, `pay-proof:${requestNumber}:${msisdn}:${until}`)}`;
  }
  async function proofHolds(token: string | undefined, requestNumber: string, msisdn: string): Promise<boolean> {
    const match = /^(\d{13})\.([0-9a-f]{64})$/.exec(token ?? '');
    if (!match?.[1] || !match[2] || Number(match[1]) < now()) return false;
    return secretsMatch(match[2], await hmacHex(piiHashKey, `pay-proof:${requestNumber}:${msisdn}:${match[1]}`));
  }

  /** Counts one prompt against a key; false when that makes more than the hour allows. */
  async function promptAllowed(kind: 'payer' | 'request', value: string): Promise<boolean> {
    const state = await prompts.fail(`payprompt:${kind}:${await hmacHex(piiHashKey, value)}`, now());
    return state.failures <= promptsPerHour;
  }

  const services: ServiceRegistry = {
    /**
     * The pay path's view of a request, under the tracking rule: its holder's number sees the
     * service and the fee; anyone else gets the same neutral `not_found` whether the request exists
     * or not (the same portal calls are made either way, so the time taken tells nothing), unless
     * they give the holder's NPI and birth date: then only the amount (`ok_amount`), and a proof
     * token for `payments.start`. The NPI and birth date are blanked from the session at once.
     */
    'payments.quote': guarded(async (args, ctx): Promise<ServiceOutcome> => {
      const requestNumber = args.requestNumber ?? '';
      const call = { signal: ctx.signal, userId: ctx.msisdn };
      const [request, fee] = await Promise.all([deps.portal.findRequest(requestNumber, call), deps.portal.feeDue(requestNumber, call)]);
      if (request && fee && request.holderMsisdn === ctx.msisdn) {
        return { outcome: fee.paid ? 'paid' : 'ok', values: { serviceCode: fee.serviceCode, amountXof: fee.amountXof } };
      }
      if (!isIdentityClaim(args.npi, args.birthDate)) return { outcome: 'not_found' };
      const forget = { npi: '', birthDate: '' };
      const proof = await proveIdentity(requestNumber, args.npi ?? '', args.birthDate ?? '', ctx);
      if (proof === 'denied' || (proof === 'proved' && !fee)) return { outcome: 'denied', values: forget };
      if (proof !== 'proved') return { outcome: 'locked', values: { ...forget, retryMinutes: proof.lockedMinutes } };
      if (fee!.paid) return { outcome: 'paid', values: forget };
      return { outcome: 'ok_amount', values: { ...forget, amountXof: fee!.amountXof, holderProof: await proofToken(requestNumber, ctx.msisdn) } };
    }),
    /**
     * Creates the payment and queues the collection; the menu then ends with the reference. Only
     * for the request's holder's number or a caller holding a proof from `payments.quote`; anyone
     * else gets the neutral `not_found`. Prompts pushed for someone else are limited
     * (`too_many`): per payer number when another number pays, per request when the caller is not
     * its holder; the holder paying from their own number is never counted nor blocked.
     */
    'payments.start': guarded(async (args, ctx): Promise<ServiceOutcome> => {
      const requestNumber = args.requestNumber ?? '';
      const call = { signal: ctx.signal, userId: ctx.msisdn };
      const [request, fee] = await Promise.all([deps.portal.findRequest(requestNumber, call), deps.portal.feeDue(requestNumber, call)]);
      const byHolder = request !== null && request.holderMsisdn === ctx.msisdn;
      if (!request || !fee || (!byHolder && !(await proofHolds(args.holderProof, requestNumber, ctx.msisdn)))) return { outcome: 'not_found' };
      if (fee.paid) return { outcome: 'paid' };
      // Another number may pay (a relative's wallet, a second SIM): it gets the PIN prompt and receipt.
      let payer = ctx.msisdn;
      if (args.payer) {
        const parsed = normalizeMsisdn(args.payer);
        if (!parsed.ok || !parsed.operator) return { outcome: 'bad_number' };
        payer = parsed.e164;
      }
      // Counted before the store is asked, so refused attempts count too: a stranger who keeps
      // trying stays refused, and the holder's own number is never in these counters' way.
      if (payer !== ctx.msisdn && !(await promptAllowed('payer', payer))) return { outcome: 'too_many' };
      if (!byHolder && !(await promptAllowed('request', requestNumber))) return { outcome: 'too_many' };
      const operator = args.operator || operatorOf(payer) || 'UNKNOWN';
      const provider = providers.forOperator(operator);
      const id = crypto.randomUUID();
      const created = new Date(now());
      const stored = await store.create({
        id,
        requestNumber,
        amountXof: fee.amountXof,
        payerMsisdn: payer,
        ...(payer !== ctx.msisdn ? { initiatorMsisdn: ctx.msisdn } : {}),
        startedBy: byHolder ? 'holder' : 'other',
        operator,
        provider: provider.name,
        createdAt: created.toISOString(),
        expiresAt: new Date(created.getTime() + expiryMs).toISOString(),
      });
      // The request already has a payment under way (confirmed twice, or from two phones), or its
      // last payment succeeded and the portal has not recorded it yet: the store refuses both in
      // the same atomic step as the creation, so there is never a second charge.
      if (!stored) return { outcome: (await store.latestForRequest(requestNumber))?.state === 'succeeded' ? 'paid' : 'in_progress' };
      await jobs.enqueue(COLLECT_QUEUE, { paymentId: id }, { jobId: `collect-${id}` });
      logger.info({ paymentId: id, payer: maskMsisdn(payer), operator, amountXof: fee.amountXof, startedBy: byHolder ? 'holder' : 'other' }, 'payment created');
      return { outcome: 'ok', values: { reference: reference(id), amountXof: fee.amountXof, payerDisplay: payer.slice(4), holderProof: '' } };
    }),
    /**
     * "Check my payment" on redial: the request's latest payment, shown only to the number that
     * made it (anyone else gets the same answer as for no payment: the privacy rule of tracking).
     */
    'payments.check': async (args, ctx) => {
      const latest = await store.latestForRequest(args.requestNumber ?? '');
      if (!latest || (latest.payerMsisdn !== ctx.msisdn && latest.initiatorMsisdn !== ctx.msisdn)) return { outcome: 'none' };
      const outcome = latest.state === 'created' ? 'pending' : latest.state === 'expired' ? 'failed' : latest.state;
      return {
        outcome,
        values: { reference: reference(latest.id), amountXof: latest.amountXof, providerTransactionId: latest.providerTransactionId ?? '' },
      };
    },
  };

  return { services, collect, poll, tellPortal, apply, reconcileOverdue, enqueueHintConfirmation };
}

/** What a status question needs to name the collection at its provider. */
export function refOf(payment: Payment): CollectionRef {
  return { paymentId: payment.id, ...(payment.providerReference ? { providerReference: payment.providerReference } : {}) };
}

/** What the citizen reads and quotes: the first 8 characters of the payment id. */
export function reference(paymentId: string): string {
  return paymentId.slice(0, 8).toUpperCase();
}
