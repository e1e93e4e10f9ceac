/**
 * The mixed national load, held for minutes: USSD walks over two dialects (Africa's Talking and
 * Hubtel), agencies' notifications, and fee payments through the menu whose provider callbacks
 * arrive twice. Run once on the embedded default and once on Redis (a redis-server of its own),
 * the gateway in its own process as `npm start` runs it.
 *
 * Printed per minute: held hops/s, p99, the gateway's RSS and event-loop lag (its own
 * `nodejs_eventloop_lag_p99_seconds`); at the end, RSS growth per minute after the first and the
 * counts that must be zero: process exits, 5xx, payments credited twice at the portal, payments
 * succeeded but never told to the portal, notifications accepted but not delivered.
 *
 *   npm run soak -- --minutes 5          (--mode embedded|redis|both, default both)
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createFakeSecurityServer } from '../src/interop/demo-security-server.js';
import type { DemoRequest } from '../src/portal/demo.js';
import { fakeMomoEnv, startFakeMomo } from '../testkit/fakes/momo.js';
import { freePort, serveOnLoopback } from '../testkit/loopback-server.js';
import { OwnRedis } from '../testkit/processes.js';
import { until } from '../testkit/until.js';
import { unpaidRequests } from './lib.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && args[at + 1] ? args[at + 1]! : fallback;
};
const MINUTES = Number(option('minutes', '5'));
const MODES = option('mode', 'both') === 'both' ? ['embedded', 'redis'] : [option('mode', 'both')];
const WALKERS = 16;
const PAYER = '+2290197000001';
const API_KEY = 'soak-key-0123456789';

interface Minute {
  hops: number;
  p99: number;
  rssMb: number;
  lagMs: number;
}

async function soak(mode: string): Promise<void> {
  // The portal behind a fake security server: plenty of unpaid requests, one per payment.
  const requests: DemoRequest[] = unpaidRequests(50_000, 600000, PAYER);
  const security = createFakeSecurityServer(requests);
  const portal = await serveOnLoopback(security.app);

  // MoMo: the tests' fake (testkit/fakes/momo.ts). The soak approves a request-to-pay about 300 ms
  // after it first sees it, then sends its callback twice.
  const momo = await startFakeMomo();
  const firstSeen = new Map<string, number>();
  const called = new Set<string>();

  let redis: OwnRedis | undefined;
  const env: Record<string, string> = {
    PORTAL: 'xroad',
    XROAD_SECURITY_SERVER_URL: portal.baseUrl,
    PAYMENT_PROVIDER: 'mtn-momo',
    ...fakeMomoEnv(momo.baseUrl),
    NOTIFY_API_KEYS: `portail:${API_KEY}`,
    LOG_LEVEL: 'warn',
    MENUS_WATCH: '0',
    // One payer walks all day: the USSD flood guard (60 hops a minute per number) would stop it.
    USSD_HOP_RATE_PER_MINUTE: '0',
  };
  if (mode === 'redis') {
    redis = await OwnRedis.started();
    env.REDIS_URL = redis.url;
  }
  const port = await freePort();
  const { REDIS_URL: _inherited, ...inherited } = process.env;
  const gateway = spawn(process.execPath, ['--import', 'tsx', 'src/runtime/node/main.ts'], { env: { ...inherited, ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  let exits = 0;
  gateway.on('exit', () => exits++);
  const url = `http://127.0.0.1:${port}`;
  await until(() => fetch(`${url}/livez`).then((r) => r.ok, () => false), 'the gateway to answer /livez', 10_000);

  let serverErrors = 0;
  let latencies: number[] = [];
  let hops = 0;
  let nextRequest = 0;
  const notificationIds: string[] = [];
  const post = async (path: string, body: string, type: string, headers: Record<string, string> = {}) => {
    const started = performance.now();
    const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': type, ...headers }, body });
    const text = await res.text();
    if (res.status >= 500) serverErrors++;
    return { status: res.status, text, ms: performance.now() - started };
  };
  const at = (sessionId: string, text: string) => post('/ussd/africastalking', new URLSearchParams({ sessionId, serviceCode: '*123#', phoneNumber: PAYER, networkCode: '61602', text }).toString(), 'application/x-www-form-urlencoded');
  const hubtel = (sessionId: string, type: string, message: string, sequence: number) =>
    post('/ussd/hubtel', JSON.stringify({ Type: type, Mobile: PAYER.slice(1), SessionId: sessionId, ServiceCode: '123', Message: message, Operator: 'mtn', Sequence: sequence, ClientState: '', Platform: 'USSD' }), 'application/json');
  const counted = (r: { ms: number }) => {
    hops++;
    latencies.push(r.ms);
  };

  let running = true;
  let walk = 0;
  const walker = async (w: number) => {
    while (running) {
      const id = `soak-${mode}-${w}-${++walk}`;
      const kind = walk % 10;
      if (kind < 4) {
        // Track a request over Africa's Talking.
        for (const text of ['', '1', '1*PS00373-600000']) counted(await at(id, text));
      } else if (kind < 7) {
        // The same over Hubtel, latest input only.
        counted(await hubtel(id, 'initiation', '*123#', 1));
        counted(await hubtel(id, 'response', '1', 2));
        counted(await hubtel(id, 'response', 'PS00373-600000', 3));
      } else if (kind < 9) {
        // A notification from the portal.
        const key = `${id}-n`;
        const res = await post('/v1/notifications', JSON.stringify({ to: PAYER, template: 'request_status', params: { requestNumber: 'PS00373-600000', status: 'soumise', updatedAt: '02/12/2026' }, idempotencyKey: key }), 'application/json', { 'x-api-key': API_KEY });
        const id2 = (JSON.parse(res.text) as { id?: string }).id;
        if (id2) notificationIds.push(id2);
      } else {
        // Pay a fee through the menu: the payment starts, MoMo approves, callbacks come twice.
        const requestNumber = requests[nextRequest++ % requests.length]!.requestNumber;
        for (const text of ['', '2', `2*${requestNumber}`, `2*${requestNumber}*1`]) counted(await at(id, text));
      }
    }
  };
  const callbacks = setInterval(() => {
    const now = Date.now();
    for (const ref of momo.requests.keys()) {
      const seen = firstSeen.get(ref) ?? now;
      firstSeen.set(ref, seen);
      if (called.has(ref) || now - seen < 300) continue;
      called.add(ref);
      momo.settle(ref, { status: 'succeeded' });
      const callback = momo.callbackFor(ref);
      for (let copy = 0; copy < 2; copy++) void post(callback.path, callback.body, 'application/json');
    }
  }, 200);

  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${gateway.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  const lag = async () => {
    const text = await fetch(`${url}/metrics`).then((r) => r.text(), () => '');
    return Number(/^nodejs_eventloop_lag_p99_seconds (\S+)/m.exec(text)?.[1] ?? NaN) * 1000;
  };
  const walkers = Array.from({ length: WALKERS }, (_, w) => walker(w));
  const minutes: Minute[] = [];
  console.log(`\n--- ${mode}: ${MINUTES} min, ${WALKERS} concurrent walkers ---`);
  console.log('minute  hops/s   p99 ms   RSS MB   loop lag p99 ms');
  for (let m = 1; m <= MINUTES; m++) {
    await new Promise((r) => setTimeout(r, 60_000));
    const sorted = latencies.sort((a, b) => a - b);
    const minute = { hops: hops / 60, p99: sorted[Math.floor(sorted.length * 0.99)] ?? NaN, rssMb: rss(), lagMs: await lag() };
    minutes.push(minute);
    console.log(`${String(m).padStart(6)}  ${minute.hops.toFixed(0).padStart(6)}  ${minute.p99.toFixed(1).padStart(7)}  ${minute.rssMb.toFixed(1).padStart(7)}  ${minute.lagMs.toFixed(1).padStart(8)}`);
    hops = 0;
    latencies = [];
  }
  running = false;
  await Promise.all(walkers);
  // Let the last payments and notifications finish.
  await new Promise((r) => setTimeout(r, 15_000));
  clearInterval(callbacks);

  const approved = [...momo.requests.keys()];
  const credited = security.control.payments;
  const doubleCredits = [...credited.values()].length - new Set([...credited.values()].map((p) => p.requestNumber)).size;
  const untold = approved.filter((id) => ![...credited.values()].some((p) => p.paymentId === id)).length;
  // Still queued at the end is a backlog, not a loss; failed, unknown or vanished would be.
  const byStatus = new Map<string, number>();
  for (const id of notificationIds) {
    const status = await fetch(`${url}/v1/notifications/${id}`, { headers: { 'x-api-key': API_KEY } }).then((r) => (r.ok ? (r.json() as Promise<{ status?: string }>) : { status: `http ${r.status}` }), () => ({ status: 'unreachable' }));
    byStatus.set(status.status ?? 'none', (byStatus.get(status.status ?? 'none') ?? 0) + 1);
  }
  // `http 404`: forgotten by the embedded default's bounded store once final (see README), not lost.
  const lost = [...byStatus].filter(([status]) => !['delivered', 'sent', 'queued', 'sending', 'http 404'].includes(status)).reduce((sum, [, n]) => sum + n, 0);
  const growth = minutes.length > 1 ? (minutes.at(-1)!.rssMb - minutes[0]!.rssMb) / (minutes.length - 1) : 0;
  const held = minutes.map((m) => m.hops);
  console.log(`held hops/s: min ${Math.min(...held).toFixed(0)}, max ${Math.max(...held).toFixed(0)}; RSS growth after minute 1: ${growth.toFixed(2)} MB/min`);
  console.log(`payments: ${approved.length} approved, ${credited.size} told to the portal; notifications: ${notificationIds.length} (${[...byStatus].map(([s, n]) => `${s} ${n}`).join(', ')})`);
  console.log(`zero-counts: exits ${exits}, 5xx ${serverErrors}, double credits ${doubleCredits}, succeeded but not told ${untold}, notifications failed or lost ${lost}`);

  gateway.kill('SIGTERM');
  await new Promise((r) => gateway.once('exit', r));
  await redis?.kill();
  void momo.close();
  void portal.close();
}

for (const mode of MODES) await soak(mode);
process.exit(0);
