/**
 * Payment callbacks under load (issue 18 part 2), in one run: the gateway (its own process, Redis,
 * BullMQ) with the MTN MoMo provider pointed at a fake MoMo API and the portal at the fake security
 * server (answering each payment notice in PORTAL_MS, 20 ms), both in this process, next to the bare
 * floor (`servers/callback-floor.ts`: node:http, one `SET NX` per callback).
 *
 * Each round: N payments are made through the USSD menu and left pending at MoMo; then the burst:
 * their callbacks arrive over 50 connections, 30% of them duplicates, shuffled, and MoMo's request
 * turns SUCCESSFUL at the moment its first callback leaves (MoMo calls back when a payment reaches
 * its final state). The same bodies then go to the floor (order alternating between rounds). Printed
 * per round and as medians: callbacks/s of both and their ratio (target ≥ 0.90), gateway CPU per
 * payment, and from each payment's success at the provider to the portal's acknowledgement p50 and
 * p99 (target ≤ 500 ms). At the end the portal's credits are counted: a payment credited twice, or
 * moved to `succeeded` twice, or one never credited, fails the bench (exit 1).
 *
 * With BENCH_GATEWAYS=2 the burst is spread over two gateway processes on the same Redis (issue 18
 * parts 2 and 4): each takes every other payment's walk and half the callbacks over half the
 * connections, and both run the payment and SMS workers; CPU per payment is the two processes' sum.
 *
 *   REDIS_URL=redis://127.0.0.1:6379 npm run bench -- payments    (BENCH_PAYMENTS per round, default 1000; BENCH_ROUNDS, default 3; BENCH_GATEWAYS, default 1)
 */
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createFakeSecurityServer } from '../src/interop/demo-security-server.js';
import type { DemoRequest } from '../src/portal/demo.js';
import { RedisPaymentStore } from '../src/payments/store/redis.js';
import { fakeMomoEnv, startFakeMomo } from '../testkit/fakes/momo.js';
import { serveOnLoopback } from '../testkit/loopback-server.js';
import { until } from '../testkit/until.js';
import { cpuMs, median, startServer, unpaidRequests } from './lib.js';
import { existsSync } from 'node:fs';
import { PARTS, inFile, reportProfile } from './cpu-profile.js';

