import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from '../../observability/logger.js';
import type { CallbackHeaders, PaymentCallbackHttp } from '../../payments/callback-route.js';
import { bodyWithinLimit, errorJson, headerOf, jsonAnswer, writeAnswer, type DirectAnswer } from './direct-answer.js';

export interface PaymentCallbackListenerOptions {
  /** `MAX_BODY_BYTES` of the app: a larger body is refused (413) as the app's body limit does. */
  maxBodyBytes: number;
  /** What the app's `onError` logs with. */
  logger: Logger;
}

/**
 * `/payments/<provider>/callback`, a query string allowed, the provider's name as providers are
 * named (lower case, digits, hyphens). Anything else (an escape, a trailing slash, capitals) is
 * Hono's to answer, as it would have.
 */
const CALLBACK_PATH = /^\/payments\/([a-z0-9][a-z0-9-]{0,39})\/callback(?:\?|$)/;

/** As `c.req.text()` decodes a body: UTF-8, a leading BOM dropped, invalid bytes replaced. */
const utf8 = new TextDecoder();

/**
 * The Node server's request listener: payment providers' callbacks (`POST|PUT
 * /payments/<provider>/callback`) answered straight from `node:http`, everything else by
 * `fallback`. In a burst of callbacks, @hono/node-server's Request and Response adaptation and
 * Hono's context and middleware were about a tenth of the gateway's CPU per payment (issue 18
 * part 2). The answer comes from the same `PaymentCallbackHttp` the Hono route calls (the
 * provider's parser and signature check, the id's shape, the store, the hand-over of a hint), and
 * what the app adds around it is redone here: the body limit (declared or streamed, 413), the
 * security headers, and `onError`'s answers (a client gone: 400; what nobody planned: 503 with
 * `retry-after`, so the provider calls back again). A provider cannot tell which path answered:
 * `test/payment-callback-listener.test.ts` sends every request through both.
 */
export function paymentCallbacksFirst(callbacks: PaymentCallbackHttp, fallback: RequestListener, options: PaymentCallbackListenerOptions): RequestListener {
  return (req, res) => {
    const provider = (req.method === 'POST' || req.method === 'PUT') && req.url !== undefined ? CALLBACK_PATH.exec(req.url)?.[1] : undefined;
    if (provider === undefined) {
      fallback(req, res);
      return;
    }
    answerCallback(req, res, provider, callbacks, options).catch((error: unknown) => unplanned(res, req, error, options.logger));
  };
}

async function answerCallback(req: IncomingMessage, res: ServerResponse, provider: string, callbacks: PaymentCallbackHttp, options: PaymentCallbackListenerOptions): Promise<void> {
  const body = await bodyWithinLimit(req, res, options.maxBodyBytes);
  if (body === null) return;
  if (body === 'aborted') {
    // As the app's `onError` for a client that hung up: nothing was read, nothing changed.
    options.logger.info({ path: pathOf(req) }, 'request aborted by the client');
    writeAnswer(res, errorJson('bad_request', 'request aborted'));
    return;
  }
  let answer: DirectAnswer;
  let extra: Readonly<Record<string, string>> | undefined;
  try {
    const made = await callbacks.handle(provider, new NodeCallbackHeaders(req), utf8.decode(body));
    answer = jsonAnswer(made.status, made.body);
    extra = made.headers;
  } catch (error) {
    unplanned(res, req, error, options.logger);
    return;
  }
  writeAnswer(res, answer, extra);
}

/** What the app's `onError` does with what nobody planned: logged, and a 503 with a retry hint. */
function unplanned(res: ServerResponse, req: IncomingMessage, error: unknown, logger: Logger): void {
  logger.error({ path: pathOf(req), err: error instanceof Error ? error.message : String(error) }, 'unhandled error');
  writeAnswer(res, errorJson('unavailable', 'temporarily unavailable, retry later'), { 'retry-after': '5' });
}

/** The path without its query, as `c.req.path` gives it. */
function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/** The call's headers as `PaymentCallbackHttp` reads them. A class: no closures made per request. */
class NodeCallbackHeaders implements CallbackHeaders {
  constructor(private readonly req: IncomingMessage) {}

  header(name: string): string | undefined {
    return headerOf(this.req, name);
  }
}
