/**
 * Failures of a call over the interoperability platform, typed so callers know whether to retry.
 * X-Road and UXP report them as `{type, message, detail}` with an `X-Road-Error` header; the type
 * names the side at fault (`Client.*`, `Server.ServerProxy.*`, `Server.ClientProxy.*`).
 */
export type InteropErrorKind =
  /** The platform or the provider refused the request itself (access denied, unknown service, bad input). */
  | 'refused'
  /** The provider or a security server failed; trying again later may work. */
  | 'unavailable'
  /** No answer within the service's time-out. */
  | 'timeout'
  /** The circuit breaker is open for this service: not even tried. */
  | 'circuit_open'
  /** An answer that does not match the service's declared schema. */
  | 'bad_response';

export class InteropError extends Error {
  constructor(
    readonly kind: InteropErrorKind,
    message: string,
    readonly details: { service: string; messageId: string; status?: number; type?: string; detail?: string },
  ) {
    super(message);
    this.name = 'InteropError';
  }

  /** Whether the same call may succeed later (a job retries; a hop gives up at once). */
  get retryable(): boolean {
    return this.kind === 'unavailable' || this.kind === 'timeout' || this.kind === 'circuit_open';
  }
}

/** Error types that say the request itself is wrong: retrying sends the same wrong request. */
const NOT_RETRYABLE = /^Client\.|AccessDenied|UnknownService|UnknownMember|InvalidRequest|ServiceDisabled|InvalidSignature/;

export function classifyErrorType(type: string | undefined, status: number): InteropErrorKind {
  if (type) return NOT_RETRYABLE.test(type) ? 'refused' : 'unavailable';
  return status >= 500 || status === 429 ? 'unavailable' : 'refused';
}