const N = Number(process.env.BENCH_PAYMENTS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** Payments of the first, unmeasured round: JIT, connections and BullMQ's scripts warmed on both servers. */
const WARM = Math.min(200, N);
const DUPLICATES = 0.3;
const CONNECTIONS = 50;
/** Gateway processes sharing the Redis, the walks and the burst. */
const GATEWAYS = Math.max(1, Number(process.env.BENCH_GATEWAYS ?? 1));
/** How long the portal takes to acknowledge a payment notice (issue 18: "the portal fake answering in 20 ms"). */
const PORTAL_MS = 20;
/**
 * The Redis of `REDIS_URL` (as the tests use it), database 14 unless the URL names one: the bench
 * empties its database before and after the run.
 */
const REDIS_URL = (() => {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/14';
  return url.toString();
})();
/**
 * Each request has a holder of its own, who pays it from that number: a thousand citizens paying, not
 * one number walking a thousand menus at once, where an opening could find another walk's live session
 * as "the caller's previous session" and offer to resume it (seen as walks ending on the request-number
 * prompt, and payments never made).
 */
const holderOf = (i: number) => `+22901970${String(i).padStart(5, '0')}`;

// The portal: every request the bench will pay, unpaid, behind the fake security server. Its payment
// endpoint credits each payment id once (`security.control.payments`); the wrapper notes when each
// notice first arrived and when it was first acknowledged.
const TOTAL = WARM + ROUNDS * N;
const requests: DemoRequest[] = unpaidRequests(TOTAL, 500000, holderOf(0)).map((r, i) => ({ ...r, holderMsisdn: holderOf(i) }));
const security = createFakeSecurityServer(requests);
const noticeArrived = new Map<string, number>();
const acks = new Map<string, number>();
const portal = await serveOnLoopback({
  fetch: async (req: Request) => {
    const key = req.headers.get('idempotency-key');
    const isNotice = req.method === 'POST' && new URL(req.url).pathname.endsWith('/payments');
    if (isNotice) {
      if (key && !noticeArrived.has(key)) noticeArrived.set(key, Date.now());
      await new Promise((resolve) => setTimeout(resolve, PORTAL_MS));
    }
    const res = await security.app.fetch(req);
    if (isNotice && key && res.ok && !acks.has(key)) acks.set(key, Date.now());
    return res;
  },
});

// MoMo: the test suite's fake (answers from providers/mtn-momo/fixtures.ts); request-to-pay stays
// PENDING until the bench settles it.
const momo = await startFakeMomo();

const here = fileURLToPath(new URL('.', import.meta.url));
const redis = new Redis(REDIS_URL);
await redis.flushdb();
const redisPid = Number(/process_id:(\d+)/.exec(await redis.info('server'))![1]);
const gateways = await Promise.all(
  Array.from({ length: GATEWAYS }, () =>
    startServer(`${here}servers/gateway.ts`, {
      REDIS_URL,
      PORTAL: 'xroad',
      XROAD_SECURITY_SERVER_URL: portal.baseUrl,
      PAYMENT_PROVIDER: 'mtn-momo',
      ...fakeMomoEnv(momo.baseUrl),
      // MoMo is told where to call back, as in production: the gateway then expects callbacks and polls
      // less often (the poll stays as the net). The fake does not call back itself; the bench sends them.
      MOMO_CALLBACK_URL: 'http://127.0.0.1:9/payments/mtn-momo/callback',
      ...(process.env.BENCH_PROFILE_DIR ? { BENCH_PROFILE_DIR: process.env.BENCH_PROFILE_DIR } : {}),
    }, 30_000),
  ),
);
/**
 * BENCH_PROFILE_DIR=<dir>: each gateway profiles every burst of the run (from the first callback to the
 * portal's last acknowledgement, warm-up included), and the last round's profile of the first gateway is
 * read out at the end, per payment (`servers/gateway.ts` starts and stops its profiler on SIGUSR2).
 */
const PROFILE_DIR = process.env.BENCH_PROFILE_DIR;
let profiledBursts = 0;
const toggleProfilers = () => {
  if (PROFILE_DIR) for (const g of gateways) g.child.kill('SIGUSR2');
};
/** CPU time of every gateway process so far (ms). */
const gatewaysCpuMs = () => gateways.reduce((sum, g) => sum + cpuMs(g.child.pid!), 0);
const floor = await startServer(`${here}servers/callback-floor.ts`, { REDIS_URL }, 30_000);

let rewalks = 0;
const strayScreens: string[] = [];
/** Makes `slice`'s payments through the menu, 25 walks at a time; answers the ids pending at MoMo. */
async function makePayments(slice: DemoRequest[]): Promise<string[]> {
  const before = new Set(momo.requests.keys());
  // A walk's hops all go to one gateway (each holder to one of them in turn); hops spread over
  // instances are the write-through store's own tests' subject.
  const hop = (gatewayUrl: string, sessionId: string, phoneNumber: string, text: string) =>
    fetch(`${gatewayUrl}/ussd/africastalking`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ sessionId, serviceCode: '*123#', phoneNumber, text }) }).then((r) => r.text());
  for (let i = 0; i < slice.length; i += 25) {
    await Promise.all(
      slice.slice(i, i + 25).map(async (r, j) => {
        const gatewayUrl = gateways[(i + j) % GATEWAYS]!.url;
        // A walk that does not end on the confirmation (seen on this machine under heavy load from
        // other work) is walked again in a new session; the payment is made once either way.
        for (let attempt = 0; attempt < 3; attempt++) {
          const id = `bench-${r.requestNumber}-${attempt}`;
          let screen = '';
          for (const text of ['', '2', `2*${r.requestNumber}`, `2*${r.requestNumber}*1`]) screen = await hop(gatewayUrl, id, r.holderMsisdn, text);
          if (screen.startsWith('END')) return;
          rewalks++;
          // What a walk ended on instead, for the run's report (a few, no phone number in them).
          if (strayScreens.length < 5) strayScreens.push(screen.replace(/\s+/g, ' ').slice(0, 160));
        }
      }),
    );
  }
  // A shortfall is reported, not fatal: the figures are for the payments that were made.
  await until(() => momo.requests.size - before.size >= slice.length, `${slice.length} payments pending at the provider`, 30_000).catch((error: unknown) => console.log(`  ${String(error)}`));
  return [...momo.requests.keys()].filter((id) => !before.has(id));
}

