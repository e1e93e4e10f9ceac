/**
 * The SMS figures, in one run:
 * 1. notifications accepted per second by `POST /v1/notifications`, next to its bare floor
 *    (`servers/notify-floor.ts`: node:http, the key, the fields, opt-out, idempotency and queueing
 *    by hand in one Redis round trip; target ≥ 0.80) and the Hono baseline (one pipelined Redis
 *    read/write), interleaved, ratios and server CPU per request printed;
 * 2. delivered per second through a loopback SMPP SMSC with the route's rate set to RATE, and the
 *    limiter's accuracy (measured / set; target within 5%), and the gateway's CPU per delivered
 *    message meanwhile (its submit, its records and its receipt: nothing else runs then);
 * 3. p99 from API call to delivery report, at a load under the rate (from the message's history).
 *
 *   npm run bench -- sms     (BENCH_SECONDS, BENCH_SMS_RATE to tune)
 */
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import smpp from 'smpp';
import type { Pdu, Session } from 'smpp';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { until } from '../testkit/until.js';
import { cpuMs, median, startServer } from './lib.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const RATE = Number(process.env.BENCH_SMS_RATE ?? 200);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? `${(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379').replace(/\/\d*$/, '')}/14`;
const KEY = 'bench-key-0123456789';

/** An SMSC that accepts every submit_sm and sends its delivery receipt at once. */
const submits: number[] = [];
const sessions: Session[] = [];
let nextId = 0;
const smsc = smpp.createServer((s) => {
  s.socket.setNoDelay(true);
  s.on('bind_transceiver', (pdu: Pdu) => {
    s.send(pdu.response());
    sessions.push(s);
  });
  s.on('enquire_link', (pdu: Pdu) => s.send(pdu.response()));
  s.on('submit_sm', (pdu: Pdu) => {
    const id = `b${++nextId}`;
    submits.push(Date.now());
    s.send(pdu.response({ message_id: id }));
    s.send(new smpp.PDU('deliver_sm', { source_addr: String(pdu.destination_addr), destination_addr: 'ServPublic', esm_class: 0x04, short_message: `id:${id} sub:001 dlvrd:001 stat:DELIVRD err:000 text:` }));
  });
  s.on('error', () => {});
});
await new Promise<void>((resolve) => smsc.listen(0, '127.0.0.1', resolve));
const smscUrl = `smpp://127.0.0.1:${(smsc.address() as AddressInfo).port}`;

const here = fileURLToPath(new URL('.', import.meta.url));
const redis = new Redis(REDIS_URL);
await redis.flushdb();
// Two routes on two links to the same SMSC: Moov numbers take the one the burst backs up
// (rate measured there), MTN numbers the other (latency measured without that backlog).
const link = (name: string) => ({
  [`SMPP_SMS_${name}_URL`]: smscUrl,
  [`SMPP_SMS_${name}_SYSTEM_ID`]: 'bench',
  [`SMPP_SMS_${name}_PASSWORD`]: 'bench',
  [`SMPP_SMS_${name}_WINDOW`]: '50',
  [`SMPP_SMS_${name}_TPS`]: '10000',
});
const gateway = await startServer(`${here}servers/gateway.ts`, {
  REDIS_URL,
  SMS_ROUTES: 'MOOV=smpp-burst,MTN=smpp-trickle,default=smpp-burst',
  SMS_RATES: `smpp-burst=${RATE},smpp-trickle=${RATE}`,
  ...link('BURST'),
  ...link('TRICKLE'),
  NOTIFY_API_KEYS: `bench:${KEY}`,
  // The agency limiter still counts every call (its Redis work is measured); it is set above the load.
  NOTIFY_RATE_PER_MINUTE: '1000000',
}, 30_000);
const baseline = await startServer(`${here}servers/baseline.ts`, { REDIS_URL });
const floor = await startServer(`${here}servers/notify-floor.ts`, { REDIS_URL, FLOOR_API_KEY: KEY });
await until(() => sessions.length >= 2, 'both SMPP links to bind to the bench SMSC');

const notification = (i: string, to = '+2290164000000') =>
  JSON.stringify({ to, template: 'request_ready', params: { requestNumber: 'PS00373-240001', service: 'Extrait', collectAt: 'CCSP Cotonou 1' }, idempotencyKey: `bench-${i}` });

