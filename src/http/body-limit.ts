import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { errorResponse } from './errors.js';

/**
 * Refuses bodies over `maxBytes` with a 413 and a JSON reason. When the request declares its
 * length, the header alone decides (and the body is later read through the runtime's fast path:
 * on Node, Hono's own `bodyLimit` touches `req.raw.body`, which builds a full web-stream Request
 * per hop and costs more than the rest of a USSD hop). Chunked bodies are counted as they stream.
 */
export function limitBodySize(maxBytes: number): MiddlewareHandler {
  const tooLarge = (c: Context) => errorResponse(c, 'payload_too_large', `body over ${maxBytes} bytes`);
  const streamed = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return async function limitBodySize(c, next) {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const declared = c.req.header('content-length');
    if (declared !== undefined && c.req.header('transfer-encoding') === undefined) {
      return Number(declared) > maxBytes ? tooLarge(c) : next();
    }
    return streamed(c, next);
  };
}
