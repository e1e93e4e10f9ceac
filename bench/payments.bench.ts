/**
 * Payment callbacks under load, in one run: the gateway (its own process, Redis, BullMQ) with the
 * MTN MoMo provider pointed at a fake MoMo API and the portal at the fake security server, both in
 * this process. N payments are created through the USSD menu, the fake MoMo approves them all, then
 * callbacks arrive with 30% duplicates. Printed: callbacks/s (next to the same load on the bare
 * baseline), double credits (must be 0: a payment credited twice at the portal or moved to
 * `succeeded` twice), and p50/p99 from the provider's success to the portal's acknowledgement.
 *
 *   REDIS_URL=redis://127.0.0.1:6379 npm run bench -- payments      (BENCH_PAYMENTS to tune, default 1000)
 */
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { fileURLToPath } from 'node:url';
import { createFakeSecurityServer } from '../src/interop/demo-security-server.js';
import type { DemoRequest } from '../src/portal/demo.js';
import { RedisPaymentStore } from '../src/payments/store/redis.js';
import { fakeMomoEnv, startFakeMomo } from '../testkit/fakes/momo.js';
import { serveOnLoopback } from '../testkit/loopback-server.js';
import { until } from '../testkit/until.js';
import { median, startServer, unpaidRequests } from './lib.js';

const N = Number(process.env.BENCH_PAYMENTS ?? 1000);
/**
 * The Redis of `REDIS_URL` (as the tests use it), database 14 unless the URL names one: the bench
 * empties its database before and after the run.
 */
const REDIS_URL = (() => {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/14';
  return url.toString();
})();
const PAYER = '+2290197000001';

// The portal: N unpaid requests of the demo holder, behind the fake security server. Its payment
// endpoint records each payment id once; `acks` keeps when each was first acknowledged.
const requests: DemoRequest[] = unpaidRequests(N, 500000, PAYER);
const security = createFakeSecurityServer(requests);
const acks = new Map<string, number>();
const portalApp = security.app;
const portal = await serveOnLoopback({
  fetch: async (req: Request) => {
    const res = await portalApp.fetch(req);
    const key = req.headers.get('idempotency-key');
    if (key && res.ok && !acks.has(key)) acks.set(key, Date.now());
    return res;
  },
});
const portalUrl = portal.baseUrl;

// MoMo: the test suite's fake (answers from providers/mtn-momo/fixtures.ts); request-to-pay stays
// PENDING until the bench approves.
const momo = await startFakeMomo();
const momoUrl = momo.baseUrl;

const here = fileURLToPath(new URL('.', import.meta.url));
const redis = new Redis(REDIS_URL);
await redis.flushdb();
const gateway = await startServer(`${here}servers/gateway.ts`, {
  REDIS_URL,
  PORTAL: 'xroad',
  XROAD_SECURITY_SERVER_URL: portalUrl,
  PAYMENT_PROVIDER: 'mtn-momo',
  ...fakeMomoEnv(momoUrl),
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
  // A shortfall is reported below, not fatal: the figures are for the payments that were made.
  await until(() => momo.requests.size >= N, `${N} payments pending at the provider`, 10_000).catch((error: unknown) => console.log(String(error)));
  const ids = [...momo.requests.keys()];
  console.log(`${ids.length} payments created and pending at the provider`);

  // The provider approves everything now; callbacks follow, 30% of them duplicates, shuffled.
  const approvedAt = Date.now();
  for (const id of ids) momo.settle(id, { status: 'succeeded' });
  const bodies = ids.map((id) => momo.callbackFor(id).body);
  for (let i = 0; i < Math.round(ids.length * 0.3 / 0.7); i++) bodies.push(bodies[Math.floor(Math.random() * ids.length)]!);
  bodies.sort(() => Math.random() - 0.5);
  let next = 0;
  const statusBefore = momo.calls.status;
  let started = performance.now();
  const callbacks = await autocannon({
    url: gateway.url,
    connections: Math.min(50, bodies.length),
    amount: bodies.length,
    requests: [{ method: 'PUT', path: '/payments/mtn-momo/callback', headers: { 'content-type': 'application/json' }, setupRequest: (req: autocannon.Request) => ({ ...req, body: bodies[next++ % bodies.length] }) }],
  });
  const callbacksPerSecond = (bodies.length * 1000) / (performance.now() - started);
  started = performance.now();
  const base = await autocannon({
    url: baseline.url,
    connections: Math.min(50, bodies.length),
    amount: bodies.length,
    requests: [{ method: 'POST', path: '/ussd/africastalking', headers: { 'content-type': 'application/x-www-form-urlencoded' }, setupRequest: (req: autocannon.Request) => ({ ...req, body: `sessionId=c${next++}&text=1` }) }],
  });
  const basePerSecond = (bodies.length * 1000) / (performance.now() - started);
  void base;

  // Wait for the portal to be told about every payment.
  await until(() => acks.size >= ids.length, 'the portal to acknowledge every payment', 60_000).catch((error: unknown) => console.log(String(error)));
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
  console.log(`status checks at the provider: ${momo.calls.status - statusBefore} for ${bodies.length} callbacks (each callback is only a hint)`);
  console.log(`double credits: ${Math.max(0, credited - ids.length) + doubleSucceeded} (portal credits ${credited} for ${ids.length} payments; payments moved to succeeded twice: ${doubleSucceeded})   target 0`);
  console.log(`provider success → portal acknowledged: p50 ${pick(0.5)} ms, p99 ${pick(0.99)} ms over ${latencies.length} payments (median ${median(latencies)} ms)`);
} finally {
  gateway.child.kill();
  baseline.child.kill();
  await momo.close();
  void portal.close();
  await redis.flushdb();
  await redis.quit();
}