/** The callbacks of `ids`, 30% more as duplicates, shuffled: the ids in sending order, and bodies. */
function burstOf(ids: string[]): { order: string[]; bodies: string[] } {
  const order = [...ids];
  for (let i = 0; i < Math.round((ids.length * DUPLICATES) / (1 - DUPLICATES)); i++) order.push(ids[Math.floor(Math.random() * ids.length)]!);
  order.sort(() => Math.random() - 0.5);
  // The body MoMo sends once the request is SUCCESSFUL (its status answer's shape).
  const bodies = order.map((id) => JSON.stringify({ ...(JSON.parse(momo.callbackFor(id).body) as object), status: 'SUCCESSFUL' }));
  return { order, bodies };
}

/** Successes at the provider: when each payment's request turned SUCCESSFUL (its first callback left). */
const succeededAt = new Map<string, number>();

interface GatewayRound {
  perSecond: number;
  non2xx: number;
  cpuMsPerPayment: number;
  p50: number;
  p99: number;
  /** p99 of success → the portal's notice arriving (the rest is the portal's own 20 ms). */
  noticeP99: number;
}

async function gatewayBurst(ids: string[]): Promise<GatewayRound> {
  const { order, bodies } = burstOf(ids);
  if (process.env.BENCH_DIAG) await redis.config('RESETSTAT');
  const cpuBefore = gatewaysCpuMs();
  const redisBefore = cpuMs(redisPid);
  const benchBefore = process.cpuUsage();
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  toggleProfilers();
  const started = performance.now();
  let lastAnswer = started;
  // Gateway k takes the callbacks at positions k, k + GATEWAYS, … over its share of the connections.
  const results = await Promise.all(
    gateways.map((gateway, k) => {
      const mine = order.map((_, i) => i).filter((i) => i % GATEWAYS === k);
      let next = 0;
      return autocannon({
        url: gateway.url,
        connections: Math.max(1, Math.round(CONNECTIONS / GATEWAYS)),
        amount: mine.length,
        requests: [
          {
            method: 'PUT',
            path: '/payments/mtn-momo/callback',
            headers: { 'content-type': 'application/json' },
            setupRequest: (req: autocannon.Request) => {
              const i = mine[next++ % mine.length]!;
              const id = order[i]!;
              if (!succeededAt.has(id)) {
                momo.settle(id, { status: 'succeeded' });
                succeededAt.set(id, Date.now());
              }
              return { ...req, body: bodies[i] };
            },
            onResponse: () => void (lastAnswer = performance.now()),
          },
        ],
      });
    }),
  );
  const non2xx = results.reduce((sum, r) => sum + r.non2xx, 0);
  // Timed to the last answer: autocannon itself notices the end only at its next 1 s tick.
  const perSecond = (bodies.length * 1000) / (lastAnswer - started);
  // The round ends when the portal has heard of every payment; its CPU is the whole round's.
  await until(() => ids.every((id) => acks.has(id)), 'the portal to acknowledge every payment of the round', 60_000).catch((error: unknown) => console.log(String(error)));
  const cpuMsPerPayment = (gatewaysCpuMs() - cpuBefore) / ids.length;
  toggleProfilers();
  if (PROFILE_DIR) {
    const written = `${PROFILE_DIR}/${++profiledBursts}/${gateways[0]!.child.pid}.cpuprofile`;
    await until(() => existsSync(written), 'the burst profile to be written', 30_000);
  }
  lag.disable();
  if (process.env.BENCH_DIAG) {
    const stats = (await redis.info('commandstats')).split('\n').filter((l) => l.startsWith('cmdstat_')).map((l) => [l.slice(8, l.indexOf(':')), Number(/calls=(\d+)/.exec(l)![1]), Number(/usec=(\d+)/.exec(l)![1])] as const);
    console.log(stats.sort((a, b) => b[1] - a[1]).map(([c, n, us]) => `${c} ${(n / ids.length).toFixed(2)}/payment ${(us / ids.length).toFixed(0)}µs`).join(', '));
  }
  const bench = process.cpuUsage(benchBefore);
  if (process.env.BENCH_DIAG) {
    // The round ends at the portal's last acknowledgement; each payment's SMS receipt is queued after
    // its notice, so part of its delivery falls after the round. The next 3 s, less 3 s more of idle
    // (timers, the queues' polling), give what the round left behind.
    const settleFrom = gatewaysCpuMs();
    await new Promise((r) => setTimeout(r, 3000));
    const idleFrom = gatewaysCpuMs();
    await new Promise((r) => setTimeout(r, 3000));
    const after = idleFrom - settleFrom - (gatewaysCpuMs() - idleFrom);
    console.log(`  diag: gateway CPU per payment with what followed the round (receipts delivered after it): ${(cpuMsPerPayment + after / ids.length).toFixed(2)} ms (${(after / ids.length).toFixed(2)} ms after)`);
    const stats = (await redis.info('commandstats')).split('\n').filter((l) => l.startsWith('cmdstat_')).map((l) => [l.slice(8, l.indexOf(':')), Number(/calls=(\d+)/.exec(l)![1])] as const);
    console.log(`  diag: commands per payment with what followed (6 s, commands inside scripts included): ${stats.sort((a, b) => b[1] - a[1]).slice(0, 8).map(([c, n]) => `${c} ${(n / ids.length).toFixed(2)}`).join(', ')}; all ${(stats.reduce((sum, [, n]) => sum + n, 0) / ids.length).toFixed(1)}`);
  }
  console.log(`  diag: wall ${(performance.now() - started).toFixed(0)} ms, gateway cpu ${(cpuMsPerPayment * ids.length).toFixed(0)} ms, redis cpu ${(cpuMs(redisPid) - redisBefore).toFixed(0)} ms, bench cpu ${((bench.user + bench.system) / 1000).toFixed(0)} ms, bench loop delay p99 ${(lag.percentile(99) / 1e6).toFixed(0)} ms max ${(lag.max / 1e6).toFixed(0)} ms`);
  const latency = (from: Map<string, number>) => ids.map((id) => (from.get(id) ?? NaN) - succeededAt.get(id)!).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  const pick = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? NaN;
  const acked = latency(acks);
  return { perSecond, non2xx, cpuMsPerPayment, p50: pick(acked, 0.5), p99: pick(acked, 0.99), noticeP99: pick(latency(noticeArrived), 0.99) };
}

