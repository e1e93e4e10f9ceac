import type { PaymentCallbackDoc } from './callback-doc.js';
import type { ProviderStatus } from './port.js';

/** A callback as it arrived: raw body (signatures cover bytes, not parsed JSON) and headers. */
export interface CallbackRequest {
  rawBody: string;
  header(name: string): string | undefined;
}

/**
 * What a provider makes of a callback. `hint`: which payment to re-check with the status API
 * (unsigned or weakly authenticated callbacks); `verified`: a signed callback's status, still
 * applied idempotently. Either may name the provider's own id for the payment.
 */
export type CallbackVerdict =
  | { kind: 'hint'; paymentId: string; providerReference?: string }
  | { kind: 'verified'; paymentId: string; status: ProviderStatus; providerReference?: string }
  | { kind: 'rejected'; httpStatus: 400 | 401 | 403; reason: string }
  /** Authentic, but about nothing we track (another event type): acknowledged so it is not resent. */
  | { kind: 'ignored'; reason: string };

export interface CallbackParser {
  parseCallback(request: CallbackRequest, nowMs: number): Promise<CallbackVerdict>;
  /** The callback's wire format for the OpenAPI document, made from the schema `parseCallback` reads with. */
  callbackDoc?: PaymentCallbackDoc;
}
