import { afterAll, describe, expect, it } from 'vitest';
import { AppointmentCalendar, AppointmentsConfig } from './calendar.js';
import type { AppointmentBook, NewBooking } from './port.js';

/** Two centres; Cotonou 1 opens three times of 2 places on weekdays, one day of 50 places at 09:00 only. */
export const CONFORMANCE_CCSP = {
  littoral: [
    { name: 'CCSP Cotonou 1', place: 'Ganhi' },
    { name: 'CCSP Cotonou 2', place: 'Akpakpa' },
  ],
};
export const CONFORMANCE_CALENDAR = new AppointmentCalendar(
  CONFORMANCE_CCSP,
  AppointmentsConfig.parse({
    horizonDays: 14,
    defaults: { weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'], times: ['08:00', '09:00', '10:00'], places: 2 },
    closedDates: ['2026-12-25'],
    centres: { 'cotonou-1': { dates: { '2026-12-09': { times: ['09:00'], places: 50 } } } },
  }),
);

/** Monday 7 December 2026, 10:00 in Benin: the tests book the days after. */
export const CONFORMANCE_NOW = Date.parse('2026-12-07T10:00:00+01:00');

let sequence = 0;
/** A booking request from a holder of its own (a fresh NPI hash) unless one is given. */
export function newBooking(over: Partial<NewBooking> = {}): NewBooking {
  sequence++;
  return {
    id: crypto.randomUUID(),
    holderKey: `h${sequence}-${Math.random().toString(16).slice(2)}`,
    code: '123456',
    msisdn: '+2290197000001',
    language: 'fr',
    centreId: 'cotonou-1',
    day: '2026-12-08',
    time: '08:00',
    ...over,
  };
}

/**
 * One contract, run against every appointment book: memory (embedded default) and Redis (shared by
 * instances). Each test makes its own book, so its places are its own.
 */
export function appointmentBookConformance(name: string, make: () => AppointmentBook, cleanup?: () => Promise<void>): void {
  describe(`AppointmentBook conformance: ${name}`, () => {
    if (cleanup) afterAll(cleanup);
    const now = CONFORMANCE_NOW;

    it('lists every time the centre opens that day with its places left, and nothing on a closed day', async () => {
      const book = make();
      expect(await book.openSlots('cotonou-1', '2026-12-08')).toEqual([
        { time: '08:00', capacity: 2, remaining: 2 },
        { time: '09:00', capacity: 2, remaining: 2 },
        { time: '10:00', capacity: 2, remaining: 2 },
      ]);
      expect(await book.openSlots('cotonou-1', '2026-12-12')).toEqual([]); // a Saturday
      expect(await book.openSlots('cotonou-1', '2026-12-25')).toEqual([]); // a closed date
      expect(await book.openSlots('cotonou-1', '2026-12-09')).toEqual([{ time: '09:00', capacity: 50, remaining: 50 }]);
      expect(await book.openSlots('nowhere', '2026-12-08')).toEqual([]);
    });

    it('books a place, which the listing then counts, and finds it again by its holder', async () => {
      const book = make();
      const request = newBooking();
      const result = await book.book(request, now);
      expect(result.outcome).toBe('booked');
      if (result.outcome !== 'booked') return;
      expect(result.booking).toMatchObject({ ...request });
      expect((await book.openSlots('cotonou-1', '2026-12-08'))[0]).toEqual({ time: '08:00', capacity: 2, remaining: 1 });
      expect(await book.liveBooking(request.holderKey, now)).toEqual(result.booking);
      expect(await book.liveBooking('someone-else', now)).toBeNull();
    });

    it('gives one live booking per holder: a second one, anywhere, answers the first', async () => {
      const book = make();
      const first = newBooking();
      await book.book(first, now);
      const second = await book.book(newBooking({ holderKey: first.holderKey, centreId: 'cotonou-2', time: '10:00' }), now);
      expect(second).toMatchObject({ outcome: 'already_booked', booking: { id: first.id, centreId: 'cotonou-1', time: '08:00' } });
      expect((await book.openSlots('cotonou-2', '2026-12-08'))[2]!.remaining).toBe(2);
    });

    it('refuses a time once its places are taken; the refused holder has nothing and may book elsewhere', async () => {
      const book = make();
      expect((await book.book(newBooking(), now)).outcome).toBe('booked');
      expect((await book.book(newBooking(), now)).outcome).toBe('booked');
      const late = newBooking();
      expect(await book.book(late, now)).toEqual({ outcome: 'full' });
      expect(await book.liveBooking(late.holderKey, now)).toBeNull();
      expect((await book.book({ ...late, time: '09:00' }, now)).outcome).toBe('booked');
    });

    it('refuses a time, day or centre the calendar does not open (no_slot), before any place is counted', async () => {
      const book = make();
      for (const slot of [{ time: '08:30' }, { day: '2026-12-12' }, { day: '2026-12-25' }, { centreId: 'cotonou-9' }, { centreId: '{x}' }, { time: '9:00' }]) {
        expect(await book.book(newBooking(slot), now), JSON.stringify(slot)).toEqual({ outcome: 'no_slot' });
      }
    });

    it('moves a booking: the new place is taken, the old one given back, the holder keeps one booking', async () => {
      const book = make();
      const request = newBooking();
      await book.book(request, now);
      const moved = await book.move(request.holderKey, { centreId: 'cotonou-1', day: '2026-12-10', time: '10:00' }, now, 'new-id-1');
      expect(moved).toMatchObject({ outcome: 'moved', booking: { id: 'new-id-1', day: '2026-12-10', time: '10:00', code: '123456', msisdn: request.msisdn }, previous: { id: request.id } });
      expect((await book.openSlots('cotonou-1', '2026-12-08'))[0]!.remaining).toBe(2);
      expect((await book.openSlots('cotonou-1', '2026-12-10'))[2]!.remaining).toBe(1);
      expect(await book.liveBooking(request.holderKey, now)).toMatchObject({ id: 'new-id-1' });
    });

    it('keeps the booking as it was when the move finds the new time full, or the holder has none', async () => {
      const book = make();
      const request = newBooking();
      await book.book(request, now);
      await book.book(newBooking({ time: '09:00' }), now);
      await book.book(newBooking({ time: '09:00' }), now);
      expect(await book.move(request.holderKey, { centreId: 'cotonou-1', day: '2026-12-08', time: '09:00' }, now, 'new-id-2')).toEqual({ outcome: 'full' });
      expect(await book.liveBooking(request.holderKey, now)).toMatchObject({ id: request.id, time: '08:00' });
      expect((await book.openSlots('cotonou-1', '2026-12-08'))[0]!.remaining).toBe(1);
      expect(await book.move('nobody', { centreId: 'cotonou-1', day: '2026-12-08', time: '10:00' }, now, 'new-id-3')).toEqual({ outcome: 'none' });
      expect(await book.move(request.holderKey, { centreId: 'cotonou-1', day: '2026-12-08', time: '07:00' }, now, 'new-id-4')).toEqual({ outcome: 'no_slot' });
    });

    it('cancels: the place is given back, the holder may book again; a second cancel finds none', async () => {
      const book = make();
      const request = newBooking();
      await book.book(request, now);
      expect(await book.cancel(request.holderKey, now)).toMatchObject({ outcome: 'cancelled', booking: { id: request.id } });
      expect((await book.openSlots('cotonou-1', '2026-12-08'))[0]!.remaining).toBe(2);
      expect(await book.liveBooking(request.holderKey, now)).toBeNull();
      expect(await book.cancel(request.holderKey, now)).toEqual({ outcome: 'none' });
      expect((await book.book({ ...request, id: crypto.randomUUID() }, now)).outcome).toBe('booked');
    });

    it('a booking whose time has come is no longer live: its holder may book again', async () => {
      const book = make();
      const request = newBooking();
      await book.book(request, now);
      const after = Date.parse('2026-12-08T08:00:00+01:00');
      expect(await book.liveBooking(request.holderKey, after - 1)).toMatchObject({ id: request.id });
      expect(await book.liveBooking(request.holderKey, after)).toBeNull();
      expect((await book.book(newBooking({ holderKey: request.holderKey, day: '2026-12-10' }), after)).outcome).toBe('booked');
    });

    it('200 concurrent bookings by 200 holders for a time of 50 places: exactly 50 booked, 150 full', async () => {
      const book = make();
      const results = await Promise.all(Array.from({ length: 200 }, () => book.book(newBooking({ day: '2026-12-09', time: '09:00' }), now)));
      expect(results.filter((r) => r.outcome === 'booked')).toHaveLength(50);
      expect(results.filter((r) => r.outcome === 'full')).toHaveLength(150);
      expect(await book.openSlots('cotonou-1', '2026-12-09')).toEqual([{ time: '09:00', capacity: 50, remaining: 0 }]);
    });

    it('200 concurrent bookings by one holder over many times: exactly 1 booked, one place taken in all', async () => {
      const book = make();
      const holderKey = `one-holder-${Math.random()}`;
      const slots = ['2026-12-08', '2026-12-10', '2026-12-11'].flatMap((day) => ['08:00', '09:00', '10:00'].map((time) => ({ day, time })));
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => book.book(newBooking({ holderKey, ...slots[i % slots.length]! }), now)));
      const booked = results.filter((r) => r.outcome === 'booked');
      expect(booked).toHaveLength(1);
      expect(results.every((r) => ['booked', 'already_booked', 'busy'].includes(r.outcome))).toBe(true);
      let taken = 0;
      for (const day of ['2026-12-08', '2026-12-10', '2026-12-11']) for (const slot of await book.openSlots('cotonou-1', day)) taken += slot.capacity - slot.remaining;
      expect(taken).toBe(1);
      expect(await book.liveBooking(holderKey, now)).toEqual(booked[0]!.outcome === 'booked' ? booked[0]!.booking : null);
    });
  });
}
