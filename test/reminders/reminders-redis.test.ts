import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createSandboxSmsRoute } from '../../providers/sandbox-sms/sms.js';
import { BullMqJobQueue } from '../../src/jobs/bullmq.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { NewPayment } from '../../src/payments/payment.js';
import { MemoryPaymentStore } from '../../src/payments/store/memory.js';
import { PaymentEventsStore } from '../../src/reminders/payment-events.js';
import { REMINDER_QUEUE, ReminderService, type ReminderJob } from '../../src/reminders/reminders.js';
import type { FrequencyCap } from '../../src/reminders/schedule.js';
import { RedisReminderStore } from '../../src/reminders/store/redis.js';
import { loadReminderFiles } from '../../src/runtime/node/reminder-files.js';
import { RedisSessionStore } from '../../src/sessions/redis.js';
import { SmsDispatcher } from '../../src/sms/dispatcher.js';
import type { OutboundSms } from '../../src/sms/outbox.js';
import { RedisMessageStore } from '../../src/sms/store/redis.js';
import { delayedJobs, runDueJobs } from '../../testkit/bullmq-clock.js';
import { createTestGateway } from '../../testkit/harness.js';
import { until } from '../../testkit/until.js';

/**
 * Issue 16 part 3, end to end against a real Redis: reports posted to the status-event API, the
 * delayed jobs on BullMQ, the real worker firing them, the SMS queued through the dispatcher and
 * sent on the sandbox route. The clock is the test's own (BullMQ's delays are real time: the jobs
 * say what instant they are due, and `promoteDue` hands BullMQ those due by the test's clock).
 * The rules are the shipped `menus/reminders/portail.yaml`.
 */

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const API_KEY = 'reminders-test-portail-key';
const RUN = `${process.pid}-${Date.now()}`;
let harnessCount = 0;

/** Instants written in Benin time (+01:00). */
const benin = (local: string) => Date.parse(`${local}+01:00`);
const iso = (ms: number) => new Date(ms).toISOString();

const open: { close(): Promise<void> }[] = [];

