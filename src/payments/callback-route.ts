import type { Hono } from 'hono';
import type { z } from 'zod';
import { errorResponse } from '../http/errors.js';
import { describeRoutes } from '../http/route-descriptor.js';
import { paymentCallbackDescriptors, type AppliedAnswer, type IgnoredAnswer, type QueuedAnswer } from './callback-doc.js';
import type { Logger } from '../observability/logger.js';
import { confirmHint } from './confirm-hint.js';
import type { CallbackParser } from './payment-provider-callback.js';
import type { PaymentProvider, ProviderStatus } from './port.js';
import type { PaymentProviderDirectory } from './provider-directory.js';
import type { Payment, PaymentState } from './payment.js';
import { isPaymentId } from './payment-id.js';
import type { PaymentStore } from './store/port.js';

export interface PaymentCallbackDeps {
  providers: PaymentProviderDirectory;
  store: PaymentStore;
  apply(payment: Payment, status: ProviderStatus, source: string): Promise<PaymentState>;
  logger: Logger;
  now?: () => number;
  /**
   * Queues the confirmation of a hint (a durable job: `PaymentService.enqueueHintConfirmation`).
   * Absent, the confirmation runs detached in this process: the answer still leaves at once, and
   * the status poller is the net should the process die meanwhile.
   */
  enqueueHintConfirmation?(paymentId: string, candidateReference?: string): Promise<void>;
}

/**
 * `POST|PUT /payments/<provider>/callback`. Nothing in a callback is believed unless the provider
 * signs it and the signature checks; unsigned callbacks (MoMo) only name a payment to re-check
 * with the provider's status API. That check is queued, never awaited: MoMo gives up on a callback
 * after 2 s, retries, and blocks a URL that keeps failing (momodeveloper.mtn.com, "Callback"), so
 * the answer (202) must not wait on MoMo's own status API. Replays and duplicates meet the state
 * machine, which applies each move once.
 */
export function registerPaymentCallbackRoutes(app: Hono, deps: PaymentCallbackDeps): void {
  const now = deps.now ?? Date.now;
  async function keepReference(payment: Payment, reference: string): Promise<Payment> {
    const kept = await deps.store.rememberReference(payment.id, reference);
    return { ...payment, ...(kept ? { providerReference: kept } : {}) };
  }

  // Each provider that takes callbacks describes its own, with the schema its parser reads with.
  describeRoutes(app, ...deps.providers.all().flatMap((provider: PaymentProvider & Partial<CallbackParser>) => (provider.callbackDoc ? paymentCallbackDescriptors(provider.name, provider.callbackDoc) : [])));

  app.on(['POST', 'PUT'], '/payments/:provider/callback', async (c) => {
    const name = c.req.param('provider');
    const provider: (PaymentProvider & Partial<CallbackParser>) | undefined = deps.providers.byName(name);
    if (!provider?.parseCallback) return errorResponse(c, 'not_found', `no payment provider ${name} takes callbacks`);
    const rawBody = await c.req.text();
    const verdict = await provider.parseCallback({ rawBody, header: (h) => c.req.header(h) }, now());
    if (verdict.kind === 'rejected') {
      deps.logger.warn({ provider: name, reason: verdict.reason }, 'payment callback rejected');
      return errorResponse(c, 'rejected', verdict.reason, { status: verdict.httpStatus });
    }
    if (verdict.kind === 'ignored') return c.json({ ignored: verdict.reason } satisfies z.infer<typeof IgnoredAnswer>);
    // Checked before any store access: an outside string never reaches a store key (issue 11 item 7).
    if (!isPaymentId(verdict.paymentId)) return errorResponse(c, 'bad_request', 'not a payment id of ours');
    /**
     * The store or the queue is away (Redis down): 503 with a hint, so the provider retries later
     * rather than taking a 500 as final (MoMo retries and KKiaPay retries 5 times from 500 ms).
     */
    const unavailable = (paymentId: string, what: string, error: unknown) => {
      deps.logger.warn({ provider: name, paymentId, err: error instanceof Error ? error.message : String(error) }, `payment callback not ${what}`);
      return errorResponse(c, 'unavailable', `callback could not be ${what}, retry later`, { headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } });
    };
    if (verdict.kind === 'hint') {
      // A hint needs only to know that the payment is this provider's: the confirmation job reads
      // the whole payment when it runs. The history and flags `get` assembles were most of the
      // route's Redis work, for every duplicate too (issue 18 part 2).
      const paymentId = verdict.paymentId;
      let madeWith: string | null;
      try {
        madeWith = await deps.store.providerOf(paymentId);
      } catch (error) {
        return unavailable(paymentId, 'read', error);
      }
      if (madeWith !== name) return errorResponse(c, 'not_found', 'no such payment');
      try {
        if (deps.enqueueHintConfirmation) {
          await deps.enqueueHintConfirmation(paymentId, verdict.providerReference);
        } else {
          void confirmHint(deps, provider, paymentId, verdict.providerReference).catch((error: Error) => {
            deps.logger.warn({ provider: name, paymentId, err: error.message }, 'payment callback not confirmed');
          });
        }
      } catch (error) {
        // The queue (Redis) is away: the provider retries its callback, the poller also runs.
        return unavailable(paymentId, 'queued', error);
      }
      return c.json({ paymentId, queued: true } satisfies z.infer<typeof QueuedAnswer>, 202);
    }
    // A signed outcome is applied here: it needs the whole payment.
    let payment: Payment | null;
    try {
      payment = await deps.store.get(verdict.paymentId);
    } catch (error) {
      return unavailable(verdict.paymentId, 'read', error);
    }
    if (!payment || payment.provider !== name) return errorResponse(c, 'not_found', 'no such payment');
    const found = payment;
    try {
      // Signed by the provider: its id for the payment is kept as it comes.
      if (verdict.providerReference && !payment.providerReference) payment = await keepReference(payment, verdict.providerReference);
      const state = await deps.apply(payment, verdict.status, 'callback verified');
      return c.json({ paymentId: payment.id, state } satisfies z.infer<typeof AppliedAnswer>);
    } catch (error) {
      return unavailable(found.id, 'applied', error);
    }
  });
}

/** What a 503 asks the provider to wait: long enough for Redis to reconnect (1 s back-off at most). */
export const RETRY_AFTER_SECONDS = 5;
