import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createSandboxSmsRoute } from '../../providers/sandbox-sms/sms.js';
import { APPOINTMENT_REMINDER_QUEUE, AppointmentService, type AppointmentReminderJob } from '../../src/appointments/appointment-service.js';
import { AppointmentCalendar, AppointmentsConfig } from '../../src/appointments/calendar.js';
import { CONFORMANCE_CALENDAR, CONFORMANCE_NOW, newBooking } from '../../src/appointments/conformance.js';
import { RedisAppointmentBook } from '../../src/appointments/redis.js';
import { BullMqJobQueue } from '../../src/jobs/bullmq.js';
import { RedisAttemptLimiter } from '../../src/limits/redis.js';
import { IDENTITY_PROOF_POLICY } from '../../src/limits/port.js';
import { silentLogger, type Logger } from '../../src/observability/logger.js';
import { loadAppointmentsConfig, loadCcspData } from '../../src/runtime/node/menu-files.js';
import { RedisSessionStore } from '../../src/sessions/redis.js';
import { SmsDispatcher } from '../../src/sms/dispatcher.js';
import type { OutboundSms } from '../../src/sms/outbox.js';
import { RedisMessageStore } from '../../src/sms/store/redis.js';
import { delayedJobs, runDueJobs } from '../../testkit/bullmq-clock.js';
import { atHop, createTestGateway, defaultServices } from '../../testkit/harness.js';
import { until } from '../../testkit/until.js';

/**
 * Issue 17 part 3 end to end against a real Redis: USSD walks on `*123*8#` through the Africa's
 * Talking route, the Redis appointment book, the SMS through the dispatcher on the sandbox route,
 * reminders as BullMQ delayed jobs fired by the real worker. The clock is the test's own (BullMQ's
 * delays are real time: the jobs say when they are due, `promoteDue` hands over those due).
 * Calendar: the shipped `menus/data/appointments.yaml` over `menus/data/ccsp.yaml`.
 */

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const MENUS = join(import.meta.dirname, '..', '..', 'menus');
const RUN = `${process.pid}-${Date.now()}`;
const HOLDER = '+2290197000001';
const OTHER_PHONE = '+2290196000002';
const NPI = '1234567890';
let harnessCount = 0;
/** What the appointment service logged in every test of this file, checked for personal data at the end. */
const logLines: string[] = [];
const recordingLogger: Logger = (() => {
  const log = (fields: Record<string, unknown>, message: string) => void logLines.push(`${message} ${JSON.stringify(fields)}`);
  return { debug: log, info: log, warn: log, error: log };
})();
const benin = (local: string) => Date.parse(`${local}+01:00`);
const open: { close(): Promise<void> }[] = [];

