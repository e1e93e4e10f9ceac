import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { UssdHttp, UssdHttpAnswer, UssdHttpCaller } from '../../channels/ussd/route.js';
import { errorAnswer } from '../../http/errors.js';
import type { Logger } from '../../observability/logger.js';

export interface UssdListenerOptions {
  /** `MAX_BODY_BYTES` of the app: a larger body is refused (413) as the app's body limit does. */
  maxBodyBytes: number;
  /** The caller's address from the socket's and the `X-Forwarded-For` header (the app's `clientIp`, without Hono). */
  clientIp(socketAddress: string | undefined, forwardedFor: string | undefined): string | undefined;
  logger: Logger;
}

/**
 * The same headers the app's `securityHeaders` middleware puts on every answer (`src/http/app.ts`):
 * a screen is never sniffed into a page, nor kept by a cache (it carries request statuses).
 */
const SECURITY_HEADERS = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' } as const;

/** Provider names as the dialect registry spells them; any other path is Hono's to answer (404 and all). */
const USSD_PATH = /^\/ussd\/([a-z0-9-]+)(\/session-end)?(?:\?|$)/;

/**
 * The Node server's request listener: `POST /ussd/<provider>` (and its `/session-end`) answered
 * straight from `node:http`, everything else by the Hono app (`fallback`). A hop is the one
 * request that comes thousands of times a second, and profiling put @hono/node-server's Request
 * and Response adaptation plus Hono's context and middleware at a fifth of a hop's CPU. The answer
 * itself comes from the same `UssdHttp` the Hono routes call (access checks, parsing, the hop
 * pipeline, rendering, error envelopes), with the app's body limit, security headers and error
 * handling redone here, so a provider cannot tell which path answered (`test/ussd-listener.test.ts`
 * sends every request through both and compares).
 */
export function ussdFirst(ussd: UssdHttp, fallback: RequestListener, options: UssdListenerOptions): RequestListener {
  return (req, res) => {
    const match = req.method === 'POST' && req.url !== undefined ? USSD_PATH.exec(req.url) : null;
    if (!match || !ussd.serves(match[1]!)) {
      fallback(req, res);
      return;
    }
    const provider = match[1]!;
    const answer = match[2] === undefined ? ussd.hop : ussd.sessionEnd;
    answerUssd(req, res, provider, answer, ussd, options).catch((error: unknown) => {
      // What the app's `onError` does with what nobody planned: logged, and a 503 with a retry hint.
      options.logger.error({ path: match[0].replace(/\?$/, ''), err: error instanceof Error ? error.message : String(error) }, 'unhandled error');
      write(res, errorJson('unavailable', 'temporarily unavailable, retry later'), { 'retry-after': '5' });
    });
  };
}

async function answerUssd(
  req: IncomingMessage,
  res: ServerResponse,
  provider: string,
  answer: UssdHttp['hop'],
  ussd: UssdHttp,
  options: UssdListenerOptions,
): Promise<void> {
  const declared = req.headers['content-length'];
  // As the app's body limit: a declared length alone decides, before anything else is looked at.
  if (declared !== undefined && req.headers['transfer-encoding'] === undefined && Number(declared) > options.maxBodyBytes) {
    write(res, tooLarge(options.maxBodyBytes));
    return;
  }
  const admitted = ussd.admit(provider, new NodeCaller(req, options));
  const denied = admitted === null ? null : await admitted;
  if (denied) {
    write(res, denied);
    return;
  }
  const body = await readBody(req, options.maxBodyBytes);
  if (body === 'too large') {
    write(res, tooLarge(options.maxBodyBytes));
    return;
  }
  if (body === 'aborted') {
    // Nothing was read, nothing changed; the app logs the same and its answer reaches nobody either.
    options.logger.info({ path: req.url?.split('?')[0] }, 'request aborted by the client');
    write(res, errorJson('bad_request', 'request aborted'));
    return;
  }
  write(res, await answer(provider, req.headers['content-type'] ?? '', body));
}

/** The body, counted as it arrives (a chunked body declares no length): over the limit, the rest is not kept. */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Uint8Array | 'too large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= maxBytes) chunks.push(chunk);
    });
    req.once('end', () => resolve(bytes > maxBytes ? 'too large' : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.once('error', () => resolve('aborted'));
    req.once('aborted', () => resolve('aborted'));
  });
}

/**
 * The caller as the access checks read it. A class, not an object of arrow functions: under tsx
 * (`npm start`), every named closure made per request costs a `__name` call (defineProperty).
 */
class NodeCaller implements UssdHttpCaller {
  constructor(
    private readonly req: IncomingMessage,
    private readonly options: UssdListenerOptions,
  ) {}

  header(name: string): string | undefined {
    return headerOf(this.req, name);
  }

  clientIp(): string | undefined {
    return this.options.clientIp(this.req.socket.remoteAddress, headerOf(this.req, 'x-forwarded-for'));
  }
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function write(res: ServerResponse, answer: UssdHttpAnswer, extra?: Readonly<Record<string, string>>): void {
  if (res.headersSent || res.destroyed) return;
  // The length given: headers written by writeHead would otherwise send the body chunked.
  res.writeHead(answer.status, { 'content-type': answer.contentType, 'content-length': Buffer.byteLength(answer.body), ...SECURITY_HEADERS, ...extra }).end(answer.body);
}

function tooLarge(maxBytes: number): UssdHttpAnswer {
  return errorJson('payload_too_large', `body over ${maxBytes} bytes`);
}

function errorJson(code: 'unavailable' | 'payload_too_large' | 'bad_request', reason: string): UssdHttpAnswer {
  const { status, body } = errorAnswer(code, reason);
  return { status, contentType: 'application/json', body: JSON.stringify(body) };
}
