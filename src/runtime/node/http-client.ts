import type { IncomingHttpHeaders } from 'node:http';
import type { ConnectionOptions } from 'node:tls';
import { Agent, request, type Dispatcher } from 'undici';
import type { HttpAnswer, HttpFetch, HttpRequestInit } from '../../lib/http-fetch.js';

/**
 * Outbound HTTP for the Node runtime: the portal's X-Road / UXP client and the payment APIs (MoMo,
 * Moov, FedaPay, KKiaPay) call through this instead of the global `fetch` (issue 18 part 2).
 *
 * Why: a `fetch` call on Node builds a WHATWG Request, Headers, a Response and a web stream for its
 * body, and reads the body through that stream; under a burst of a thousand payments each one makes a
 * status GET and a portal POST, and those objects were a visible share of the gateway's CPU. undici's
 * `request` (the library under Node's `fetch`) over one pooled keep-alive `Agent` answers the same
 * call with a plain object and a Node stream. The answers here are small JSON or XML documents, so the
 * body is read whole before the promise resolves (bounded by `maxBodyBytes`): a caller that looks only
 * at the status (MoMo's 202) can never leave a pooled connection held by an unread body.
 *
 * What stays as `fetch` has it: a signal aborts the call and the promise rejects with the signal's
 * reason (a deadline's `TimeoutError`); a failure before an answer rejects with `TypeError('fetch
 * failed', { cause })` where `cause` is the socket's error, so `nothingSent` still tells a refused
 * connection (nothing left) from a reset (may have arrived); a non-2xx answer resolves, `ok` false.
 * What differs: redirects are not followed (none of these APIs redirects; a 3xx answers, not ok),
 * and the promise resolves once the whole body is in, not at the headers.
 */
export interface KeepAliveFetchOptions {
  /** Connections kept per origin at most (undici queues the calls beyond them). */
  connections?: number;
  /** How long an idle connection is kept (below the servers' own keep-alive, Node's default 5 s). */
  keepAliveTimeoutMs?: number;
  /** An answer larger than this is refused (these APIs answer in a few hundred bytes). */
  maxBodyBytes?: number;
  /** TLS for the sockets: the X-Road client certificate and the platform's CA. */
  tls?: ConnectionOptions;
}

const DEFAULT_MAX_BODY_BYTES = 1_048_576;

const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);

function methodOf(method: string | undefined): Dispatcher.HttpMethod {
  const upper = (method ?? 'GET').toUpperCase();
  if (!METHODS.has(upper)) throw new TypeError(`unsupported HTTP method ${method}`);
  return upper as Dispatcher.HttpMethod;
}

/** The answer's headers by name, as `Headers.get` reads them (repeated ones joined by `, `). */
class AnswerHeaders {
  constructor(private readonly raw: IncomingHttpHeaders) {}
  get(name: string): string | null {
    const value = this.raw[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  }
}

class KeepAliveAnswer implements HttpAnswer {
  readonly ok: boolean;
  readonly headers: AnswerHeaders;
  constructor(
    readonly status: number,
    headers: IncomingHttpHeaders,
    private readonly body: string,
  ) {
    this.ok = status >= 200 && status < 300;
    this.headers = new AnswerHeaders(headers);
  }
  text(): Promise<string> {
    return Promise.resolve(this.body);
  }
  json(): Promise<unknown> {
    // A parse error rejects, as Response.json() does.
    return new Promise((resolve) => resolve(JSON.parse(this.body) as unknown));
  }
}

/** Builds a keep-alive client with its own connection pool; `close()` ends the pool's sockets. */
export function createKeepAliveFetch(options: KeepAliveFetchOptions = {}): HttpFetch & { close(): Promise<void> } {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const agent = new Agent({
    connections: options.connections ?? 128,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
    ...(options.tls ? { connect: options.tls } : {}),
  });

  async function keepAliveFetch(url: string, init: HttpRequestInit = {}): Promise<HttpAnswer> {
    const { signal } = init;
    if (signal?.aborted) throw signal.reason;
    let answer: Dispatcher.ResponseData;
    try {
      answer = await request(url, {
        dispatcher: agent,
        method: methodOf(init.method),
        ...(init.headers ? { headers: init.headers } : {}),
        ...(init.body !== undefined ? { body: init.body } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      throw failure(error, signal);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of answer.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > maxBodyBytes) {
          answer.body.destroy();
          throw new Error(`answer larger than ${maxBodyBytes} bytes`);
        }
        chunks.push(chunk);
      }
    } catch (error) {
      throw failure(error, signal);
    }
    const body = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
    return new KeepAliveAnswer(answer.statusCode, answer.headers, body);
  }

  return Object.assign(keepAliveFetch, { close: () => agent.close() });
}

/** What `fetch` would have rejected with: the signal's reason once aborted, else a TypeError around the cause. */
function failure(error: unknown, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted) return signal.reason;
  return new TypeError('fetch failed', { cause: error });
}

/** The process's client, for the Node composition root (`gateway.ts`, `portal-wiring.ts`). */
export const keepAliveFetch: HttpFetch = createKeepAliveFetch();