try {
  // 1. Acceptance, interleaved with the floor and the baseline, medians of ROUNDS (the first round
  // of each warms it and is not counted).
  const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
  const accepted: number[] = [];
  const floored: number[] = [];
  const base: number[] = [];
  const cpu = { gateway: [] as number[], floor: [] as number[] };
  let sequence = 0;
  const notify = (url: string, seconds: number) =>
    autocannon({
      url,
      connections: 50,
      duration: seconds,
      requests: [
        {
          method: 'POST',
          path: '/v1/notifications',
          headers: { 'content-type': 'application/json', 'x-api-key': KEY },
          setupRequest: (req: autocannon.Request) => ({ ...req, body: notification(`${process.pid}-${++sequence}`) }),
        },
      ],
    });
  const perRequestUs = (pid: number, before: number, count: number) => ((cpuMs(pid) - before) * 1000) / Math.max(1, count);
  await notify(gateway.url, 1);
  await notify(floor.url, 1);
  for (let round = 0; round < ROUNDS; round++) {
    const g0 = cpuMs(gateway.child.pid!);
    const r = await notify(gateway.url, SECONDS);
    cpu.gateway.push(perRequestUs(gateway.child.pid!, g0, r['2xx']));
    accepted.push(r['2xx'] / SECONDS);
    const f0 = cpuMs(floor.child.pid!);
    const f = await notify(floor.url, SECONDS);
    cpu.floor.push(perRequestUs(floor.child.pid!, f0, f['2xx']));
    floored.push(f['2xx'] / SECONDS);
    const b = await autocannon({
      url: baseline.url,
      connections: 50,
      duration: SECONDS,
      requests: [{ method: 'POST', path: '/ussd/africastalking', headers: { 'content-type': 'application/x-www-form-urlencoded' }, setupRequest: (req: autocannon.Request) => ({ ...req, body: `sessionId=b${++sequence}&text=1` }) }],
    });
    base.push(b.requests.average);
    console.log(
      `round ${round + 1}: accepted ${(r['2xx'] / SECONDS).toFixed(0)}/s (non-2xx ${r.non2xx}, ${cpu.gateway.at(-1)!.toFixed(0)} µs CPU each), floor ${(f['2xx'] / SECONDS).toFixed(0)}/s (non-2xx ${f.non2xx}, ${cpu.floor.at(-1)!.toFixed(0)} µs), ` +
        `ratio ${(r['2xx'] / f['2xx']).toFixed(2)}; Hono baseline ${b.requests.average.toFixed(0)}/s`,
    );
  }

  // 2. Delivery rate: everything accepted above is now draining at the set rate. Count the submits
  // in a fixed stretch of wall-clock time (the limiter works in one-second windows, so timing from
  // the first to the last submit would flatter it).
  // The gateway then does nothing but deliver (submit, record, receipt): its CPU over the window per
  // submit is what one message's background delivery costs (issue 18 parts 2–3).
  const from = Date.now();
  const window = 2 * SECONDS;
  const d0 = cpuMs(gateway.child.pid!);
  await new Promise((r) => setTimeout(r, window * 1000));
  const deliveryCpuMs = cpuMs(gateway.child.pid!) - d0;
  const drained = submits.filter((t) => t >= from && t < from + window * 1000);
  const delivered = drained.length / window;

  // 3. Latency under the rate: a trickle at a quarter of it, on the route without a backlog.
  const ids: string[] = [];
  const trickleStart = Date.now();
  while (Date.now() - trickleStart < SECONDS * 1000) {
    const res = await fetch(`${gateway.url}/v1/notifications`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': KEY }, body: notification(`trickle-${process.pid}-${++sequence}`, '+2290197000001') });
    if (res.status === 202) ids.push(((await res.json()) as { id: string }).id);
    await new Promise((r) => setTimeout(r, 1000 / (RATE / 4)));
  }
  await new Promise((r) => setTimeout(r, 1000));
  const latencies: number[] = [];
  let undelivered = 0;
  for (const id of ids) {
    const view = (await (await fetch(`${gateway.url}/v1/notifications/${id}`, { headers: { 'x-api-key': KEY } })).json()) as { createdAt: string; status: string; history: { at: string; status?: string }[] };
    const done = view.history.find((h) => h.status === 'delivered');
    if (!done) undelivered++;
    else latencies.push(Date.parse(done.at) - Date.parse(view.createdAt));
  }
  latencies.sort((a, b) => a - b);
  const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? NaN;

  const ratios = accepted.map((a, i) => a / floored[i]!);
  console.log(`\nnotifications accepted by the API: ${median(accepted).toFixed(0)}/s, floor ${median(floored).toFixed(0)}/s, ratio ${median(ratios).toFixed(2)} (rounds ${ratios.map((x) => x.toFixed(2)).join(', ')}; target ≥ 0.80); Hono baseline ${median(base).toFixed(0)}/s, ratio ${(median(accepted) / median(base)).toFixed(2)}`);
  console.log(`server CPU per accepted notification: gateway ${median(cpu.gateway).toFixed(0)} µs, floor ${median(cpu.floor).toFixed(0)} µs (${(median(cpu.gateway) / median(cpu.floor)).toFixed(2)}×)`);
  console.log(`delivered through the SMPP route set to ${RATE}/s: ${delivered.toFixed(1)}/s over ${drained.length} submits in ${window.toFixed(1)} s, limiter accuracy ${(delivered / RATE).toFixed(3)} (target 0.95..1.05); gateway CPU per delivered message ${((deliveryCpuMs * 1000) / Math.max(1, drained.length)).toFixed(0)} µs`);
  console.log(`API call → delivery report at ${RATE / 4}/s: p50 ${p(0.5)} ms, p99 ${p(0.99)} ms over ${latencies.length} messages, ${undelivered} not yet delivered`);
} finally {
  gateway.child.kill();
  baseline.child.kill();
  floor.child.kill();
  for (const s of sessions) s.socket.destroy();
  smsc.close();
  await redis.flushdb();
  await redis.quit();
}