async function harness(options: { startAt: string; config?: AppointmentsConfig }) {
  let nowMs = benin(options.startAt);
  const now = () => nowMs;
  const prefix = `test-appt-e2e-${RUN}-${++harnessCount}:`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const jobs = new BullMqJobQueue({ redisUrl: REDIS_URL, prefix: prefix.replace(/:$/, '') });
  const sessions = new RedisSessionStore(redis, { prefix });
  const messages = new RedisMessageStore(redis, `${prefix}sms:`);
  const dispatcher = new SmsDispatcher({ store: messages, preferences: sessions, queue: jobs, routes: { sandbox: createSandboxSmsRoute(silentLogger, () => {}) }, routing: { default: 'sandbox' }, transliterate: true, logger: silentLogger });
  dispatcher.start();
  const handed: (OutboundSms & { messageId: string })[] = [];
  const outbox = {
    async enqueue(sms: OutboundSms) {
      const result = await dispatcher.enqueue(sms);
      handed.push({ ...sms, messageId: result.messageId });
      return result;
    },
  };
  const ccsp = await loadCcspData(MENUS);
  const calendar = new AppointmentCalendar(ccsp, options.config ?? ((await loadAppointmentsConfig(MENUS))!));
  const appointments = new AppointmentService({
    calendar,
    book: new RedisAppointmentBook(redis, calendar, { prefix: `${prefix}appt:`, clock: now }),
    outbox,
    queue: jobs,
    preferences: sessions,
    logger: recordingLogger,
    attempts: new RedisAttemptLimiter(redis, IDENTITY_PROOF_POLICY, `${prefix}attempts:`),
    piiHashKey: 'appointments-test-pii-key',
    now,
  });
  appointments.start();
  const gateway = await createTestGateway({ store: sessions, services: await defaultServices({ appointments }), now });
  const queue = jobs.queue(APPOINTMENT_REMINDER_QUEUE);
  let walks = 0;

  const h = {
    appointments,
    sessions,
    handed,
    now,
    /** One USSD session on *123*8#: every screen, the last one first in the answer's `last`. */
    async walk(inputs: string[], phoneNumber = HOLDER) {
      const sessionId = `appt-walk-${++walks}`;
      const screens: string[] = [];
      for (let i = 0; i <= inputs.length; i++) {
        const { status, body } = await atHop(gateway.app, { sessionId, phoneNumber, serviceCode: '*123*8#', text: inputs.slice(0, i).join('*') });
        expect(status).toBe(200);
        screens.push(body);
      }
      return { screens, last: screens.at(-1)! };
    },
    delayed: () => delayedJobs<AppointmentReminderJob>(queue),
    /** Sets the test's clock and lets the worker run every reminder due by then, to the end. */
    async advanceTo(local: string): Promise<string[]> {
      nowMs = benin(local);
      return runDueJobs(queue, nowMs);
    },
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

/** Littoral (8), CCSP Cotonou 1 (1), the n-th day offered, the n-th time, Réserver (1), the NPI. */
const bookCotonou1 = (day: number, time: number, npi = NPI) => ['1', '8', '1', String(day), String(time), '1', npi];

describe('booking by USSD: the SMS with its code, the reminder the day before', () => {
  it('books Wednesday 09/12 09:00 on Monday: confirmation SMS with a 6-digit code to the caller, reminder due Tuesday 08/12 09:00 (Benin), sent by the worker then', async () => {
    const h = await harness({ startAt: '2026-12-07T10:00:00' });
    const { last } = await h.walk(bookCotonou1(2, 2));
    expect(last).toBe('END Rendez-vous confirmé: CCSP Cotonou 1, mer. 09/12 à 09:00. Votre code arrive par SMS; rappel la veille.');
    const [confirmation] = await h.sent();
    expect(confirmation).toMatchObject({ to: HOLDER, purpose: 'appointment-booked' });
    expect(confirmation!.text).toMatch(/^Rendez-vous confirmé: CCSP Cotonou 1 \(Ganhi, pres de la Mairie\), mer\. 09\/12 à 09:00\. Code \d{6}\. Venez avec votre NPI\. Déplacer ou annuler: \*123\*8#$/);
    // The dispatcher's GSM-7 spelling: one segment.
    expect(confirmation!.stored.text).toContain('Rendez-vous confirmé');
    expect(confirmation!.stored.segments).toBe(1);

    const [job] = await h.delayed();
    expect(job).toMatchObject({ dueAtMs: benin('2026-12-08T09:00:00') });
    expect(job!.delayMs).toBe(benin('2026-12-08T09:00:00') - benin('2026-12-07T10:00:00'));
    expect(JSON.stringify(job!.data)).not.toContain(NPI);
    expect(JSON.stringify(job!.data)).not.toContain(HOLDER);

    expect(await h.advanceTo('2026-12-08T08:59:00')).toEqual([]);
    expect(await h.advanceTo('2026-12-08T09:00:00')).toHaveLength(1);
    const sent = await h.sent();
    expect(sent).toHaveLength(2);
    const code = /Code (\d{6})/.exec(confirmation!.text)![1];
    expect(sent[1]).toMatchObject({ to: HOLDER, purpose: 'appointment-reminder', text: `Rappel: rendez-vous demain mer. 09/12 à 09:00, CCSP Cotonou 1 (Ganhi, pres de la Mairie). Code ${code}. Empêché? Annulez: *123*8#` });
  });

  it('a slot at 06:30 is reminded at 07:00 the day before, not at 06:30 (quiet hours 21:00-07:00)', async () => {
    const config = AppointmentsConfig.parse({ horizonDays: 7, defaults: { weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'], times: ['06:30', '09:00'], places: 1 } });
    const h = await harness({ startAt: '2026-12-07T10:00:00', config });
    await h.walk(bookCotonou1(2, 1));
    const [job] = await h.delayed();
    expect(job!.dueAtMs).toBe(benin('2026-12-08T07:00:00'));
    expect(await h.advanceTo('2026-12-08T06:59:00')).toEqual([]);
    expect(await h.advanceTo('2026-12-08T07:00:00')).toHaveLength(1);
    expect((await h.sent()).map((s) => s.purpose)).toEqual(['appointment-booked', 'appointment-reminder']);
  });

  it('none is scheduled when the day before has already passed: booked Monday 10:00 for Tuesday 09:00', async () => {
    const h = await harness({ startAt: '2026-12-07T10:00:00' });
    await h.walk(bookCotonou1(1, 2));
    expect(await h.delayed()).toEqual([]);
    expect((await h.sent()).map((s) => s.purpose)).toEqual(['appointment-booked']);
  });

  it('a reminder due in the quiet hours (a queue that was away) moves to 07:00 and sends nothing at night', async () => {
    const h = await harness({ startAt: '2026-12-07T10:00:00' });
    await h.walk(bookCotonou1(3, 2)); // Thursday 10/12 09:00
    const [job] = await h.delayed();
    expect(await h.advanceTo('2026-12-09T22:30:00')).toHaveLength(1);
    const [moved] = await h.delayed();
    expect(moved).toMatchObject({ dueAtMs: benin('2026-12-10T07:00:00'), data: { bookingId: job!.data.bookingId } });
    expect((await h.sent()).map((s) => s.purpose)).toEqual(['appointment-booked']);
    expect(await h.advanceTo('2026-12-10T07:00:00')).toHaveLength(1);
    expect((await h.sent()).map((s) => s.purpose)).toEqual(['appointment-booked', 'appointment-reminder']);
  });
});

describe('moving and cancelling by USSD', () => {
  it('a move replaces the reminder: the old job is taken back, the new one due the day before the new time, an SMS says so', async () => {
    const h = await harness({ startAt: '2026-12-07T10:00:00' });
    await h.walk(bookCotonou1(2, 2)); // Wed 09/12 09:00
    const [before] = await h.delayed();
    // My appointment (2), NPI, Move (1), Friday 11/12 (4th day), 10:00 (3rd time), Confirm (1).
    const { last } = await h.walk(['2', NPI, '1', '4', '3', '1']);
    expect(last).toBe('END Rendez-vous déplacé: CCSP Cotonou 1, ven. 11/12 à 10:00. SMS envoyé, rappel la veille.');
    const jobs = await h.delayed();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.data.bookingId).not.toBe(before!.data.bookingId);
    expect(jobs[0]!.dueAtMs).toBe(benin('2026-12-10T10:00:00'));
    const sent = await h.sent();
    expect(sent.map((s) => s.purpose)).toEqual(['appointment-booked', 'appointment-moved']);
    expect(sent[1]!.text).toContain('ven. 11/12 à 10:00');
    // The old job, had its cancel been lost, would find the booking moved and send nothing.
    expect(await h.appointments.fire(before!.data)).toEqual({ sent: false, reason: 'gone' });
  });

  it('another phone manages the booking with the SMS code only: a cancel there tells the number that booked, and takes its reminder back', async () => {
    const h = await harness({ startAt: '2026-12-07T10:00:00' });
    await h.walk(bookCotonou1(2, 2));
    const code = /Code (\d{6})/.exec((await h.sent())[0]!.text)![1]!;
    const wrong = code === '000000' ? '111111' : '000000';
    expect((await h.walk(['2', NPI, wrong], OTHER_PHONE)).last).toBe('END Aucun rendez-vous trouvé pour ce NPI avec ce numéro ou ce code.');
    const shown = await h.walk(['2', NPI, code], OTHER_PHONE);
    expect(shown.screens[2]).toBe('CON Code à 6 chiffres du SMS de réservation:\n0.Retour 00.Accueil');
    expect(shown.last).toBe('CON Rendez-vous: CCSP Cotonou 1\nmer. 09/12 à 09:00\n1.Déplacer\n2.Annuler le rendez-vous\n0.Retour 00.Accueil');
    const cancelled = await h.walk(['2', NPI, code, '2', '1'], OTHER_PHONE);
    expect(cancelled.last).toBe('END Rendez-vous du mer. 09/12 à 09:00 annulé. SMS de confirmation envoyé.');
    const sent = await h.sent();
    expect(sent.map((s) => [s.purpose, s.to])).toEqual([
      ['appointment-booked', HOLDER],
      ['appointment-cancelled', HOLDER],
    ]);
    expect(await h.delayed()).toEqual([]);
    // The place is free again, and the NPI may book anew.
    expect((await h.walk(bookCotonou1(2, 2))).last).toContain('Rendez-vous confirmé');
  });

  it('wrong codes are limited per caller and per NPI like identity proofs: 3 free, then a lock the caller is told about', async () => {
    const h = await harness({ startAt: '2026-12-07T10:00:00' });
    await h.walk(bookCotonou1(2, 2));
    const code = /Code (\d{6})/.exec((await h.sent())[0]!.text)![1]!;
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 3; i++) expect((await h.walk(['2', NPI, wrong], OTHER_PHONE)).last).toContain('Aucun rendez-vous');
    expect((await h.walk(['2', NPI, wrong], OTHER_PHONE)).last).toBe("END Trop d'essais de code. Réessayez dans 1 min ou rendez-vous au CCSP.");
    // Locked: even the right code is refused until the lock ends.
    expect((await h.walk(['2', NPI, code], OTHER_PHONE)).last).toContain("Trop d'essais");
  });

  it('the NPI never reaches the session store once the booking ran, nor a job', async () => {
    const h = await harness({ startAt: '2026-12-07T10:00:00' });
    await h.walk(bookCotonou1(2, 2));
    await h.walk(['2', NPI, '1']);
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`test-appt-e2e-${RUN}-*`);
    // Sessions, the book, the SMS messages, the reminder job: something to look into.
    expect(keys.some((key) => key.includes(':appt:holder:'))).toBe(true);
    expect(keys.some((key) => key.includes('appointments.remind'))).toBe(true);
    for (const key of keys) {
      const type = await redis.type(key);
      const dump = type === 'string' ? await redis.get(key) : type === 'hash' ? JSON.stringify(await redis.hgetall(key)) : type === 'zset' ? JSON.stringify(await redis.zrange(key, '0', '-1')) : type === 'list' ? JSON.stringify(await redis.lrange(key, '0', '-1')) : '';
      expect(dump ?? '', key).not.toContain(NPI);
    }
    await redis.quit();
  });
});

describe('logs', () => {
  it('what the appointment service logged in this file names bookings, centres and masked numbers, never a number, an NPI or a code', async () => {
    // Run last in the file (vitest keeps the order): the walks above booked, moved, cancelled and reminded.
    expect(logLines.some((line) => line.startsWith('appointment booked'))).toBe(true);
    expect(logLines.some((line) => line.startsWith('appointment reminder queued'))).toBe(true);
    for (const line of logLines) {
      for (const secret of [NPI, HOLDER, HOLDER.slice(4), OTHER_PHONE, OTHER_PHONE.slice(4)]) expect(line).not.toContain(secret);
      expect(line).not.toMatch(/\bcode\b|\b\d{6}\b/);
    }
  });
});

describe('no double booking across instances (real Redis)', () => {
  const clients = Array.from({ length: 8 }, () => new Redis(REDIS_URL, { maxRetriesPerRequest: 1 }));
  afterAll(async () => {
    const keys = await clients[0]!.keys(`test-appt-inst-${RUN}:*`);
    if (keys.length) await clients[0]!.del(...keys);
    await Promise.all(clients.map((c) => c.quit()));
  });

  it('200 concurrent bookings from 8 instances (connections) for a time of 50 places: exactly 50', async () => {
    const prefix = `test-appt-inst-${RUN}:a:`;
    const books = clients.map((client) => new RedisAppointmentBook(client, CONFORMANCE_CALENDAR, { prefix }));
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => books[i % books.length]!.book(newBooking({ day: '2026-12-09', time: '09:00' }), CONFORMANCE_NOW)));
    expect(results.filter((r) => r.outcome === 'booked')).toHaveLength(50);
    expect(results.filter((r) => r.outcome === 'full')).toHaveLength(150);
    expect(await clients[0]!.hget(`${prefix}{cotonou-1:2026-12-09}:taken`, '09:00')).toBe('50');
    expect(await clients[0]!.hlen(`${prefix}{cotonou-1:2026-12-09}:bookings`)).toBe(50);
  });

  it('200 concurrent bookings from 8 instances over 50 slots of one place each (4 contenders per slot): exactly 50, one per slot', async () => {
    const prefix = `test-appt-inst-${RUN}:c:`;
    // Every 10 minutes from 08:00: 50 times of one place.
    const times = Array.from({ length: 50 }, (_, i) => { const minutes = 8 * 60 + i * 10; return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`; });
    const calendar = new AppointmentCalendar({ littoral: [{ name: 'CCSP Cotonou 1', place: 'Ganhi' }] }, AppointmentsConfig.parse({ horizonDays: 7, defaults: { weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'], times, places: 1 } }));
    const books = clients.map((client) => new RedisAppointmentBook(client, calendar, { prefix }));
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => books[i % books.length]!.book(newBooking({ day: '2026-12-09', time: times[i % 50]! }), CONFORMANCE_NOW)));
    const booked = results.flatMap((r) => (r.outcome === 'booked' ? [r.booking.time] : []));
    expect(booked).toHaveLength(50);
    expect(new Set(booked).size).toBe(50);
    expect(results.filter((r) => r.outcome === 'full')).toHaveLength(150);
    expect(Object.values(await clients[0]!.hgetall(`${prefix}{cotonou-1:2026-12-09}:taken`)).every((count) => count === '1')).toBe(true);
  });

  it('200 concurrent bookings of one NPI from 8 instances, over 9 times: exactly 1 booking, 1 place taken', async () => {
    const prefix = `test-appt-inst-${RUN}:b:`;
    const books = clients.map((client) => new RedisAppointmentBook(client, CONFORMANCE_CALENDAR, { prefix }));
    const holderKey = 'one-npi-hash';
    const slots = ['2026-12-08', '2026-12-10', '2026-12-11'].flatMap((day) => ['08:00', '09:00', '10:00'].map((time) => ({ day, time })));
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => books[i % books.length]!.book(newBooking({ holderKey, ...slots[i % slots.length]! }), CONFORMANCE_NOW)));
    expect(results.filter((r) => r.outcome === 'booked')).toHaveLength(1);
    let taken = 0;
    for (const day of ['2026-12-08', '2026-12-10', '2026-12-11']) for (const count of Object.values(await clients[0]!.hgetall(`${prefix}{cotonou-1:${day}}:taken`))) taken += Number(count);
    expect(taken).toBe(1);
  });
});
