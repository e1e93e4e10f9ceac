import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nothingSent, sendOnce } from '../../src/lib/fetch-failure.js';
import { AmbiguousCollectionError } from '../../src/payments/port.js';
import { createKeepAliveFetch } from '../../src/runtime/node/http-client.js';
import { freePort } from '../../testkit/loopback-server.js';

/**
 * The Node runtime's outbound client (`src/runtime/node/http-client.ts`) against a real `node:http`
 * server on loopback: connections reused, what it sends, the answers it reads (non-2xx included),
 * and the failures `fetch` has (deadline, abort, refused, reset, a body cut off), which the payment
 * providers' "was it sent?" rule reads.
 */
let server: Server;
let base: string;
const sockets = new Set<Socket>();
const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
const routes: Record<string, Handler> = {
  '/json': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-road-id': 'abc' });
    res.end(JSON.stringify({ status: 'SUCCESSFUL', amount: '1900' }));
  },
  '/echo': (req, res, body) => {
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ method: req.method, body, type: req.headers['content-type'] ?? null }));
  },
  '/accepted': (_req, res) => {
    // MoMo's request-to-pay: 202 and a body nobody reads.
    res.writeHead(202);
    res.end('accepted, and some bytes the caller never reads');
  },
  '/not-found': (_req, res) => {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"code":"RESOURCE_NOT_FOUND"}');
  },
  '/server-error': (_req, res) => {
    res.writeHead(503, { 'retry-after': '5' });
    res.end('busy');
  },
  '/not-json': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html>proxy error</html>');
  },
  '/cookies': (_req, res) => {
    res.setHeader('set-cookie', ['a=1', 'b=2']);
    res.end('');
  },
  '/big': (_req, res) => {
    res.end('x'.repeat(10_000));
  },
  '/chunked': (_req, res) => {
    res.write('{"part":');
    setTimeout(() => res.end('"two"}'), 20);
  },
  '/utf8': (_req, res) => {
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    // A multi-byte character split across two writes.
    const bytes = Buffer.from('Reçu: payé ✓', 'utf8');
    res.write(bytes.subarray(0, 4));
    setTimeout(() => res.end(bytes.subarray(4)), 10);
  },
  '/hang': () => {},
  '/slow-body': (_req, res) => {
    res.writeHead(200);
    res.write('{"started":');
  },
  '/reset': (req) => req.socket.destroy(),
  '/cut': (_req, res) => {
    res.writeHead(200, { 'content-length': '100' });
    res.write('{"partial":');
    setTimeout(() => res.socket?.destroy(), 10);
  },
};

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      (routes[new URL(req.url ?? '/', 'http://x').pathname] ?? ((_q, r) => r.writeHead(500).end()))(req, res, body);
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  connections.count = 0;
  server.on('connection', () => connections.count++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

const connections = { count: 0 };

describe('keepAliveFetch', () => {
  it('reuses its connections for calls in turn, the unread bodies included', async () => {
    const inTurn = async (http: ReturnType<typeof createKeepAliveFetch>) => {
      const before = connections.count;
      for (let i = 0; i < 20; i++) {
        const res = await http(`${base}/${i % 2 ? 'accepted' : 'json'}`);
        // Half of them never read their body (the 202): the pool must not be held by it.
        if (res.status === 200) expect(await res.json()).toEqual({ status: 'SUCCESSFUL', amount: '1900' });
      }
      await http.close();
      return connections.count - before;
    };
    expect(await inTurn(createKeepAliveFetch({ connections: 1 }))).toBe(1);
    // undici hands a socket back to its pool a moment after the answer's last byte, so the call
    // right behind the first may open a second one; from then on the two take turns.
    expect(await inTurn(createKeepAliveFetch({ connections: 8 }))).toBeLessThanOrEqual(2);
  });

  it('keeps at most `connections` sockets for calls at once, and reuses them', async () => {
    const http = createKeepAliveFetch({ connections: 3 });
    const before = connections.count;
    for (let wave = 0; wave < 5; wave++) await Promise.all(Array.from({ length: 12 }, () => http(`${base}/chunked`).then((r) => r.json())));
    expect(connections.count - before).toBeLessThanOrEqual(3);
    await http.close();
  });

  it('sends the method, headers and body, and reads the status, headers and body', async () => {
    const http = createKeepAliveFetch();
    const res = await http(`${base}/echo?x=1`, { method: 'post', headers: { 'content-type': 'application/json', 'X-Reference-Id': 'id-1' }, body: '{"amount":"1900"}' });
    expect(res.status).toBe(201);
    expect(res.ok).toBe(true);
    expect(res.headers.get('Content-Type')).toBe('application/json');
    expect(res.headers.get('x-missing')).toBeNull();
    expect(await res.json()).toEqual({ method: 'POST', body: '{"amount":"1900"}', type: 'application/json' });
    const last = seen.at(-1)!;
    expect(last.url).toBe('/echo?x=1');
    expect(last.headers['x-reference-id']).toBe('id-1');
    // The body can be read again, as text, like a buffered Response.
    expect(await res.text()).toContain('"method":"POST"');
    await http.close();
  });

  it('answers non-2xx statuses with their bodies, without rejecting', async () => {
    const http = createKeepAliveFetch();
    const notFound = await http(`${base}/not-found`);
    expect([notFound.status, notFound.ok]).toEqual([404, false]);
    expect(await notFound.json()).toEqual({ code: 'RESOURCE_NOT_FOUND' });
    const busy = await http(`${base}/server-error`);
    expect([busy.status, busy.ok, busy.headers.get('retry-after'), await busy.text()]).toEqual([503, false, '5', 'busy']);
    await http.close();
  });

  it('rejects json() on a body that is not JSON, as Response.json does', async () => {
    const http = createKeepAliveFetch();
    const res = await http(`${base}/not-json`);
    await expect(res.json()).rejects.toThrow(SyntaxError);
    expect(await res.text()).toBe('<html>proxy error</html>');
    await http.close();
  });

  it('joins repeated headers and decodes UTF-8 split across chunks', async () => {
    const http = createKeepAliveFetch();
    expect((await http(`${base}/cookies`)).headers.get('set-cookie')).toBe('a=1, b=2');
    expect(await (await http(`${base}/utf8`)).text()).toBe('Reçu: payé ✓');
    await http.close();
  });

  it('refuses an answer larger than maxBodyBytes', async () => {
    const http = createKeepAliveFetch({ maxBodyBytes: 1000 });
    await expect(http(`${base}/big`)).rejects.toThrow(TypeError);
    expect(await (await http(`${base}/json`)).json()).toMatchObject({ status: 'SUCCESSFUL' });
    await http.close();
  });

  it('rejects with the deadline signal’s reason when no answer comes, and when the body stalls', async () => {
    const http = createKeepAliveFetch();
    const started = Date.now();
    const error: unknown = await http(`${base}/hang`, { signal: AbortSignal.timeout(100) }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('TimeoutError');
    expect(Date.now() - started).toBeLessThan(2_000);
    const stalled: unknown = await http(`${base}/slow-body`, { signal: AbortSignal.timeout(100) }).catch((e: unknown) => e);
    expect((stalled as Error).name).toBe('TimeoutError');
    // Ambiguous for a push without idempotency, as with fetch: it may have arrived.
    expect(nothingSent(error)).toBe(false);
    await http.close();
  });

  it('rejects at once with the reason of a signal already aborted, or aborted meanwhile', async () => {
    const http = createKeepAliveFetch();
    const controller = new AbortController();
    controller.abort(new Error('caller gave up'));
    await expect(http(`${base}/json`, { signal: controller.signal })).rejects.toThrow('caller gave up');
    const later = new AbortController();
    const call = http(`${base}/hang`, { signal: later.signal });
    setTimeout(() => later.abort(), 20);
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    await http.close();
  });

  it('fails as fetch fails: a refused connection proves nothing left, a reset or a body cut off does not', async () => {
    const http = createKeepAliveFetch();
    const closed = `http://127.0.0.1:${await freePort()}`;
    const refused: unknown = await http(`${closed}/json`).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TypeError);
    expect(nothingSent(refused)).toBe(true);
    const reset: unknown = await http(`${base}/reset`).catch((e: unknown) => e);
    expect(reset).toBeInstanceOf(TypeError);
    expect(nothingSent(reset)).toBe(false);
    const cut: unknown = await http(`${base}/cut`).catch((e: unknown) => e);
    expect(cut).toBeInstanceOf(TypeError);
    expect(nothingSent(cut)).toBe(false);
    // The providers' push rule on top of it: refused is a plain error (retried), reset is ambiguous.
    await expect(sendOnce('push', () => http(`${closed}/echo`, { method: 'POST', body: '{}' }))).rejects.not.toBeInstanceOf(AmbiguousCollectionError);
    await expect(sendOnce('push', () => http(`${base}/reset`, { method: 'POST', body: '{}' }))).rejects.toBeInstanceOf(AmbiguousCollectionError);
    await http.close();
  });

  it('refuses a method it does not know before sending anything', async () => {
    const http = createKeepAliveFetch();
    const count = seen.length;
    await expect(http(`${base}/json`, { method: 'BREW' })).rejects.toThrow(TypeError);
    expect(seen.length).toBe(count);
    await http.close();
  });
});
