import { connect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { serveOnLoopback, type LoopbackServer } from '../../testkit/loopback-server.js';
import { startGateway } from '../../testkit/processes.js';
import { loadConfig } from '../../src/config.js';
import type { Logger } from '../../src/observability/logger.js';
import { noMetrics } from '../../src/observability/metrics.js';
import { atHop, createTestGateway } from '../../testkit/harness.js';

/** Issue 11, items 12 and 13: what every answer carries, who may read metrics, slow and aborted clients. */
function recordingLogger(): Logger & { entries: { level: string; message: string }[] } {
  const entries: { level: string; message: string }[] = [];
  const at = (level: string) => (_fields: Record<string, unknown>, message: string) => void entries.push({ level, message });
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('headers on every answer (item 13)', async () => {
  const { app } = await createTestGateway();
  it.each([
    ['a USSD screen', () => app.request('/ussd/africastalking', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'sessionId=h-1&serviceCode=*123%23&phoneNumber=%2B2290197000001&text=' })],
    ['a refused hop', () => app.request('/ussd/africastalking', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'text=' })],
    ['health', () => app.request('/health')],
    ['an unknown route', () => app.request('/nope')],
    ['an oversized body', () => app.request('/ussd/hubtel', { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '9000' }, body: 'x'.repeat(9000) })],
  ])('%s: nosniff, no-store', async (_name, send) => {
    const res = await send();
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('a screen is still a screen', async () => {
    expect((await atHop(app, { sessionId: 'h-2', text: '' })).body).toMatch(/^CON Service Public/);
  });
});

describe('metrics and the simulator are served only on purpose (item 13)', () => {
  it.each([
    [{}, { simulator: true, metrics: { served: true, token: undefined } }],
    [{ HOST: '0.0.0.0' }, { simulator: false, metrics: { served: false, token: undefined } }],
    [{ HOST: '0.0.0.0', SIMULATOR: '1', METRICS: '1' }, { simulator: true, metrics: { served: true, token: undefined } }],
    [{ HOST: '0.0.0.0', METRICS_TOKEN: 'scrape-me' }, { simulator: false, metrics: { served: true, token: 'scrape-me' } }],
    [{ SIMULATOR: '0', METRICS: '0' }, { simulator: false, metrics: { served: false, token: undefined } }],
  ])('%j → %j', (env, expected) => {
    expect(loadConfig(env)).toMatchObject(expected);
  });

  it('refuses an empty METRICS_TOKEN', () => {
    expect(() => loadConfig({ METRICS_TOKEN: '' })).toThrow(/METRICS_TOKEN/);
  });

  it('with a token, /metrics needs it', async () => {
    const { app } = await createTestGateway({ metrics: { ...noMetrics, render: async () => ({ body: 'guichet_up 1\n', contentType: 'text/plain' }) }, metricsToken: 'scrape-me' });
    expect((await app.request('/metrics')).status).toBe(401);
    expect((await app.request('/metrics', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const ok = await app.request('/metrics', { headers: { authorization: 'Bearer scrape-me' } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('guichet_up 1\n');
  });
});

describe('slow and aborted clients (item 12)', () => {
  let server: LoopbackServer | undefined;
  afterAll(() => void server?.close());

  it('an upload aborted half-way is not an error', async () => {
    const logger = recordingLogger();
    const { app } = await createTestGateway({ logger });
    server = await serveOnLoopback(app);
    const { port } = server;
    // Both framings: a declared length never reached, and a chunked body that stops mid-stream (the
    // body-size guard reads that one as it streams, and saw the abort as an error).
    const framings = ['Content-Length: 1000\r\n\r\nsessionId=abc&', 'Transfer-Encoding: chunked\r\n\r\n10\r\nsessionId=abcdefg\r\n'];
    const paths = ['/ussd/africastalking', '/ussd/hubtel', '/v1/notifications', '/payments/sandbox/callback', '/sms/africastalking/inbound'];
    for (const [path, framing] of paths.flatMap((p) => framings.map((f) => [p, f] as const))) {
      await new Promise<void>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n${framing}`);
          setTimeout(() => socket.destroy(), 100);
        });
        socket.on('close', () => resolve());
        socket.on('error', () => {});
      });
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(logger.entries.filter((e) => e.level === 'error')).toEqual([]);
    expect(logger.entries.filter((e) => e.message === 'request aborted by the client').length).toBeGreaterThan(0);
  });

  it('the Node server cuts a client whose headers never end, and keeps serving others', async () => {
    // The embedded default (no REDIS_URL), as `npm start` runs it.
    const { port, child } = await startGateway({ LOG_LEVEL: 'warn', HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_REQUEST_TIMEOUT_MS: '2000' });
    try {
      const answer = await new Promise<string>((resolve) => {
        let received = '';
        const socket = connect(port, '127.0.0.1', () => socket.write('POST /ussd/africastalking HTTP/1.1\r\nHost: x\r\n'));
        socket.on('data', (d) => (received += d.toString()));
        socket.on('close', () => resolve(received));
        socket.on('error', () => {});
      });
      // Node answers 408 and closes; the gateway itself is still answering.
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
      expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