async function floorBurst(ids: string[]): Promise<{ perSecond: number; cpuMsPerCallback: number }> {
  const { bodies } = burstOf(ids);
  let next = 0;
  const cpuBefore = cpuMs(floor.child.pid!);
  const started = performance.now();
  let lastAnswer = started;
  await autocannon({
    url: floor.url,
    connections: CONNECTIONS,
    amount: bodies.length,
    requests: [
      {
        method: 'PUT',
        path: '/payments/mtn-momo/callback',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req: autocannon.Request) => ({ ...req, body: bodies[next++ % bodies.length] }),
        onResponse: () => void (lastAnswer = performance.now()),
      },
    ],
  });
  return { perSecond: (bodies.length * 1000) / (lastAnswer - started), cpuMsPerCallback: (cpuMs(floor.child.pid!) - cpuBefore) / bodies.length };
}

let failed = false;
try {
  // Warm-up round, not counted.
  const warmIds = await makePayments(requests.slice(0, WARM));
  await gatewayBurst(warmIds);
  await floorBurst(warmIds);

  const gatewayRounds: GatewayRound[] = [];
  const floorRounds: { perSecond: number; cpuMsPerCallback: number }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const ids = await makePayments(requests.slice(WARM + round * N, WARM + (round + 1) * N));
    // Let the collections settle (every request-to-pay sent, first polls queued) before the burst.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // Alternate which server goes first, so neither always meets the quieter machine.
    let g: GatewayRound;
    let f: { perSecond: number; cpuMsPerCallback: number };
    if (round % 2 === 0) {
      g = await gatewayBurst(ids);
      f = await floorBurst(ids);
    } else {
      f = await floorBurst(ids);
      g = await gatewayBurst(ids);
    }
    gatewayRounds.push(g);
    floorRounds.push(f);
    console.log(
      `round ${round + 1}: ${ids.length} payments, ${Math.round(ids.length / (1 - DUPLICATES))} callbacks · gateway ${g.perSecond.toFixed(0)}/s (non-2xx ${g.non2xx}), floor ${f.perSecond.toFixed(0)}/s, ratio ${(g.perSecond / f.perSecond).toFixed(2)} · ` +
        `gateway CPU ${g.cpuMsPerPayment.toFixed(2)} ms/payment (floor ${f.cpuMsPerCallback.toFixed(3)} ms/callback) · success → portal acknowledged p50 ${g.p50} ms, p99 ${g.p99} ms (notice arrived p99 ${g.noticeP99} ms)`,
    );
  }

  // Exactly once: every payment the bench made is credited at the portal once, and moved to succeeded once.
  const all = [...succeededAt.keys()];
  const store = new RedisPaymentStore(redis);
  let doubleSucceeded = 0;
  for (const id of all) {
    const payment = await store.get(id);
    if ((payment?.history.filter((h) => h.to === 'succeeded').length ?? 0) > 1) doubleSucceeded++;
  }
  const credited = security.control.payments.size;
  const notCredited = all.filter((id) => !security.control.payments.has(id)).length;
  const doubleCredits = Math.max(0, credited - all.length) + doubleSucceeded;

  if (PROFILE_DIR) {
    const lastBurst = `${PROFILE_DIR}/${profiledBursts}`;
    const paidByFirst = gatewayRounds.length ? N / GATEWAYS : 1;
    reportProfile(lastBurst, paidByFirst, 'payment', (busyUs) => `\nthe last burst's profile (${lastBurst}, first gateway, about ${paidByFirst} payments): ${(busyUs / 1000).toFixed(0)} ms busy, ${(busyUs / paidByFirst).toFixed(0)} µs per payment`, [
      PARTS.gc,
      PARTS.ioredis,
      PARTS.nodeHttp,
      PARTS.hono,
      PARTS.honoNodeServer,
      PARTS.timers,
      PARTS.logging,
      PARTS.metrics,
      ['bullmq', inFile('bullmq')],
      ['msgpackr', inFile('msgpackr')],
      ['undici (status GETs, portal notices)', inFile('undici')],
      ['payments (src/payments)', inFile('src/payments/')],
      ['payment store', inFile('src/payments/store/')],
      ['provider mtn-momo', inFile('providers/mtn-momo/')],
      ['portal (src/portal, src/interop)', (n) => n.callFrame.url.includes('src/portal/') || n.callFrame.url.includes('src/interop/')],
      ['SMS (src/sms)', inFile('src/sms/')],
      ['reminders', inFile('src/reminders/')],
      ['jobs port (src/jobs)', inFile('src/jobs/')],
      ['zod', inFile('zod')],
    ]);
  }

  const ratios = gatewayRounds.map((g, i) => g.perSecond / floorRounds[i]!.perSecond);
  const m = (values: number[]) => median(values);
  console.log(`\nmedians of ${ROUNDS} rounds of ${N} payments, ${GATEWAYS} gateway process${GATEWAYS > 1 ? 'es' : ''}, ${CONNECTIONS} connections, ${DUPLICATES * 100}% duplicates, portal answering in ${PORTAL_MS} ms:`);
  console.log(`callbacks: gateway ${m(gatewayRounds.map((g) => g.perSecond)).toFixed(0)}/s, floor ${m(floorRounds.map((f) => f.perSecond)).toFixed(0)}/s, ratio ${m(ratios).toFixed(2)} (per round ${ratios.map((r) => r.toFixed(2)).join(', ')})   target ≥ 0.90`);
  console.log(`gateway CPU per payment${GATEWAYS > 1 ? ' (all processes)' : ''} (callbacks, confirmation, portal notice, receipt): ${m(gatewayRounds.map((g) => g.cpuMsPerPayment)).toFixed(2)} ms; floor per callback ${m(floorRounds.map((f) => f.cpuMsPerCallback)).toFixed(3)} ms`);
  console.log(`provider success → portal acknowledged: p50 ${m(gatewayRounds.map((g) => g.p50))} ms, p99 ${m(gatewayRounds.map((g) => g.p99))} ms (worst round ${Math.max(...gatewayRounds.map((g) => g.p99))} ms)   target p99 ≤ 500`);
  if (rewalks > 0) console.log(`payment walks walked again: ${rewalks}; last screens instead of the confirmation: ${strayScreens.map((x) => JSON.stringify(x)).join(', ')}`);
  console.log(`status checks at the provider: ${momo.calls.status} for ${all.length} payments`);
  console.log(`double credits: ${doubleCredits} (portal credits ${credited} for ${all.length} payments; moved to succeeded twice: ${doubleSucceeded}; never credited: ${notCredited})   target 0`);
  if (doubleCredits !== 0 || notCredited !== 0) {
    console.error('FAILED: a payment was credited twice or not at all');
    failed = true;
  }
} finally {
  for (const gateway of gateways) gateway.child.kill();
  floor.child.kill();
  await momo.close();
  void portal.close();
  await redis.flushdb();
  await redis.quit();
}
process.exit(failed ? 1 : 0);
