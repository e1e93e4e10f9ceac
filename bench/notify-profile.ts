/**
 * Where a notification's CPU goes: runs the gateway as `sms.bench.ts` does (Redis, BullMQ, two
 * SMPP routes to a loopback SMSC that accepts and reports at once, the agency rate counted but set
 * above the load) under `node --cpu-prof`, posts `POST /v1/notifications` over 50 connections for
 * a while, stops it, and prints the functions with the most self time and the share of the main
 * parts of the path (inclusive).
 *
 *   BENCH_REDIS_URL=redis://127.0.0.1:6379/14 npx tsx bench/notify-profile.ts [seconds]
 *
 * Not a `.bench.ts`: `npm run bench` does not run it. The profile stays in the printed directory.
 */
import autocannon from 'autocannon';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import smpp from 'smpp';
import type { Pdu } from 'smpp';
import { startServer } from './lib.js';
import { inFile, PARTS, profileIntoNewDir, reportProfile } from './cpu-profile.js';

const SECONDS = Number(process.argv[2] ?? 10);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/14';
const KEY = 'bench-key-0123456789';
const RATE = Number(process.env.BENCH_SMS_RATE ?? 200);

let nextId = 0;
const smsc = smpp.createServer((s) => {
  s.socket.setNoDelay(true);
  s.on('bind_transceiver', (pdu: Pdu) => s.send(pdu.response()));
  s.on('enquire_link', (pdu: Pdu) => s.send(pdu.response()));
  s.on('submit_sm', (pdu: Pdu) => {
    const id = `p${++nextId}`;
    s.send(pdu.response({ message_id: id }));
    s.send(new smpp.PDU('deliver_sm', { source_addr: String(pdu.destination_addr), destination_addr: 'ServPublic', esm_class: 0x04, short_message: `id:${id} sub:001 dlvrd:001 stat:DELIVRD err:000 text:` }));
  });
  s.on('error', () => {});
});
await new Promise<void>((resolve) => smsc.listen(0, '127.0.0.1', resolve));
const smscUrl = `smpp://127.0.0.1:${(smsc.address() as AddressInfo).port}`;
const link = (name: string) => ({
  [`SMPP_SMS_${name}_URL`]: smscUrl,
  [`SMPP_SMS_${name}_SYSTEM_ID`]: 'bench',
  [`SMPP_SMS_${name}_PASSWORD`]: 'bench',
  [`SMPP_SMS_${name}_WINDOW`]: '50',
  [`SMPP_SMS_${name}_TPS`]: '10000',
});

const dir = profileIntoNewDir();
const redis = new Redis(REDIS_URL);
await redis.flushdb();
const here = fileURLToPath(new URL('.', import.meta.url));
const gateway = await startServer(`${here}servers/gateway.ts`, {
  REDIS_URL,
  SMS_ROUTES: 'MOOV=smpp-burst,MTN=smpp-trickle,default=smpp-burst',
  SMS_RATES: `smpp-burst=${RATE},smpp-trickle=${RATE}`,
  ...link('BURST'),
  ...link('TRICKLE'),
  NOTIFY_API_KEYS: `bench:${KEY}`,
  NOTIFY_RATE_PER_MINUTE: '1000000',
}, 30_000);
let sequence = 0;
const result = await autocannon({
  url: gateway.url,
  connections: 50,
  duration: SECONDS,
  requests: [
    {
      method: 'POST',
      path: '/v1/notifications',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY },
      setupRequest: (req: autocannon.Request) => ({
        ...req,
        body: JSON.stringify({ to: '+2290164000000', template: 'request_ready', params: { requestNumber: 'PS00373-240001', service: 'Extrait', collectAt: 'CCSP Cotonou 1' }, idempotencyKey: `prof-${process.pid}-${++sequence}` }),
      }),
    },
  ],
});
const exited = new Promise((resolve) => gateway.child.once('exit', resolve));
gateway.child.kill('SIGTERM');
await exited;
smsc.close();
await redis.flushdb();
await redis.quit();

const accepted = result['2xx'];
reportProfile(
  dir,
  accepted,
  'notification',
  (busy) => `${accepted} notifications accepted in ${SECONDS} s (errors ${result.errors}, non-2xx ${result.non2xx}); busy ${(busy / 1000).toFixed(0)} ms = ${(busy / Math.max(1, accepted)).toFixed(0)} µs per notification (profiler overhead and background delivery included); profile in ${dir}`,
  [
    PARTS.gc,
    PARTS.honoNodeServer,
    PARTS.hono,
    PARTS.ioredis,
    ['bullmq', inFile('bullmq')],
    ['notification route (notifications.ts, inclusive)', inFile('/src/channels/sms/notifications.ts')],
    ['SMS dispatcher (send)', inFile('/src/sms/dispatcher.ts')],
    ['SMS store (redis)', inFile('/src/sms/store/redis.ts')],
    ['SMS delivery (worker, SMPP)', (n) => /\/src\/sms\/(worker|sender|smpp|providers)/.test(n.callFrame.url) || n.callFrame.url.includes('node_modules/smpp/')],
    ['audit', inFile('/src/audit/')],
    ['zod', inFile('node_modules/zod/')],
    ['rate limiter', inFile('/src/limits/')],
    ['templates (renderSms)', inFile('/src/sms/templates')],
    PARTS.metrics,
    PARTS.logging,
    PARTS.timers,
    PARTS.nodeHttp,
  ],
);
