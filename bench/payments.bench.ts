/**
 * Payment callbacks under load, in one run: the gateway (its own process, Redis, BullMQ) with the
 * MTN MoMo provider pointed at a fake MoMo API and the portal at the fake security server, both in
 * this process. N payments are created through the USSD menu, the fake MoMo approves them all, then
 * callbacks arrive with 30% duplicates. Printed: callbacks/s (next to the same load on the bare
 * baseline), double credits (must be 0: a payment credited twice at the portal or moved to
 * `succeeded` twice), and p50/p99 from the provider's success to the portal's acknowledgement.
 *
 *   npm run bench -- payments      (BENCH_PAYMENTS to tune, default 1000)
 */
import { serve, type ServerType } from '@hono/node-server';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createFakeSecurityServer } from '../src/interop/fake-security-server.js';
import type { DemoRequest } from '../src/portal/demo-portal.js';
import { RedisPaymentStore } from '../src/payments/redis-payment-store.js';
import { median, startServer } from './lib.js';

const N = Number(process.env.BENCH_PAYMENTS ?? 1000);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/14';
const PAYER = '+2290197000001';

// The portal: N unpaid requests of the demo holder, behind the fake security server. Its payment
// endpoint records each payment id once; `acks` keeps when each was first acknowledged.
const requests: DemoRequest[] = Array.from({ length: N }, (_, i) => ({
  requestNumber: `PS00373-${String(500000 + i)}`,
  serviceCode: 'PS00373',
  status: 'submitted',
  updatedAt: '2026-11-23',
  holderMsisdn: PAYER,
  holderNpi: '1234567890',
  holderBirthDate: '15031990',
  amountXof: 1900,
  paid: false,
}));
const security = createFakeSecurityServer(requests);
const acks = new Map<string, number>();
const portalApp = security.app;
const portal = await new Promise<ServerType>((resolve) => {
  const s = serve({ fetch: async (req) => {
    const res = await portalApp.fetch(req);
    const key = req.headers.get('idempotency-key');
    if (key && res.ok && !acks.has(key)) acks.set(key, Date.now());
    return res;
  }, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
});
const portalUrl = `http://127.0.0.1:${(portal.address() as AddressInfo).port}`;

// MoMo: request-to-pay stays PENDING until the bench approves; status answers from that.
const momo = new Map<string, { status: 'PENDING' | 'SUCCESSFUL'; approvedAt?: number }>();
let statusCalls = 0;
const momoServer = createServer(async (req, res) => {
  for await (const _ of req) void _;
  const send = (status: number, json?: unknown) => {
    res.writeHead(status, json ? { 'content-type': 'application/json' } : {});
    res.end(json ? JSON.stringify(json) : undefined);
  };
  if (req.method === 'POST' && req.url === '/collection/token/') return send(200, { access_token: 'tok', token_type: 'access_token', expires_in: 3600 });
  if (req.method === 'POST' && req.url === '/collection/v1_0/requesttopay') {
    const ref = String(req.headers['x-reference-id']);
    if (momo.has(ref)) return send(409, { code: 'RESOURCE_ALREADY_EXIST' });
    momo.set(ref, { status: 'PENDING' });
    return send(202);
  }
  const match = /^\/collection\/v1_0\/requesttopay\/([^/]+)$/.exec(req.url ?? '');
  if (req.method === 'GET' && match) {
    statusCalls++;
    const found = momo.get(match[1]!);
    if (!found) return send(404, { code: 'RESOURCE_NOT_FOUND' });
    return send(200, { externalId: match[1], amount: '1900', currency: 'XOF', payer: { partyIdType: 'MSISDN', partyId: PAYER.slice(1) }, status: found.status, ...(found.status === 'SUCCESSFUL' ? { financialTransactionId: `ft-${match[1]!.slice(0, 8)}` } : {}) });
  }
  send(404, {});
});
await new Promise<void>((resolve) => momoServer.listen(0, '127.0.0.1', resolve));
const momoUrl = `http://127.0.0.1:${(momoServer.address() as AddressInfo).port}`;

const here = fileURLToPath(new URL('.', import.meta.url));
const redis = new Redis(REDIS_URL);
await redis.flushdb();
const gateway = await startServer(`${here}servers/gateway.ts`, {
  REDIS_URL,
  PORTAL: 'xroad',
  XROAD_SECURITY_SERVER_URL: portalUrl,
  PAYMENT_PROVIDER: 'mtn-momo',
  MOMO_BASE_URL: momoUrl,
  MOMO_API_USER: 'u',
  MOMO_API_KEY: 'k',
  MOMO_SUBSCRIPTION_KEY: 's',
});
const baseline = await startServer(`${here}servers/baseline.ts`, { REDIS_URL });

try {
  // N payments through the menu, 20 at a time.
  const hop = (sessionId: string, text: string) =>
    fetch(`${gateway.url}/ussd/africastalking`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ sessionId, serviceCode: '*123#', phoneNumber: PAYER, text }) }).then((r) => r.text());
  for (let i = 0; i < N; i += 20) {
    await Promise.all(
      requests.slice(i, i + 20).map(async (r) => {
        const id = `bench-${r.requestNumber}`;
        for (const text of ['', '2', `2*${r.requestNumber}`, `2*${r.requestNumber}*1`]) await hop(id, text);
      }),
    );
  }
  for (let i = 0; i < 200 && momo.size < N; i++) await new Promise((r) => setTimeout(r, 50));
  const ids = [...momo.keys()];
  console.log(`${ids.length} payments created and pending at the provider`);

  // The provider approves everything now; callbacks follow, 30% of them duplicates, shuffled.
  const approvedAt = Date.now();
  for (const entry of momo.values()) Object.assign(entry, { status: 'SUCCESSFUL', approvedAt });
  const bodies = ids.map((id) => JSON.stringify({ externalId: id, status: 'SUCCESSFUL' }));
  for (let i = 0; i < Math.round(ids.length * 0.3 / 0.7); i++) bodies.push(bodies[Math.floor(Math.random() * ids.length)]!);
  bodies.sort(() => Math.random() - 0.5);
  let next = 0;
  const statusBefore = statusCalls;
  let started = performance.now();
  const callbacks = await autocannon({
    url: gateway.url,
    connections: 50,
    amount: bodies.length,
    requests: [{ method: 'PUT', path: '/payments/mtn-momo/callback', headers: { 'content-type': 'application/json' }, setupRequest: (req: autocannon.Request) => ({ ...req, body: bodies[next++ % bodies.length] }) }],
  });
  const callbacksPerSecond = (bodies.length * 1000) / (performance.now() - started);
  started = performance.now();
  const base = await autocannon({
    url: baseline.url,
    connections: 50,
    amount: bodies.length,
    requests: [{ method: 'POST', path: '/ussd/africastalking', headers: { 'content-type': 'application/x-www-form-urlencoded' }, setupRequest: (req: autocannon.Request) => ({ ...req, body: `sessionId=c${next++}&text=1` }) }],
  });
  const basePerSecond = (bodies.length * 1000) / (performance.now() - started);
  void base;

  // Wait for the portal to be told about every payment.
  for (let i = 0; i < 600 && acks.size < ids.length; i++) await new Promise((r) => setTimeout(r, 100));
  const store = new RedisPaymentStore(redis);
  let doubleSucceeded = 0;
  for (const id of ids) {
    const payment = await store.get(id);
    if ((payment?.history.filter((h) => h.to === 'succeeded').length ?? 0) > 1) doubleSucceeded++;
  }
  const credited = security.control.payments.size;
  const latencies = ids.map((id) => (acks.get(id) ?? NaN) - approvedAt).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))];

  console.log(`\ncallbacks: ${bodies.length} (${bodies.length - ids.length} duplicates), ${callbacksPerSecond.toFixed(0)}/s, non-2xx ${callbacks.non2xx}; baseline ${basePerSecond.toFixed(0)}/s, ratio ${(callbacksPerSecond / basePerSecond).toFixed(2)}`);
  console.log(`status checks at the provider: ${statusCalls - statusBefore} for ${bodies.length} callbacks (each callback is only a hint)`);
  console.log(`double credits: ${Math.max(0, credited - ids.length) + doubleSucceeded} (portal credits ${credited} for ${ids.length} payments; payments moved to succeeded twice: ${doubleSucceeded})   target 0`);
  console.log(`provider success → portal acknowledged: p50 ${pick(0.5)} ms, p99 ${pick(0.99)} ms over ${latencies.length} payments (median ${median(latencies)} ms)`);
} finally {
  gateway.child.kill();
  baseline.child.kill();
  momoServer.close();
  portal.close();
  await redis.flushdb();
  await redis.quit();
}
