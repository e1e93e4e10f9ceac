import type { Hono } from 'hono';
import type { Logger } from '../observability/logger.js';
import { confirmHint } from './confirm-hint.js';
import type { CallbackParser } from './payment-provider-callback.js';
import type { PaymentProvider, ProviderStatus } from './payment-provider.js';
import type { PaymentProviderDirectory } from './provider-directory.js';
import type { Payment, PaymentState } from './payment.js';
import type { PaymentStore } from './payment-store.js';

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

  app.on(['POST', 'PUT'], '/payments/:provider/callback', async (c) => {
    const name = c.req.param('provider');
    const provider: (PaymentProvider & Partial<CallbackParser>) | undefined = deps.providers.byName(name);
    if (!provider?.parseCallback) return c.json({ error: 'not_found', reason: `no payment provider ${name} takes callbacks` }, 404);
    const rawBody = await c.req.text();
    const verdict = await provider.parseCallback({ rawBody, header: (h) => c.req.header(h) }, now());
    if (verdict.kind === 'rejected') {
      deps.logger.warn({ provider: name, reason: verdict.reason }, 'payment callback rejected');
      return c.json({ error: 'rejected', reason: verdict.reason }, verdict.httpStatus);
    }
    if (verdict.kind === 'ignored') return c.json({ ignored: verdict.reason });
    let payment = await deps.store.get(verdict.paymentId);
    if (!payment || payment.provider !== name) return c.json({ error: 'not_found', reason: 'no such payment' }, 404);
    if (verdict.kind === 'hint') {
      try {
        if (deps.enqueueHintConfirmation) {
          await deps.enqueueHintConfirmation(payment.id, verdict.providerReference);
        } else {
          void confirmHint(deps, provider, payment.id, verdict.providerReference).catch((error: Error) => {
            deps.logger.warn({ provider: name, paymentId: payment!.id, err: error.message }, 'payment callback not confirmed');
          });
        }
      } catch (error) {
        // The queue (Redis) is away: the provider retries its callback, the poller also runs.
        deps.logger.warn({ provider: name, paymentId: payment.id, err: (error as Error).message }, 'payment callback not queued');
        return c.json({ error: 'unavailable', reason: 'callback could not be queued, retry later' }, 503);
      }
      return c.json({ paymentId: payment.id, queued: true }, 202);
    }
    try {
      // Signed by the provider: its id for the payment is kept as it comes.
      if (verdict.providerReference && !payment.providerReference) payment = await keepReference(payment, verdict.providerReference);
      const state = await deps.apply(payment, verdict.status, 'callback verified');
      return c.json({ paymentId: payment.id, state });
    } catch (error) {
      deps.logger.warn({ provider: name, paymentId: payment.id, err: (error as Error).message }, 'payment callback not applied');
      return c.json({ error: 'unavailable', reason: 'status could not be applied, retry later' }, 503);
    }
  });
}
