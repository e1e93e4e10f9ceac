import { serve, type ServerType } from '@hono/node-server';
import { createServer, request as httpRequest, type RequestListener, type ServerOptions } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Gateway } from '../src/runtime/node/gateway.js';

/** A request as a provider or an agency puts it on the wire, for the listener suites' byte-for-byte comparisons. */
export interface WireRequest {
  method?: string;
  path: string;
  contentType?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Sent chunked (no Content-Length), as a proxy that streams would. */
  chunked?: boolean;
}

/** What the caller sees of an answer: everything but the date and the connection handling. */
export interface WireAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Headers that say how the bytes travelled, not what was answered: left out of the comparison. */
const TRANSPORT_HEADERS: ReadonlySet<string> = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);

/**
 * Sends one request with `node:http` (not `fetch`, which would normalise what is sent: a chunked
 * body, a missing content type) and reads the whole answer.
 */
export function sendWire(url: string, sent: WireRequest): Promise<WireAnswer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...sent.headers };
    if (sent.contentType) headers['content-type'] = sent.contentType;
    const req = httpRequest(`${url}${sent.path}`, { method: sent.method ?? 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const kept = Object.fromEntries(Object.entries(res.headers).filter(([name]) => !TRANSPORT_HEADERS.has(name)));
        resolve({ status: res.statusCode ?? 0, headers: kept as Record<string, string>, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
    if (sent.body !== undefined && sent.chunked) {
      // Two writes without a declared length: Node sends them chunked.
      const body = Buffer.from(sent.body);
      req.write(body.subarray(0, 10));
      req.end(body.subarray(10));
    } else {
      if (sent.body !== undefined) req.setHeader('content-length', Buffer.byteLength(sent.body));
      req.end(sent.body);
    }
  });
}

/**
 * Serves a Node gateway on a free loopback port as `npm start` does: with `direct`, through its own
 * request listener (the USSD, notification and payment-callback listeners in front of Hono);
 * without, through Hono alone. The listener suites send every request to one of each.
 */
export function serveGateway(gateway: Pick<Gateway, 'app' | 'requestListener'>, direct: boolean): Promise<{ url: string; server: ServerType }> {
  const createServerWith = ((options: ServerOptions, honoListener: RequestListener) => createServer(options, direct ? gateway.requestListener(honoListener) : honoListener)) as typeof createServer;
  return new Promise((resolve) => {
    const server = serve({ fetch: gateway.app.fetch, hostname: '127.0.0.1', port: 0, createServer: createServerWith }, (info: AddressInfo) => resolve({ url: `http://127.0.0.1:${info.port}`, server }));
  });
}
