import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorAnswer, type ApiErrorCode, type ErrorResponseOptions } from '../../http/errors.js';

/**
 * What the Node runtime's direct listeners (`ussd-listener.ts`, `notification-listener.ts`) share
 * to answer a request straight from `node:http` as the Hono app would: the app's security headers,
 * its body limit and its JSON error envelope.
 */

/**
 * The same headers the app's `securityHeaders` middleware puts on every answer (`src/http/app.ts`):
 * an answer is never sniffed into a page, nor kept by a cache (it carries request statuses and ids).
 */
export const SECURITY_HEADERS = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' } as const;

/** An answer as a direct listener writes it. */
export interface DirectAnswer {
  status: number;
  contentType: string;
  body: string;
}

/** Writes `answer` with the security headers and `extra`; nothing when the socket is gone or an answer already left. */
export function writeAnswer(res: ServerResponse, answer: DirectAnswer, extra?: Readonly<Record<string, string>>): void {
  if (res.headersSent || res.destroyed) return;
  // The length given: headers written by writeHead would otherwise send the body chunked.
  res.writeHead(answer.status, { 'content-type': answer.contentType, 'content-length': Buffer.byteLength(answer.body), ...SECURITY_HEADERS, ...extra }).end(answer.body);
}

/** A JSON answer as Hono's `c.json` makes it: `JSON.stringify` of the body, `application/json`. */
export function jsonAnswer(status: number, body: unknown): DirectAnswer {
  return { status, contentType: 'application/json', body: JSON.stringify(body) };
}

/** The app's error envelope (`errorAnswer`) as a JSON answer. */
export function errorJson<C extends ApiErrorCode>(code: C, reason: string, options: ErrorResponseOptions<C> = {}): DirectAnswer {
  const { status, body } = errorAnswer(code, reason, options);
  return jsonAnswer(status, body);
}

/** The app's body limit's 413 (`src/http/body-limit.ts`). */
export function tooLarge(maxBytes: number): DirectAnswer {
  return errorJson('payload_too_large', `body over ${maxBytes} bytes`);
}

/** As the app's body limit: a declared length alone decides (a chunked body is counted as it arrives, `readBody`). */
export function declaredTooLarge(req: IncomingMessage, maxBytes: number): boolean {
  const declared = req.headers['content-length'];
  return declared !== undefined && req.headers['transfer-encoding'] === undefined && Number(declared) > maxBytes;
}

/** The body, counted as it arrives (a chunked body declares no length): over the limit, the rest is not kept. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Uint8Array | 'too large' | 'aborted'> {
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
 * The body within the app's limit, as its body-limit middleware runs before any route: a declared
 * or streamed excess is answered 413 here (null); 'aborted' when the client hung up.
 */
export async function bodyWithinLimit(req: IncomingMessage, res: ServerResponse, maxBytes: number): Promise<Uint8Array | 'aborted' | null> {
  if (declaredTooLarge(req, maxBytes)) {
    writeAnswer(res, tooLarge(maxBytes));
    return null;
  }
  const body = await readBody(req, maxBytes);
  if (body === 'too large') {
    writeAnswer(res, tooLarge(maxBytes));
    return null;
  }
  return body;
}

/** A header as Hono's `c.req.header` gives it: repeated ones joined. */
export function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
