import { AmbiguousCollectionError } from '../payments/port.js';
import type { HttpAnswer } from './http-fetch.js';

/**
 * Telling a collection request that never left from one that may have reached the provider.
 * It matters for APIs without an idempotency key (Moov, KKiaPay): the first may be retried, the
 * second must not be sent again (`AmbiguousCollectionError`). Web-standard only.
 */

/**
 * Connection errors that prove no byte of the request left this machine: the connection was
 * refused, or the host name did not resolve. Anything else once `fetch` was called may have
 * reached the provider. On Workers `fetch` errors carry no code, so every failure there counts
 * as possibly sent: the safe side.
 */
const NOTHING_SENT_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

/** True when a `fetch` rejection proves the request never left. */
export function nothingSent(error: unknown): boolean {
  if (!(error instanceof TypeError) || !(error.cause instanceof Error)) return false;
  const cause: Error & { errors?: unknown } = error.cause;
  // Node tries each address of a host in turn and reports an AggregateError when all refuse.
  const causes: unknown[] = Array.isArray(cause.errors) && cause.errors.length > 0 ? cause.errors : [cause];
  return causes.every((c) => c instanceof Error && 'code' in c && typeof c.code === 'string' && NOTHING_SENT_CODES.has(c.code));
}

/** A fetch failure in one line for logs and payment history: message and system error code. */
export function describeFetchFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause : null;
  const code = cause && 'code' in cause && typeof cause.code === 'string' ? cause.code : null;
  return code ? `${error.message} (${code})` : `${error.name}: ${error.message}`;
}

/**
 * Sends a request that must not be resent once it may have arrived (a push without an
 * idempotency key) and reads its whole answer. A failure that proves nothing left is a plain
 * Error (the job retries); any other failure, the body cut off included, is ambiguous.
 */
export async function sendOnce(label: string, send: () => Promise<HttpAnswer>): Promise<{ status: number; ok: boolean; text: string }> {
  let res: HttpAnswer;
  try {
    res = await send();
  } catch (error) {
    if (nothingSent(error)) throw new Error(`${label}: ${describeFetchFailure(error)}, nothing sent`, { cause: error });
    throw new AmbiguousCollectionError(`${label}: ${describeFetchFailure(error)}`, { cause: error });
  }
  try {
    return { status: res.status, ok: res.ok, text: await res.text() };
  } catch (error) {
    throw new AmbiguousCollectionError(`${label}: HTTP ${res.status}, answer cut off (${describeFetchFailure(error)})`, { cause: error });
  }
}
