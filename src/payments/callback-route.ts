import type { Hono } from 'hono';
import type { Logger } from '../observability/logger.js';
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
}

/**
 * `POST|PUT /payments/<provider>/callback`. Nothing in a callback is believed unless the provider
 * signs it and the signature checks; unsigned callbacks (MoMo) only name a payment to re-check
 * with the provider's status API. Replays and duplicates meet the state machine, which applies
 * each move once.
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
    try {
      let status: ProviderStatus;
      if (verdict.kind === 'verified') {
        // Signed by the provider: its id for the payment is kept as it comes.
        if (verdict.providerReference && !payment.providerReference) payment = await keepReference(payment, verdict.providerReference);
        status = verdict.status;
      } else {
        // A hint may be the first to name the provider's id (the push answer was lost). It is asked
        // about before it is kept: a hint cannot pin a payment to someone else's transaction.
        const candidate = payment.providerReference ?? verdict.providerReference;
        status = await provider.checkStatus({ paymentId: payment.id, ...(candidate ? { providerReference: candidate } : {}) });
        if (candidate && !payment.providerReference && status.status !== 'pending') payment = await keepReference(payment, candidate);
      }
      const state = await deps.apply(payment, status, `callback ${verdict.kind}`);
      return c.json({ paymentId: payment.id, state });
    } catch (error) {
      // The status API or the store is away: the provider retries its callback, the poller also runs.
      deps.logger.warn({ provider: name, paymentId: payment.id, err: (error as Error).message }, 'payment callback not confirmed');
      return c.json({ error: 'unavailable', reason: 'status could not be confirmed, retry later' }, 503);
    }
  });
}
