import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemorySessionStore } from '../../src/sessions/memory.js';
import { MemoryJobQueue } from '../../src/jobs/memory.js';
import { QueueUnavailableError } from '../../src/jobs/port.js';
import { RedisMessageStore } from '../../src/sms/store/redis.js';
import type { SmppLink } from '../../src/runtime/node/smpp/smpp-link.js';
import { createSmppSmsRoute } from '../../src/runtime/node/smpp/smpp-sms-route.js';
import { silentLogger } from '../../src/observability/logger.js';
import { recordDeliveryReport } from '../../src/sms/delivery-reports.js';
import { SmsDispatcher, smsQueueName } from '../../src/sms/dispatcher.js';
import type { MessageStore, SmsMessage } from '../../src/sms/store/port.js';
import { closeAfterEach } from '../../testkit/cleanup.js';
import { OwnRedis } from '../../testkit/processes.js';
import { smppSmsDispatcher } from '../../testkit/smpp-sms.js';
import { boundSmppLink, type BoundSmppLink, type TestSmsc } from '../../testkit/smsc.js';
import { until } from '../../testkit/until.js';

/**
 * SMS at most once when things break: a redis-server of this test's own (with an append-only
 * file, fsync always, so a kill -9 keeps what was acknowledged, as a production Redis with AOF
 * does) killed and restarted right after the SMSC accepted, frozen behind an accepted submit, a
 * stalled job re-run by a second worker, an SMSC that never answers. For each: how many submit_sm
 * the SMSC received for the message (must be 1, or 0 where none may leave) and no message left
 * `sent` once its validity period is over.
 */
let redisServer: OwnRedis;
let bound: BoundSmppLink | undefined;
let smsc: TestSmsc;
let link: SmppLink;
const closeLater = closeAfterEach();

beforeAll(async () => {
  redisServer = await OwnRedis.started({ durable: true });
  // A short response time-out: the "SMSC never answers" case is over in 300 ms.
  bound = await boundSmppLink({ reconnectInitialMs: 50, responseTimeoutMs: 300, enquireLinkMs: 200 });
  ({ smsc, link } = bound);
});

afterAll(async () => {
  await bound?.close();
  await redisServer.kill();
  redisServer.cleanup();
});

afterEach(async () => {
  smsc.responseDelayMs = 0;
  smsc.answerSubmits = true;
  redisServer.thaw();
});

/** A gateway's SMS side on the test's Redis: its own connection, store, memory queue and dispatcher. */
function gatewaySide(options: { validityHours?: number; expirySweepMs?: number } = {}) {
  // A command budget, as the gateway has, so a frozen Redis fails the call instead of hanging it.
  const redis = new Redis(redisServer.url, { commandTimeout: 400, maxRetriesPerRequest: 1, lazyConnect: false });
  redis.on('error', () => {});
  const store = new RedisMessageStore(redis, `t${Math.random().toString(36).slice(2, 8)}:sms:`);
  const queue = new MemoryJobQueue();
  const dispatcher = smppSmsDispatcher(link, { store, queue, attempts: 3, ...options });
  closeLater(() => redis.disconnect());
  closeLater(store);
  closeLater(queue);
  closeLater(() => dispatcher.stop());
  return { redis, store, queue, dispatcher };
}

/** How many submit_sm reached the SMSC for this text (each message of a test has its own text). */
const submitsFor = (text: string) => smsc.submitsReceived.filter((pdu) => String((pdu.short_message as { message?: unknown }).message) === text).length;

async function statusOf(store: MessageStore, id: string): Promise<SmsMessage['status'] | undefined> {
  return (await store.get(id).catch(() => null))?.status;
}

