/**
 * The USSD push figures, in one in-process run against a loopback SMSC that confirms every USSN:
 * 1. pushes confirmed per second with the route's rate set to RATE (`USSD_PUSH_RATES`), and the
 *    limiter's accuracy against that baseline (measured / set; target within 5%);
 * 2. notification to confirmed push, p50 and p99, from the message's history;
 * 3. the same burst against an SMSC refusing every push: SMS sent per notification (must be 1.00).
 *
 *   npm run bench -- ussd-push     (BENCH_SECONDS, BENCH_PUSH_RATE to tune)
 */
import smpp from 'smpp';
import type { Pdu } from 'smpp';
import { MemoryJobQueue } from '../src/jobs/memory.js';
import { silentLogger } from '../src/observability/logger.js';
import { createSmppUssdPushRoute } from '../src/runtime/node/smpp/smpp-ussd-push.js';
import { MemorySessionStore } from '../src/sessions/memory.js';
import { SmsDispatcher } from '../src/sms/dispatcher.js';
import { MemoryMessageStore } from '../src/sms/store/memory.js';
import { UssdPushService } from '../src/ussd-push/push-service.js';
import { boundSmppLink } from '../testkit/smsc.js';
import { until } from '../testkit/until.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const RATE = Number(process.env.BENCH_PUSH_RATE ?? 50);
/** 10:00 in Benin: outside quiet hours whatever the machine's clock says. */
const DAYTIME = Date.parse('2026-12-02T09:00:00Z');

async function run(refuse: boolean, count: number) {
  const bound = await boundSmppLink({ submitsPerSecond: 10_000, window: 50 });
  if (refuse) bound.smsc.refuseWith = smpp.ESME_RSYSERR;
  else {
    bound.smsc.onAccepted = (pdu: Pdu) =>
      bound.smsc.deliverSm({ service_type: 'USSD', source_addr: pdu.destination_addr, destination_addr: pdu.source_addr, short_message: '', data_coding: 0, ussd_service_op: 19 });
  }
  const queue = new MemoryJobQueue();
  const store = new MemoryMessageStore();
  let smsSent = 0;
  const dispatcher = new SmsDispatcher({
    store,
    preferences: new MemorySessionStore(),
    queue,
    routes: { sms: { name: 'sms', send: async () => ({ providerMessageId: `p${++smsSent}` }) } },
    routing: { default: 'sms' },
    transliterate: true,
    logger: silentLogger,
  });
  dispatcher.start();
  const route = createSmppUssdPushRoute('smpp-mtn', bound.link, { from: '123', confirmTimeoutMs: 2000 });
  const push = new UssdPushService({ dispatcher, store, queue, routes: { 'smpp-mtn': route }, routing: { MTN: 'smpp-mtn' }, ratePerSecond: { 'smpp-mtn': RATE }, logger: silentLogger, now: () => DAYTIME });
  push.start();
  const ids: string[] = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const to = `+22901970${String(10000 + i).padStart(5, '0')}`;
    const { message } = await push.send({ to, text: 'Service Public: votre demande PS00373-240001 est disponible.', idempotencyKey: `bench-${refuse}-${i}`, purpose: 'bench' });
    ids.push(message.id);
  }
  await until(async () => (await Promise.all(ids.map((id) => store.get(id)))).every((m) => m?.status === 'delivered' || m?.status === 'sent'), 'every push settled', SECONDS * 4000 + 10_000);
  const elapsedS = (performance.now() - started) / 1000;
  const messages = await Promise.all(ids.map((id) => store.get(id)));
  const latencies = messages.map((m) => Date.parse(m!.updatedAt) - Date.parse(m!.createdAt)).sort((a, b) => a - b);
  await queue.close();
  dispatcher.stop();
  await bound.close();
  return { elapsedS, latencies, smsSent, pushes: bound.smsc.submitsReceived.length };
}

const count = RATE * SECONDS;
const ok = await run(false, count);
// The limiter starts at most RATE jobs in any second: the first RATE go at once, the rest RATE per
// second after them, so the pushes beyond the first second's over the elapsed time is the rate held.
const measured = (count - RATE) / ok.elapsedS;
const pct = (q: number) => ok.latencies[Math.min(ok.latencies.length - 1, Math.floor(q * ok.latencies.length))]!;
console.log(`confirmed pushes: ${count} in ${ok.elapsedS.toFixed(2)} s at a set rate of ${RATE}/s`);
console.log(`  pushes/s after the first second: ${measured.toFixed(1)} (accuracy vs set rate: ${(measured / RATE).toFixed(3)}; target 0.95–1.05)`);
console.log(`  notification → confirmed: p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms (includes the wait for the limiter)`);
console.log(`  SMS sent: ${ok.smsSent} (want 0); submit_sm: ${ok.pushes} (want ${count})`);
const refused = await run(true, Math.min(count, 100));
console.log(`refused pushes: ${refused.pushes} submit_sm, ${refused.smsSent} SMS for ${Math.min(count, 100)} notifications (SMS per notification ${(refused.smsSent / Math.min(count, 100)).toFixed(2)}; want 1.00)`);
process.exit(0);
