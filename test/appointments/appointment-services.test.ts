import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { AppointmentService } from '../../src/appointments/appointment-service.js';
import { AppointmentCalendar, centreIdOf } from '../../src/appointments/calendar.js';
import { RedisAppointmentBook } from '../../src/appointments/redis.js';
import type { AppointmentBook } from '../../src/appointments/port.js';
import { MemoryJobQueue } from '../../src/jobs/memory.js';
import { silentLogger } from '../../src/observability/logger.js';
import { loadAppointmentsConfig, loadCcspData } from '../../src/runtime/node/menu-files.js';
import { createLogSmsOutbox } from '../../src/sms/outbox.js';
import { atHop, createTestGateway, defaultServices } from '../../testkit/harness.js';

/**
 * The appointment services' refusals, table-driven: whatever a session's variables were forged or
 * stale to, no id that is not the calendar's reaches the book (a book that throws on any call
 * proves it), and a book that is away gives the citizen the polite END, never a 5xx.
 */

const MENUS = join(import.meta.dirname, '..', '..', 'menus');
const NOW = Date.parse('2026-12-07T10:00:00+01:00');
const ctx = { msisdn: '+2290197000001', language: 'fr' as const, channel: 'ussd' as const, signal: new AbortController().signal };

async function servicesOver(book: AppointmentBook) {
  const calendar = new AppointmentCalendar(await loadCcspData(MENUS), (await loadAppointmentsConfig(MENUS))!);
  return new AppointmentService({ calendar, book, outbox: createLogSmsOutbox(silentLogger), queue: new MemoryJobQueue(), preferences: { isOptedOut: async () => false }, logger: silentLogger, now: () => NOW });
}

/** A book that must never be asked. */
const untouchable: AppointmentBook = new Proxy({} as AppointmentBook, {
  get: (_target, name) => () => Promise.reject(new Error(`the book was asked ${String(name)} with an unchecked id`)),
});

const CASES: { name: string; service: string; args: Record<string, string>; outcome: string }[] = [
  { name: 'a department that does not exist', service: 'appointments.centres', args: { department: '__proto__' }, outcome: 'not_found' },
  { name: 'a centre number past the list', service: 'appointments.days', args: { department: 'littoral', centreChoice: '9' }, outcome: 'bad_choice' },
  { name: 'a centre number 0', service: 'appointments.days', args: { department: 'littoral', centreChoice: '0' }, outcome: 'bad_choice' },
  { name: 'a centre id with a hash tag in it', service: 'appointments.days', args: { centreId: 'cotonou-1}:x{' }, outcome: 'bad_choice' },
  { name: 'a centre id not in ccsp.yaml', service: 'appointments.days', args: { centreId: 'paris-1' }, outcome: 'bad_choice' },
  { name: 'a day number past the list', service: 'appointments.times', args: { centreId: 'cotonou-1', dayKeys: '2026-12-08', dayChoice: '2' }, outcome: 'bad_choice' },
  { name: 'a forged day list: a day in the past', service: 'appointments.times', args: { centreId: 'cotonou-1', dayKeys: '2026-12-01', dayChoice: '1' }, outcome: 'bad_choice' },
  { name: 'a forged day list: past the horizon', service: 'appointments.times', args: { centreId: 'cotonou-1', dayKeys: '2027-03-01', dayChoice: '1' }, outcome: 'bad_choice' },
  { name: 'a forged day list: not a date', service: 'appointments.times', args: { centreId: 'cotonou-1', dayKeys: '2026-12-08}x', dayChoice: '1' }, outcome: 'bad_choice' },
  { name: 'a forged centre with a valid day', service: 'appointments.times', args: { centreId: '{x}', dayKeys: '2026-12-08', dayChoice: '1' }, outcome: 'bad_choice' },
  { name: 'a time number past the list', service: 'appointments.time', args: { timeKeys: '08:00,09:00', timeChoice: '3' }, outcome: 'bad_choice' },
  { name: 'a booking at a time the centre does not open', service: 'appointments.book', args: { centreId: 'cotonou-1', day: '2026-12-08', time: '08:30', npi: '1234567890' }, outcome: 'no_slot' },
  { name: 'a booking on a Saturday', service: 'appointments.book', args: { centreId: 'cotonou-1', day: '2026-12-12', time: '08:00', npi: '1234567890' }, outcome: 'no_slot' },
  { name: 'a booking on a closed date', service: 'appointments.book', args: { centreId: 'cotonou-1', day: '2026-12-25', time: '08:00', npi: '1234567890' }, outcome: 'no_slot' },
  { name: 'a booking for today (the list starts tomorrow)', service: 'appointments.book', args: { centreId: 'cotonou-1', day: '2026-12-07', time: '15:00', npi: '1234567890' }, outcome: 'no_slot' },
  { name: 'a booking with a forged time', service: 'appointments.book', args: { centreId: 'cotonou-1', day: '2026-12-08', time: '08:00}', npi: '1234567890' }, outcome: 'no_slot' },
  { name: 'a booking without an NPI', service: 'appointments.book', args: { centreId: 'cotonou-1', day: '2026-12-08', time: '08:00', npi: '' }, outcome: 'no_slot' },
  { name: 'a move with a forged access token', service: 'appointments.book', args: { centreId: 'cotonou-1', day: '2026-12-08', time: '08:00', access: `${NOW + 60_000}.${'a'.repeat(64)}.${'b'.repeat(64)}` }, outcome: 'none' },
  { name: 'a lookup with a malformed NPI', service: 'appointments.find', args: { npi: '12345' }, outcome: 'none' },
  { name: 'a code check with a forged lookup token', service: 'appointments.find', args: { lookup: 'x.y.z', code: '123456' }, outcome: 'none' },
  { name: 'a cancel with no access', service: 'appointments.cancel', args: {}, outcome: 'none' },
  { name: 'a cancel with an expired access token', service: 'appointments.cancel', args: { access: `${NOW - 1}.${'a'.repeat(64)}.${'b'.repeat(64)}` }, outcome: 'none' },
];

