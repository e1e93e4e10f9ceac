import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchWithin, startDeadline } from '../../src/lib/deadline.js';
import type { HttpFetch } from '../../src/lib/http-fetch.js';
import { createKeepAliveFetch } from '../../src/runtime/node/http-client.js';

/** The timers this process holds (setTimeout's), as Node counts them. */
const pendingTimers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('startDeadline', () => {
  it('aborts at its deadline with the TimeoutError AbortSignal.timeout gives', async () => {
    const deadline = startDeadline(30);
    expect(deadline.signal.aborted).toBe(false);
    await sleep(80);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.timedOut).toBe(true);
    const reason = deadline.signal.reason as DOMException;
    expect(reason.name).toBe('TimeoutError');
    expect(reason).toBeInstanceOf(DOMException);
  });

  it('aborts with the caller’s reason when the caller gives up first, and is not timed out', () => {
    const caller = new AbortController();
    const deadline = startDeadline(5_000, caller.signal);
    const why = new Error('the hop’s budget ran out');
    caller.abort(why);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.signal.reason).toBe(why);
    expect(deadline.timedOut).toBe(false);
    deadline.clear();
  });

  it('starts aborted when the caller’s signal already is', () => {
    const why = new Error('gone');
    const deadline = startDeadline(5_000, AbortSignal.abort(why));
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.signal.reason).toBe(why);
  });

  it('once cleared, neither fires nor follows the caller, and holds no timer (the reason it exists)', async () => {
    const before = pendingTimers();
    const caller = new AbortController();
    const deadline = startDeadline(30, caller.signal);
    expect(pendingTimers()).toBe(before + 1);
    deadline.clear();
    deadline.clear();
    expect(pendingTimers()).toBe(before);
    caller.abort(new Error('too late to matter'));
    await sleep(80);
    expect(deadline.signal.aborted).toBe(false);
    expect(deadline.timedOut).toBe(false);
  });
});

describe('fetchWithin', () => {
  /** Answers /quick at once; /stall sends its headers and half a body, then nothing. */
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/quick') return void res.writeHead(200, { 'content-type': 'application/json', 'x-platform': 'uxp' }).end('{"status":"SUCCESSFUL"}');
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"status":');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const keepAlive = createKeepAliveFetch();
  afterAll(() => keepAlive.close());
  const clients: [string, HttpFetch][] = [
    ['the global fetch (Workers)', fetch as unknown as HttpFetch],
    ['keepAliveFetch (Node)', keepAlive],
  ];

  it.each(clients)('%s: the answer read whole, its timer gone', async (_name, http) => {
    const before = pendingTimers();
    const answer = await fetchWithin(http, `${base}/quick`, { headers: { accept: 'application/json' } }, 2_000);
    expect(answer.status).toBe(200);
    expect(answer.ok).toBe(true);
    expect(answer.headers.get('x-platform')).toBe('uxp');
    expect(await answer.json()).toEqual({ status: 'SUCCESSFUL' });
    expect(await answer.text()).toBe('{"status":"SUCCESSFUL"}');
    expect(pendingTimers()).toBe(before);
  });

  it.each(clients)('%s: a body that stalls past the deadline rejects with the TimeoutError', async (_name, http) => {
    const started = Date.now();
    const error = await fetchWithin(http, `${base}/stall`, {}, 150).catch((e: unknown) => e);
    expect((error as DOMException).name).toBe('TimeoutError');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('a body that is not JSON rejects from json(), as Response.json() does', async () => {
    const answer = await fetchWithin(async () => ({ status: 200, ok: true, headers: { get: () => null }, text: async () => 'not json', json: async () => null }), 'http://unused', {}, 1_000);
    await expect(answer.json()).rejects.toBeInstanceOf(SyntaxError);
  });
});