describe('SMS are sent at most once when Redis, the worker or the SMSC fail', () => {
  it('Redis killed right after the SMSC accepted, then restarted: one submit, the message settled, never resent', async () => {
    const { store, dispatcher } = gatewaySide();
    dispatcher.start();
    const text = 'Recu de paiement 1: 5000 FCFA.';
    smsc.responseDelayMs = 300; // the SMSC takes the submit, Redis dies before its answer is recorded
    const { message } = await dispatcher.send({ to: '+2290164000001', text, idempotencyKey: 'kill-1', purpose: 'receipt' });
    await until(() => submitsFor(text) === 1, 'the submit to reach the SMSC');
    await redisServer.kill();
    await new Promise((r) => setTimeout(r, 500)); // the answer comes while Redis is gone
    await redisServer.start();
    // The job retries (2 s back-off), finds the claim and settles it without sending again.
    await until(async () => (await statusOf(store, message.id)) === 'unknown', 'the message to be settled unknown', 10_000);
    await new Promise((r) => setTimeout(r, 2500)); // room for any further retry to (wrongly) resend
    expect(submitsFor(text)).toBe(1);
    expect(await statusOf(store, message.id)).toBe('unknown');
  }, 20_000);

  it('Redis frozen behind an accepted submit: one submit, and a thawed Redis settles it', async () => {
    const { store, dispatcher } = gatewaySide();
    dispatcher.start();
    const text = 'Recu de paiement 2: 7500 FCFA.';
    smsc.responseDelayMs = 200;
    const { message } = await dispatcher.send({ to: '+2290164000002', text, idempotencyKey: 'freeze-1', purpose: 'receipt' });
    await until(() => submitsFor(text) === 1, 'the submit to reach the SMSC');
    redisServer.freeze();
    await new Promise((r) => setTimeout(r, 900)); // the acceptance cannot be recorded (command time-out)
    redisServer.thaw();
    await until(async () => ['unknown', 'sent'].includes((await statusOf(store, message.id)) ?? ''), 'the message to be settled', 10_000);
    await new Promise((r) => setTimeout(r, 2500));
    expect(submitsFor(text)).toBe(1);
  }, 20_000);

  it('stored but not queued (the queue refused the enqueue): the sender\'s retry with the same key queues it, one submit', async () => {
    const { store, queue, dispatcher } = gatewaySide();
    dispatcher.start();
    const text = 'Votre passeport est pret: retrait au CCSP Cotonou 1.';
    const enqueue = queue.enqueue.bind(queue);
    let refusals = 1;
    queue.enqueue = async (...args) => {
      if (refusals-- > 0) throw new QueueUnavailableError('sms: not accepted within 1000 ms');
      return enqueue(...args);
    };
    const request = { to: '+2290164000009', text, idempotencyKey: 'refused-queue-1', purpose: 'notification' };
    await expect(dispatcher.send(request)).rejects.toThrow(QueueUnavailableError);
    const retried = await dispatcher.send(request);
    expect(retried.created).toBe(false);
    await until(async () => (await statusOf(store, retried.message.id)) === 'sent', 'the retried message to be sent', 10_000);
    // A third call (a duplicate) finds it sent: nothing more is queued.
    await dispatcher.send(request);
    await new Promise((r) => setTimeout(r, 500));
    expect(submitsFor(text)).toBe(1);
  }, 20_000);

  it('a stalled job re-run by a second worker while the first is sending: one submit', async () => {
    const first = gatewaySide();
    first.dispatcher.start();
    const text = 'Votre acte de naissance est pret.';
    smsc.responseDelayMs = 250;
    const { message } = await first.dispatcher.send({ to: '+2290164000003', text, idempotencyKey: 'stall-1', purpose: 'notification' });
    await until(() => submitsFor(text) === 1, 'the first worker’s submit');
    // Another instance takes the same job (BullMQ re-runs a job whose lock it thinks lost).
    const second = new MemoryJobQueue();
    closeLater(second);
    const secondDispatcher = new SmsDispatcher({ store: first.store, preferences: new MemorySessionStore(), queue: second, routes: { 'smpp-moov': createSmppSmsRoute('smpp-moov', link, 'ServPublic', { onReport: async () => {}, onInbound: async () => {} }) }, routing: { default: 'smpp-moov' }, transliterate: true, logger: silentLogger });
    secondDispatcher.start();
    closeLater(() => secondDispatcher.stop());
    await second.enqueue(smsQueueName('smpp-moov'), { id: message.id }, { jobId: message.id });
    await until(async () => (await first.store.get(message.id))?.providerMessageId !== undefined, 'the first worker to record the acceptance', 15_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(submitsFor(text)).toBe(1);
    // The first worker's acceptance wins over the second's "unknown": the receipt can find it.
    expect(await statusOf(first.store, message.id)).toBe('sent');
  });

  it('an SMSC that never answers a submit: one submit, the message unknown, not retried', async () => {
    const { store, dispatcher } = gatewaySide();
    dispatcher.start();
    const text = 'Rendez-vous confirme pour lundi.';
    smsc.answerSubmits = false; // the link's 300 ms response time-out passes
    const { message } = await dispatcher.send({ to: '+2290164000004', text, idempotencyKey: 'stall-smsc-1', purpose: 'notification' });
    await until(async () => (await statusOf(store, message.id)) === 'unknown', 'the message to be marked unknown', 15_000);
    await new Promise((r) => setTimeout(r, 2500)); // the 2 s back-off would have resent it by now
    expect(submitsFor(text)).toBe(1);
    expect((await store.get(message.id))?.history.map((h) => h.status).filter(Boolean)).toEqual(['queued', 'sending', 'unknown']);
  }, 10_000);

  it('messages without a final receipt expire after the validity period: none left sent', async () => {
    const { store, dispatcher } = gatewaySide({ validityHours: 48 });
    dispatcher.start();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await dispatcher.send({ to: `+22901640001${i}0`, text: `Avis numero ${i}.`, idempotencyKey: `exp-${i}`, purpose: 'notification' })).message.id);
    await until(async () => (await Promise.all(ids.map((id) => statusOf(store, id)))).every((s) => s === 'sent'), 'every message sent', 15_000);
    // One gets its receipt: it stays delivered.
    const delivered = (await store.get(ids[0]!))!;
    await recordDeliveryReport(store, { route: 'smpp-moov', providerMessageId: delivered.providerMessageId!, status: 'delivered', raw: 'stat:DELIVRD' }, silentLogger);
    expect(await dispatcher.expireOverdue(new Date(Date.now() + 47 * 3_600_000))).toBe(0);
    expect(await dispatcher.expireOverdue(new Date(Date.now() + 49 * 3_600_000))).toBe(4);
    const statuses = await Promise.all(ids.map((id) => statusOf(store, id)));
    expect(statuses.filter((s) => s === 'sent')).toHaveLength(0);
    expect(statuses).toEqual(['delivered', 'expired', 'expired', 'expired', 'expired']);
    // Expired is final: a late receipt changes nothing.
    const late = (await store.get(ids[1]!))!;
    await recordDeliveryReport(store, { route: 'smpp-moov', providerMessageId: late.providerMessageId!, status: 'delivered', raw: 'stat:DELIVRD' }, silentLogger);
    expect(await statusOf(store, ids[1]!)).toBe('expired');
  });

  it('the sweep runs by itself: a short validity period leaves no message sent', async () => {
    const { store, dispatcher } = gatewaySide({ validityHours: 1 / 3600, expirySweepMs: 100 });
    dispatcher.start();
    const { message } = await dispatcher.send({ to: '+2290164000200', text: 'Avis court.', idempotencyKey: 'sweep-1', purpose: 'notification' });
    await until(async () => (await statusOf(store, message.id)) === 'expired', 'the sweep to expire it', 5000);
  });
});