describe('appointment services: ids checked before the book', () => {
  for (const c of CASES) {
    it(`${c.name}: ${c.outcome}, the book untouched`, async () => {
      const { services } = await servicesOver(untouchable);
      expect((await services[c.service]!(c.args, ctx)).outcome).toBe(c.outcome);
    });
  }

  it('a valid choice does reach the book (the untouchable book is not a test that cannot fail)', async () => {
    const { services } = await servicesOver(untouchable);
    await expect(services['appointments.days']!({ department: 'littoral', centreChoice: '1' }, ctx)).rejects.toThrow(/the book was asked openSlots/);
  });

  it('centre ids are the names of menus/data/ccsp.yaml without "CCSP", in lower case with dashes', () => {
    expect(['CCSP Cotonou 1', 'CCSP Abomey-Calavi', 'CCSP Dassa-Zoume', 'CCSP Séme Podji'].map(centreIdOf)).toEqual(['cotonou-1', 'abomey-calavi', 'dassa-zoume', 'seme-podji']);
  });

  it('a calendar naming a centre ccsp.yaml does not have stops the start, naming it', async () => {
    const config = { ...((await loadAppointmentsConfig(MENUS))!), centres: { 'cotonou-9': { places: 1 } } };
    expect(() => new AppointmentCalendar({ littoral: [{ name: 'CCSP Cotonou 1', place: 'Ganhi' }] }, config)).toThrow(/centres\.cotonou-9: no such centre/);
  });
});

describe('the book away', () => {
  // Nothing listens on port 1: every command fails at once, as with Redis down and no offline queue.
  const away = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  away.on('error', () => {});
  afterAll(() => away.disconnect());

  it('the citizen gets "Service momentanément indisponible" (END, HTTP 200), never a 5xx', async () => {
    const appointments = await servicesOver(new RedisAppointmentBook(away, new AppointmentCalendar(await loadCcspData(MENUS), (await loadAppointmentsConfig(MENUS))!)));
    const { app } = await createTestGateway({ services: await defaultServices({ appointments }) });
    const hop = (text: string) => atHop(app, { sessionId: 'appt-away', serviceCode: '*123*8#', text });
    await hop('');
    await hop('1');
    await hop('1*8');
    expect(await hop('1*8*1')).toEqual({ status: 200, body: 'END Service momentanément indisponible. Merci de réessayer plus tard.' });
  });
});
