import type { PaymentProvider, ProviderStatus } from './port.js';
import type { Payment, PaymentState } from './payment.js';
import type { PaymentStore } from './store/port.js';
import type { Logger } from '../observability/logger.js';

export interface HintConfirmationDeps {
  store: PaymentStore;
  apply(payment: Payment, status: ProviderStatus, source: string): Promise<PaymentState>;
  logger?: Logger;
}

/**
 * Confirms an unsigned (or weakly authenticated) callback with the provider's status API and
 * applies what the API says; the callback's own claim is never believed. A hint may be the first
 * to name the provider's id (the push answer was lost): it is asked about before it is kept, so a
 * hint cannot pin a payment to someone else's transaction. Rejects when the status API or the
 * store is away: the job retries, and the poller also runs.
 *
 * A hint for a payment already succeeded (and told to the portal) is asked about too, never
 * answered from the record: the status API is the only one who can say that the provider has since
 * reversed it. Such an answer cannot undo the success (the state machine refuses the move; the
 * portal may have delivered the service): the payment is flagged `failed_after_success` for finance.
 */
export async function confirmHint(
  deps: HintConfirmationDeps,
  provider: PaymentProvider,
  paymentId: string,
  candidateReference?: string,
  signal?: AbortSignal,
  /** The payment as the caller has just read it (the confirmation job), to spare a second read. */
  read?: Payment,
  /** Called as the status question leaves: a hint that came before it is answered by it (`HintConfirmations`). */
  onAsk?: () => void,
): Promise<PaymentState | null> {
  let payment = read?.id === paymentId ? read : await deps.store.get(paymentId);
  if (!payment || payment.provider !== provider.name) return null;
  const candidate = payment.providerReference ?? candidateReference;
  onAsk?.();
  const status = await provider.checkStatus({ paymentId: payment.id, ...(candidate ? { providerReference: candidate } : {}) }, signal);
  if (candidate && !payment.providerReference && status.status !== 'pending') {
    const kept = await deps.store.rememberReference(payment.id, candidate);
    payment = { ...payment, ...(kept ? { providerReference: kept } : {}) };
  }
  const state = await deps.apply(payment, status, 'callback hint');
  if (status.status === 'failed' && state === 'succeeded' && (await deps.store.flag(payment.id, 'failed_after_success'))) {
    deps.logger?.error({ paymentId: payment.id, provider: provider.name, reason: status.reason }, 'provider reports a recorded success as failed: flagged for reconciliation');
  }
  return state;
}
