/**
 * The port every payment API implements (MTN MoMo, Moov Money, FedaPay, KKiaPay, the sandbox).
 * Guichet's payment id is the provider's external reference, so asking twice for the same id
 * is recognisable on both sides.
 */

export interface CollectionRequest {
  paymentId: string;
  amountXof: number;
  /** E.164. */
  payerMsisdn: string;
  /** Shown in the operator's PIN prompt. */
  description: string;
}

/** What a provider says about a collection. `pending`: the citizen has not yet answered the PIN prompt. */
export type ProviderStatus =
  | { status: 'pending' }
  | { status: 'succeeded'; providerTransactionId: string }
  | { status: 'failed'; reason: string };

export interface PaymentProvider {
  /** Registry name, e.g. `sandbox`, `mtn-momo`. */
  readonly name: string;
  /** Asks the provider to push the PIN prompt. Rejects on a transport error (the job retries). */
  requestCollection(request: CollectionRequest, signal?: AbortSignal): Promise<ProviderStatus>;
  /** The authoritative status of a collection, by Guichet's payment id. */
  checkStatus(paymentId: string, signal?: AbortSignal): Promise<ProviderStatus>;
}
