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
import { serve, type ServerType } from '@hono/node-server';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFakeSecurityServer } from '../src/interop/demo-security-server.js';
import type { DemoRequest } from '../src/portal/demo.js';
import { freePort, unpaidRequests } from './lib.js';

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
  const portal = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: security.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });

  // MoMo: a request-to-pay is approved 300 ms later; the soak then sends its callback twice.
  const momo = new Map<string, { approvedAt: number; called: boolean }>();
  const momoServer = createServer(async (req, res) => {
    for await (const _ of req) void _;
    const send = (status: number, json?: unknown) => {
      res.writeHead(status, json ? { 'content-type': 'application/json' } : {});
      res.end(json ? JSON.stringify(json) : undefined);
    };
    if (req.method === 'POST' && req.url === '/collection/token/') return send(200, { access_token: 'tok', token_type: 'access_token', expires_in: 3600 });
    if (req.method === 'GET' && req.url?.startsWith('/collection/v1_0/accountholder/')) return send(200, { result: true });
    if (req.method === 'POST' && req.url === '/collection/v1_0/requesttopay') {
      const ref = String(req.headers['x-reference-id']);
      if (momo.has(ref)) return send(409, { code: 'RESOURCE_ALREADY_EXIST' });
      momo.set(ref, { approvedAt: Date.now() + 300, called: false });
      return send(202);
    }
    const match = /^\/collection\/v1_0\/requesttopay\/([^/]+)$/.exec(req.url ?? '');
    if (req.method === 'GET' && match) {
      const found = momo.get(match[1]!);
      if (!found) return send(404, { code: 'RESOURCE_NOT_FOUND' });
      const done = Date.now() >= found.approvedAt;
      return send(200, { externalId: match[1], amount: '1900', currency: 'XOF', payer: { partyIdType: 'MSISDN', partyId: PAYER.slice(1) }, status: done ? 'SUCCESSFUL' : 'PENDING', ...(done ? { financialTransactionId: `ft${match[1]!.slice(0, 8)}` } : {}) });
    }
    send(404, {});
  });
  await new Promise<void>((resolve) => momoServer.listen(0, '127.0.0.1', resolve));

  let redis: ChildProcess | undefined;
  const env: Record<string, string> = {
    PORTAL: 'xroad',
    XROAD_SECURITY_SERVER_URL: `http://127.0.0.1:${(portal.address() as AddressInfo).port}`,
    PAYMENT_PROVIDER: 'mtn-momo',
    MOMO_BASE_URL: `http://127.0.0.1:${(momoServer.address() as AddressInfo).port}`,
    MOMO_API_USER: 'u',
    MOMO_API_KEY: 'k',
    MOMO_SUBSCRIPTION_KEY: 's',
    NOTIFY_API_KEYS: `portail:${API_KEY}`,
    LOG_LEVEL: 'warn',
    MENUS_WATCH: '0',
  };
  if (mode === 'redis') {
    const redisPort = await freePort();
    redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 300));
    env.REDIS_URL = `redis://127.0.0.1:${redisPort}`;
  }
  const port = await freePort();
  const { REDIS_URL: _inherited, ...inherited } = process.env;
  const gateway = spawn(process.execPath, ['--import', 'tsx', 'src/runtime/node/main.ts'], { env: { ...inherited, ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  let exits = 0;
  gateway.on('exit', () => exits++);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200 && !(await fetch(`${url}/livez`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 50));

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
    for (const [ref, entry] of momo) {
      if (entry.called || entry.approvedAt > now) continue;
      entry.called = true;
      const body = JSON.stringify({ externalId: ref, status: 'SUCCESSFUL' });
      for (let copy = 0; copy < 2; copy++) void post('/payments/mtn-momo/callback', body, 'application/json');
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

  const approved = [...momo.keys()];
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
  redis?.kill('SIGKILL');
  momoServer.close();
  portal.close();
}

for (const mode of MODES) await soak(mode);
process.exit(0);
