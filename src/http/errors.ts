import type { Context } from 'hono';
import type { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/**
 * Every error the HTTP API answers, by code: the statuses it is sent with (the first is its own;
 * another one only where a provider's or the client's protocol needs that status) and what it
 * means. A closed list: a route answers one of these or nothing. The OpenAPI description is made
 * from this table (`API_ERROR_CODES`, `API_ERRORS[code].statuses`, `.meaning`).
 */
export const API_ERRORS = {
  bad_request: {
    statuses: [400, 415],
    meaning: 'The request is malformed: a field missing or invalid, or (415) a content type the route does not read.',
  },
  bad_encoding: { statuses: [400], meaning: 'The body is not valid UTF-8.' },
  unauthorized: { statuses: [401], meaning: 'A secret, API key, bearer token or signature is missing or wrong.' },
  forbidden: { statuses: [403], meaning: 'The caller’s address is outside the allowlist of this provider or route, or the agency is not among those the route allows.' },
  rejected: {
    statuses: [400, 401, 403],
    meaning: 'A payment provider’s callback failed that provider’s own checks (400: not its shape; 401/403: signature or secret).',
  },
  not_found: { statuses: [404], meaning: 'No such route, or no such resource for this caller.' },
  unknown_provider: { statuses: [404], meaning: 'No USSD provider of that name is registered.' },
  not_supported: { statuses: [404], meaning: 'This provider has no such endpoint (it sends session ends with its hops).' },
  payload_too_large: { statuses: [413], meaning: 'The body is over the size limit; it was not read.' },
  too_long: { statuses: [422], meaning: 'The notification needs more SMS segments than allowed; nothing was sent.' },
  rate_limited: {
    statuses: [429],
    meaning: 'Over the caller’s rate (an agency’s notifications a minute, counted over every instance): nothing was done; retry after the seconds in Retry-After.',
  },
  unavailable: { statuses: [503], meaning: 'A store, queue or upstream is away; nothing was recorded, retry later.' },
} as const satisfies Record<string, { statuses: readonly [ContentfulStatusCode, ...ContentfulStatusCode[]]; meaning: string }>;

export type ApiErrorCode = keyof typeof API_ERRORS;

/** The codes in table order, for schemas and tests. */
export const API_ERROR_CODES = Object.keys(API_ERRORS) as readonly ApiErrorCode[];

/** The statuses a code may be sent with. */
export type ApiErrorStatus<C extends ApiErrorCode> = (typeof API_ERRORS)[C]['statuses'][number];

/**
 * The body of every error answer: the code, a reason for the human reading the logs of the caller
 * (never personal data), and for some codes figures that say more (`too_long`: `segments`,
 * `maxSegments`).
 */
export interface ApiErrorBody {
  error: ApiErrorCode;
  reason: string;
  [detail: string]: string | number;
}

export interface ErrorResponseOptions<C extends ApiErrorCode> {
  /** One of the code's statuses; absent: its own (the first). */
  status?: ApiErrorStatus<C>;
  /** Extra figures beside `error` and `reason`. */
  details?: Readonly<Record<string, string | number>> & { error?: never; reason?: never };
  /** Headers the answer carries (`retry-after`, `www-authenticate`). */
  headers?: Readonly<Record<string, string>>;
}

/**
 * The one way a route answers an error: `{ error, reason, ...details }` as JSON, with the code's
 * status. Returned, not thrown: routes and their guards (`Response | null`) already end early,
 * a refused hop builds no exception, and `onError` stays for what nobody planned (its 503 is
 * also made here).
 */
export function errorResponse<C extends ApiErrorCode>(c: Context, code: C, reason: string = API_ERRORS[code].meaning, options: ErrorResponseOptions<C> = {}): Response {
  const { status, body } = errorAnswer(code, reason, options);
  return c.json(body, status, options.headers ? { ...options.headers } : undefined);
}

/**
 * The status and body `errorResponse` sends, for a transport that writes its own answers (the Node
 * runtime's USSD hop path, `src/runtime/node/ussd-listener.ts`): the same envelope without Hono.
 */
export function errorAnswer<C extends ApiErrorCode>(code: C, reason: string = API_ERRORS[code].meaning, options: ErrorResponseOptions<C> = {}): { status: ContentfulStatusCode; body: ApiErrorBody } {
  const status: ContentfulStatusCode = options.status ?? API_ERRORS[code].statuses[0];
  return { status, body: { error: code, reason, ...options.details } };
}

/**
 * `errorAnswer` with the headers its options carry (`retry-after`): what the framework-free route
 * handlers (`NotificationHttp`, `PaymentCallbackHttp`) answer, for Hono's `c.json` or a Node listener to write.
 */
export function errorAnswerWithHeaders<C extends ApiErrorCode>(code: C, reason: string, options: ErrorResponseOptions<C> = {}): { status: ContentfulStatusCode; body: ApiErrorBody; headers?: Readonly<Record<string, string>> } {
  const { status, body } = errorAnswer(code, reason, options);
  return options.headers ? { status, body, headers: options.headers } : { status, body };
}

/** A schema's complaints in one reason: `to: Too small; params.x: Invalid input` (`body` for the root). */
export function validationReason(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues.map((issue) => `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`).join('; ');
}

/**
 * An `HTTPException` (thrown by Hono's own helpers) in the envelope: its status when a code has it,
 * else `bad_request` for a client error and `unavailable` for the rest. One that carries a
 * response built on purpose (`res`) is answered as built.
 */
export function httpExceptionResponse(c: Context, exception: HTTPException): Response {
  if (exception.res) return exception.getResponse();
  const reason = exception.message || undefined;
  switch (exception.status) {
    case 400:
    case 415:
      return errorResponse(c, 'bad_request', reason, { status: exception.status });
    case 401:
      return errorResponse(c, 'unauthorized', reason);
    case 403:
      return errorResponse(c, 'forbidden', reason);
    case 404:
      return errorResponse(c, 'not_found', reason);
    case 413:
      return errorResponse(c, 'payload_too_large', reason);
    default:
      return exception.status < 500 ? errorResponse(c, 'bad_request', reason) : errorResponse(c, 'unavailable', reason);
  }
}
