import type { CollectionRequest, PaymentProvider, ProviderStatus } from '../../src/payments/port.js';

export interface SandboxOptions {
  /** How long the imaginary citizen takes to type the PIN. */
  approveAfterMs?: number;
  /** Payer numbers whose payments are declined, to try the failure path. */
  declineMsisdns?: readonly string[];
  now?: () => number;
}

/**
 * The embedded demo's payment API: no money moves. A collection stays pending for
 * `approveAfterMs`, then succeeds, or fails for the numbers listed to decline (the demo citizen
 * +2290166000002 by default). Asking again for the same payment id changes nothing, as with a
 * real provider's external reference.
 */
export function createSandboxPaymentProvider(options: SandboxOptions = {}): PaymentProvider {
  const approveAfterMs = options.approveAfterMs ?? 3000;
  const decline = new Set(options.declineMsisdns ?? ['+2290166000002']);
  const now = options.now ?? Date.now;
  const collections = new Map<string, { request: CollectionRequest; requestedAt: number }>();
  // A payment is asked about until it ends, minutes after it was requested: older entries (and any
  // beyond the cap) are forgotten, so the demo does not grow with every payment ever made.
  const forget = () => {
    const before = now() - approveAfterMs - SANDBOX_MEMORY_MS;
    for (const [id, collection] of collections) {
      if (collection.requestedAt > before && collections.size <= SANDBOX_MAX_COLLECTIONS) break;
      collections.delete(id);
    }
  };

  function statusOf(paymentId: string): ProviderStatus {
    const collection = collections.get(paymentId);
    if (!collection) return { status: 'failed', reason: 'unknown reference' };
    if (now() - collection.requestedAt < approveAfterMs) return { status: 'pending' };
    if (decline.has(collection.request.payerMsisdn)) return { status: 'failed', reason: 'payer declined' };
    // As short as real operators' ids (MoMo's are ten digits): it is shown on a USSD screen.
    return { status: 'succeeded', providerTransactionId: sandboxTransactionId(paymentId) };
  }

  return {
    name: 'sandbox',
    resendSafe: true,
    async requestCollection(request) {
      if (!collections.has(request.paymentId)) {
        collections.set(request.paymentId, { request, requestedAt: now() });
        forget();
      }
      return statusOf(request.paymentId);
    },
    async checkStatus({ paymentId }) {
      return statusOf(paymentId);
    },
  };
}

const SANDBOX_MEMORY_MS = 3_600_000;
const SANDBOX_MAX_COLLECTIONS = 10_000;

export function sandboxTransactionId(paymentId: string): string {
  return `SBX-${paymentId.slice(0, 8).toUpperCase()}`;
}
