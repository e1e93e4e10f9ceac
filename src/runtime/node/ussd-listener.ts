import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { UssdHttp, UssdHttpCaller } from '../../channels/ussd/route.js';
import type { Logger } from '../../observability/logger.js';
import { declaredTooLarge, errorJson, headerOf, readBody, tooLarge, writeAnswer } from './direct-answer.js';

export interface UssdListenerOptions {
  /** `MAX_BODY_BYTES` of the app: a larger body is refused (413) as the app's body limit does. */
  maxBodyBytes: number;
  /** The caller's address from the socket's and the `X-Forwarded-For` header (the app's `clientIp`, without Hono). */
  clientIp(socketAddress: string | undefined, forwardedFor: string | undefined): string | undefined;
  logger: Logger;
}

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
      writeAnswer(res, errorJson('unavailable', 'temporarily unavailable, retry later'), { 'retry-after': '5' });
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
  // As the app's body limit: a declared length alone decides, before anything else is looked at.
  if (declaredTooLarge(req, options.maxBodyBytes)) {
    writeAnswer(res, tooLarge(options.maxBodyBytes));
    return;
  }
  const admitted = ussd.admit(provider, new NodeCaller(req, options));
  const denied = admitted === null ? null : await admitted;
  if (denied) {
    writeAnswer(res, denied);
    return;
  }
  const body = await readBody(req, options.maxBodyBytes);
  if (body === 'too large') {
    writeAnswer(res, tooLarge(options.maxBodyBytes));
    return;
  }
  if (body === 'aborted') {
    // Nothing was read, nothing changed; the app logs the same and its answer reaches nobody either.
    options.logger.info({ path: req.url?.split('?')[0] }, 'request aborted by the client');
    writeAnswer(res, errorJson('bad_request', 'request aborted'));
    return;
  }
  writeAnswer(res, await answer(provider, req.headers['content-type'] ?? '', body));
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