async function harness(options: { startAt: string; caps?: FrequencyCap[] }) {
  let nowMs = benin(options.startAt);
  const clock = { now: () => nowMs };
  const prefix = `test-rem-${RUN}-${++harnessCount}:`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const jobs = new BullMqJobQueue({ redisUrl: REDIS_URL, prefix: prefix.replace(/:$/, '') });
  const sessions = new RedisSessionStore(redis, { prefix });
  const messages = new RedisMessageStore(redis, `${prefix}sms:`);
  const dispatcher = new SmsDispatcher({
    store: messages,
    preferences: sessions,
    queue: jobs,
    routes: { sandbox: createSandboxSmsRoute(silentLogger, () => {}) },
    routing: { default: 'sandbox' },
    transliterate: true,
    logger: silentLogger,
  });
  dispatcher.start();
  // What the reminders hand the dispatcher, to find the messages again.
  const handed: (OutboundSms & { messageId: string })[] = [];
  const outbox = {
    async enqueue(sms: OutboundSms) {
      const result = await dispatcher.enqueue(sms);
      handed.push({ ...sms, messageId: result.messageId });
      return result;
    },
  };
  const reminders = new ReminderService({
    rules: await loadReminderFiles(join(import.meta.dirname, '..', '..', 'menus')),
    store: new RedisReminderStore(redis, prefix, clock.now),
    queue: jobs,
    outbox,
    preferences: sessions,
    logger: silentLogger,
    ...(options.caps ? { caps: options.caps } : {}),
    now: clock.now,
  });
  reminders.start();
  const gateway = await createTestGateway({ store: sessions, reminders: { reminders, agencies: { portail: { apiKey: API_KEY } }, now: clock.now } });
  const queue = jobs.queue(REMINDER_QUEUE);

  const h = {
    reminders,
    sessions,
    messages,
    jobs,
    handed,
    queue,
    now: clock.now,
    async post(body: Record<string, unknown>) {
      const res = await gateway.app.request('/v1/requests/status-events', { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': API_KEY }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    /** Sets the test's clock and lets the worker run every reminder due by then, to the end. */
    async advanceTo(local: string): Promise<string[]> {
      nowMs = benin(local);
      return runDueJobs(queue, nowMs);
    },
    delayed: () => delayedJobs<ReminderJob>(queue),
    /** Every SMS handed to the dispatcher, once the sandbox route took it. */
    async sent() {
      for (const sms of handed) await until(async () => (await messages.get(sms.messageId))?.status === 'sent', `message ${sms.messageId} sent on the sandbox route`);
      return Promise.all(handed.map(async (sms) => ({ ...sms, stored: (await messages.get(sms.messageId))! })));
    },
    async close() {
      dispatcher.stop();
      await jobs.close();
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await messages.close();
      await redis.quit();
    },
  };
  open.push(h);
  return h;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

const ready = (over: Record<string, unknown> = {}) => ({
  requestNumber: 'PS00373-240001',
  status: 'ready',
  at: '2026-03-02T15:00:00+01:00',
  to: '+2290197000001',
  idempotencyKey: 'portail-PS00373-240001-ready',
  ...over,
});

describe('reminders at exact instants', () => {
  it('ready at 2026-03-02T15:00+01:00 with the 7-day rule fires at 2026-03-09T15:00+01:00, in the citizen’s language, through the dispatcher', async () => {
    const h = await harness({ startAt: '2026-03-02T15:00:20' });
    await h.sessions.setLanguage('+2290197000001', 'en');
    const answer = await h.post(ready());
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ requestNumber: 'PS00373-240001', status: 'ready', since: '2026-03-02T14:00:00.000Z', outcome: 'changed', reminders: [{ rule: 'ready-not-collected', at: '2026-03-09T14:00:00.000Z' }] });
    const [job, ...others] = await h.delayed();
    expect(others).toEqual([]);
    expect(iso(job!.dueAtMs)).toBe('2026-03-09T14:00:00.000Z');
    // BullMQ's own delay is the same instant, counted from the moment it was scheduled.
    expect(job!.delayMs).toBe(benin('2026-03-09T15:00:00') - benin('2026-03-02T15:00:20'));

    expect(await h.advanceTo('2026-03-09T14:59:59')).toEqual([]);
    expect(h.handed).toEqual([]);
    expect(await h.advanceTo('2026-03-09T15:00:00')).toHaveLength(1);
    const [sms, ...more] = await h.sent();
    expect(more).toEqual([]);
    expect(sms!.to).toBe('+2290197000001');
    expect(sms!.text).toBe('Public Service: your request PS00373-240001 has been ready for 7 days. Please collect your document.');
    expect(sms!.stored).toMatchObject({ status: 'sent', route: 'sandbox', purpose: 'reminder:ready-not-collected' });
  });

  it('one that would fall at 22:30 fires at 07:00 the next morning, in French by default', async () => {
    const h = await harness({ startAt: '2026-03-02T22:30:00' });
    const answer = await h.post(ready({ at: '2026-03-02T22:30:00+01:00' }));
    expect(answer.body.reminders).toEqual([{ rule: 'ready-not-collected', at: '2026-03-10T06:00:00.000Z' }]);
    expect(await h.advanceTo('2026-03-09T22:30:00')).toEqual([]);
    expect(await h.advanceTo('2026-03-10T06:59:59')).toEqual([]);
    expect(await h.advanceTo('2026-03-10T07:00:00')).toHaveLength(1);
    const [sms] = await h.sent();
    expect(sms!.text).toBe('Service Public: votre demande PS00373-240001 est disponible depuis 7 jours. Pensez a retirer votre document.');
  });

  it('more information requested and still pending after 3 days: the event’s own language', async () => {
    const h = await harness({ startAt: '2026-03-02T10:31:00' });
    const answer = await h.post({ requestNumber: 'PS00150-240004', status: 'info_requested', at: '2026-03-02T10:30:00+01:00', to: '0197000001', language: 'en', idempotencyKey: 'portail-PS00150-240004-info' });
    expect(answer.body.reminders).toEqual([{ rule: 'info-still-pending', at: '2026-03-05T09:30:00.000Z' }]);
    await h.advanceTo('2026-03-05T10:30:00');
    const [sms] = await h.sent();
    expect(sms).toMatchObject({ to: '+2290197000001', text: 'Public Service: information is still missing for request PS00150-240004. Please complete it so it can proceed.' });
  });
});

describe('none at night, none after STOP, none after the status changes', () => {
  it('a reminder that falls due at night anyway (the queue was away) waits for 07:00', async () => {
    const h = await harness({ startAt: '2026-03-02T10:00:00' });
    await h.post(ready({ at: '2026-03-02T10:00:00+01:00' }));
    // The worker only gets to it at 23:00, past its instant.
    expect(await h.advanceTo('2026-03-09T23:00:00')).toHaveLength(1);
    expect(h.handed).toEqual([]);
    const [moved, ...others] = await h.delayed();
    expect(others).toEqual([]);
    expect(iso(moved!.dueAtMs)).toBe('2026-03-10T06:00:00.000Z');
    expect(await h.advanceTo('2026-03-10T06:59:00')).toEqual([]);
    expect(await h.advanceTo('2026-03-10T07:00:00')).toHaveLength(1);
    expect(await h.sent()).toHaveLength(1);
  });

  it('a number that sent STOP gets no reminder, and no message is even recorded', async () => {
    const h = await harness({ startAt: '2026-03-02T15:00:00' });
    await h.post(ready());
    await h.sessions.setOptedOut('+2290197000001', true);
    expect(await h.advanceTo('2026-03-09T15:00:00')).toHaveLength(1);
    expect(h.handed).toEqual([]);
  });

  it('a status change cancels the delayed job, and a job whose cancel was lost finds the status changed', async () => {
    const h = await harness({ startAt: '2026-03-02T15:00:00' });
    await h.post(ready());
    const [scheduled] = await h.delayed();
    await h.advanceTo('2026-03-04T11:00:00');
    const collected = await h.post(ready({ status: 'collected', at: '2026-03-04T11:00:00+01:00', idempotencyKey: 'portail-PS00373-240001-collected' }));
    expect(collected.status).toBe(202);
    expect(collected.body).toMatchObject({ status: 'collected', outcome: 'changed', reminders: [] });
    expect(await h.delayed()).toEqual([]);
    // As if the cancel had not reached the queue: the same job is there again when it falls due.
    await h.jobs.enqueue(REMINDER_QUEUE, scheduled!.data, { jobId: 'lost-cancel', delayMs: 60_000 });
    expect(await h.advanceTo('2026-03-09T15:00:00')).toHaveLength(1);
    expect(h.handed).toEqual([]);
  });

  it('a report older than the latest one changes nothing (stale), and schedules nothing', async () => {
    const h = await harness({ startAt: '2026-03-04T12:00:00' });
    await h.post(ready({ status: 'collected', at: '2026-03-04T11:00:00+01:00', idempotencyKey: 'portail-PS00373-240001-collected' }));
    const late = await h.post(ready());
    expect(late).toMatchObject({ status: 200, body: { status: 'collected', outcome: 'stale', reminders: [] } });
    expect(await h.delayed()).toEqual([]);
  });
});

describe('once, and not too often', () => {
  it('a duplicated report schedules once and sends once; the same status again keeps counting from the first', async () => {
    const h = await harness({ startAt: '2026-03-02T15:00:00' });
    expect((await h.post(ready())).status).toBe(202);
    expect((await h.post(ready())).body).toMatchObject({ outcome: 'duplicate', since: '2026-03-02T14:00:00.000Z' });
    await h.advanceTo('2026-03-03T09:00:00');
    const again = await h.post(ready({ at: '2026-03-03T09:00:00+01:00', idempotencyKey: 'portail-PS00373-240001-ready-again' }));
    expect(again).toMatchObject({ status: 200, body: { outcome: 'unchanged', since: '2026-03-02T14:00:00.000Z', reminders: [{ rule: 'ready-not-collected', at: '2026-03-09T14:00:00.000Z' }] } });
    expect(await h.delayed()).toHaveLength(1);
    await h.advanceTo('2026-03-09T15:00:00');
    expect(await h.sent()).toHaveLength(1);
    // Repeated after it went out: nothing is scheduled again.
    await h.advanceTo('2026-03-09T16:00:00');
    expect((await h.post(ready({ at: '2026-03-09T16:00:00+01:00', idempotencyKey: 'portail-PS00373-240001-ready-late' }))).body.reminders).toEqual([]);
    expect(await h.delayed()).toEqual([]);
  });

  it('at most one reminder per number per day: the second due the same day is dropped, the next day’s goes', async () => {
    const h = await harness({ startAt: '2026-03-03T16:00:00', caps: [{ max: 1, windowMs: 86_400_000 }, { max: 3, windowMs: 7 * 86_400_000 }] });
    await h.post(ready({ requestNumber: 'PS00373-240001', at: '2026-03-02T15:00:00+01:00', idempotencyKey: 'cap-test-1' }));
    await h.post(ready({ requestNumber: 'PS00373-240007', at: '2026-03-02T15:30:00+01:00', idempotencyKey: 'cap-test-2' }));
    await h.post(ready({ requestNumber: 'PS00373-240008', at: '2026-03-03T16:00:00+01:00', idempotencyKey: 'cap-test-3' }));
    expect(await h.advanceTo('2026-03-09T15:30:00')).toHaveLength(2);
    expect((await h.sent()).map((s) => s.text.match(/PS\d+-\d+/)![0])).toEqual(['PS00373-240001']);
    expect(await h.advanceTo('2026-03-10T16:00:00')).toHaveLength(1);
    expect((await h.sent()).map((s) => s.text.match(/PS\d+-\d+/)![0])).toEqual(['PS00373-240001', 'PS00373-240008']);
  });

  it('a job run twice (a worker died after sending) sends one SMS', async () => {
    const h = await harness({ startAt: '2026-03-02T15:00:00' });
    await h.post(ready());
    const [job] = await h.delayed();
    await h.advanceTo('2026-03-09T15:00:00');
    expect(await h.reminders.fire(job!.data)).toMatchObject({ sent: true });
    const sent = await h.sent();
    expect(new Set(sent.map((s) => s.messageId)).size).toBe(1);
  });
});

describe('payments started but not finished', () => {
  const payment = (id: string, createdAt: string): NewPayment => ({
    id,
    requestNumber: 'PS00373-240002',
    amountXof: 1900,
    payerMsisdn: '+2290197000001',
    operator: 'MTN',
    provider: 'sandbox',
    createdAt,
    expiresAt: new Date(Date.parse(createdAt) + 600_000).toISOString(),
  });

  it('a payment that failed is followed one hour after it started by a reminder naming the fee', async () => {
    const h = await harness({ startAt: '2026-03-02T16:00:00' });
    const store = new PaymentEventsStore(new MemoryPaymentStore(), h.reminders, silentLogger);
    await store.create(payment('5b7c1a2e-0f4d-4e8a-9c3b-1d2e3f4a5b6c', new Date(h.now()).toISOString()));
    await until(async () => (await h.delayed()).length === 1, 'the payment reminder scheduled');
    expect(iso((await h.delayed())[0]!.dueAtMs)).toBe('2026-03-02T16:00:00.000Z');
    await store.transition('5b7c1a2e-0f4d-4e8a-9c3b-1d2e3f4a5b6c', { to: 'failed', at: new Date(h.now() + 120_000).toISOString(), reason: 'test: refused', code: 'provider_failed' });
    expect(await h.advanceTo('2026-03-02T17:00:00')).toHaveLength(1);
    const [sms] = await h.sent();
    expect(sms!.text).toBe('Service Public: le paiement de 1900 FCFA pour la demande PS00373-240002 n a pas abouti. Recomposez *123# pour payer.');
  });

  it('a payment that went through cancels its reminder', async () => {
    const h = await harness({ startAt: '2026-03-02T16:00:00' });
    const store = new PaymentEventsStore(new MemoryPaymentStore(), h.reminders, silentLogger);
    const id = '7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b';
    await store.create(payment(id, new Date(h.now()).toISOString()));
    await until(async () => (await h.delayed()).length === 1, 'the payment reminder scheduled');
    await store.transition(id, { to: 'pending', at: new Date(h.now() + 1000).toISOString(), reason: 'test', code: 'provider_pending' });
    await store.transition(id, { to: 'succeeded', at: new Date(h.now() + 30_000).toISOString(), reason: 'test', code: 'provider_succeeded' });
    await until(async () => (await h.delayed()).length === 0, 'the payment reminder cancelled');
    expect(await h.advanceTo('2026-03-02T17:00:00')).toEqual([]);
    expect(h.handed).toEqual([]);
  });
});
