/**
 * The port every payment API implements (MTN MoMo, Moov Money, FedaPay, KKiaPay, the sandbox).
 * Guichet's payment id goes to the provider as its external reference wherever the API takes
 * one, so asking twice for the same id is recognisable on both sides. Providers that name a
 * collection by their own id (FedaPay, KKiaPay, Moov) hand it back as `providerReference`, and
 * the payment keeps it for every later status question.
 */

export interface CollectionRequest {
  paymentId: string;
  amountXof: number;
  /** E.164. */
  payerMsisdn: string;
  /** `MTN`, `MOOV`, `CELTIIS`: aggregators pick the wallet from it. */
  operator: string;
  /** Shown in the operator's PIN prompt. */
  description: string;
  /** The provider's own id, if an earlier attempt already got one. */
  providerReference?: string;
  /**
   * Keeps the provider's id with the payment before the PIN prompt is pushed, and answers the id
   * to use: the first one ever kept wins, so a retried job never pushes a second transaction.
   */
  rememberReference(reference: string): Promise<string>;
}

/** What a provider says about a collection. `pending`: the citizen has not yet answered the PIN prompt. */
export type ProviderStatus =
  | { status: 'pending' }
  /**
   * `amountXof` and `currency` when the provider reports them: a success for another amount or in
   * another currency than the provider's `currency` is not credited (`amount_mismatch`).
   * `refunded`: the provider reports the payment paid and then refunded, wholly or in part
   * (FedaPay's `refunded`, `*_partially_refunded`): it was paid, and finance must look.
   */
  | { status: 'succeeded'; providerTransactionId: string; amountXof?: number; currency?: string; refunded?: 'full' | 'partial' }
  | { status: 'failed'; reason: string };

/** Which collection a status question is about. */
export interface CollectionRef {
  paymentId: string;
  providerReference?: string;
}

export interface PaymentProvider {
  /** Registry name, e.g. `sandbox`, `mtn-momo`. */
  readonly name: string;
  /**
   * Whether asking again for the same payment is recognised by the provider (MoMo's
   * `X-Reference-Id`, FedaPay's kept transaction), so a failed request may simply be retried.
   * When false, the payment service sends the request at most once per payment.
   */
  readonly resendSafe: boolean;
  /** What the provider collects in, when it says (MoMo's sandbox: EUR); XOF otherwise. */
  readonly currency?: string;
  /**
   * The provider was told where to call back on each payment's outcome (MoMo's `X-Callback-Url`,
   * KKiaPay's `callback`, FedaPay's dashboard webhook): the outcome normally arrives by callback,
   * so the status poller backs off (`pollDelayMs` in `queues.ts`) and stays only as the net for a
   * lost callback. Absent or false, the poller is how outcomes are learnt, at its full pace.
   */
  readonly callsBack?: boolean;
  /** Asks the provider to push the PIN prompt. Rejects on a transport error (the job retries). */
  requestCollection(request: CollectionRequest, signal?: AbortSignal): Promise<ProviderStatus>;
  /** The authoritative status of a collection. */
  checkStatus(ref: CollectionRef, signal?: AbortSignal): Promise<ProviderStatus>;
}

/**
 * The collection request may have reached the provider but no answer came back (a time-out, a
 * 5xx). From a provider that is not `resendSafe`, the payment then waits, pending, for a status
 * or a callback, and expires into the reconciliation report if none comes. Any other error from
 * such a provider means nothing was sent: the payment fails at once, nothing charged.
 */
export class AmbiguousCollectionError extends Error {
  override readonly name = 'AmbiguousCollectionError';
}
