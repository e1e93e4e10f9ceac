import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { auditSlots } from '../../testkit/redis-slots.js';
import { appointmentBookConformance, CONFORMANCE_CALENDAR, CONFORMANCE_NOW, newBooking } from './conformance.js';
import { MemoryAppointmentBook } from './memory.js';
import { RedisAppointmentBook } from './redis.js';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
const slots = auditSlots(redis);
const run = `${process.pid}-${Date.now()}`;
const prefixOf = () => `test-appt:${run}:${Math.random().toString(16).slice(2)}:`;

appointmentBookConformance('memory', () => new MemoryAppointmentBook(CONFORMANCE_CALENDAR));

describe('MemoryAppointmentBook: bounded', () => {
  it('forgets bookings and places whose time has passed (the embedded default keeps only what is ahead)', async () => {
    const book = new MemoryAppointmentBook(CONFORMANCE_CALENDAR);
    const past = newBooking();
    await book.book(past, CONFORMANCE_NOW);
    expect((await book.openSlots('cotonou-1', '2026-12-08'))[0]!.remaining).toBe(1);
    await book.book(newBooking({ day: '2026-12-10' }), Date.parse('2026-12-09T10:00:00+01:00'));
    expect((await book.openSlots('cotonou-1', '2026-12-08'))[0]!.remaining).toBe(2);
    expect((await book.openSlots('cotonou-1', '2026-12-10'))[0]!.remaining).toBe(1);
  });
});
// A fresh prefix per book: each test's places are its own.
appointmentBookConformance('redis', () => new RedisAppointmentBook(redis, CONFORMANCE_CALENDAR, { prefix: prefixOf() }));

/**
 * Redis only: what a crash between the steps leaves (the steps written by hand, as an instance
 * would have before dying), and that every script stays in one cluster slot.
 */
describe('RedisAppointmentBook: crashes between steps, cluster slots', () => {
  afterAll(async () => {
    const keys = await redis.keys(`test-appt:${run}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });
  const now = CONFORMANCE_NOW;
  // Short windows so a dead claim is dead within the test.
  const make = (prefix = prefixOf()) => ({ prefix, book: new RedisAppointmentBook(redis, CONFORMANCE_CALENDAR, { prefix, staleMs: 400, bookWindowMs: 150 }) });

  it('a claim left without its place (the instance died) holds the NPI while young, frees it once stale', async () => {
    const { prefix, book } = make();
    const request = newBooking();
    const pointer = JSON.stringify({ id: 'dead-claim', centreId: 'cotonou-1', day: '2026-12-08', time: '08:00', at: await redisNow() });
    await redis.set(`${prefix}holder:{${request.holderKey}}`, pointer);
    expect(await book.book(request, now)).toEqual({ outcome: 'busy' });
    await sleep(450);
    expect((await book.book(request, now)).outcome).toBe('booked');
  });

  it('a claim older than the booking window cannot take a place (so a late script never doubles a holder)', async () => {
    const { prefix, book } = make();
    const request = newBooking();
    // The script of a claim made 200 ms ago arrives now: refused, no place taken.
    const taken = await (redis as unknown as { guichetApptTake: (...a: unknown[]) => Promise<number> }).guichetApptTake(
      `${prefix}{cotonou-1:2026-12-08}:taken`, `${prefix}{cotonou-1:2026-12-08}:bookings`, '08:00', 2, request.id, JSON.stringify(request), (await redisNow()) - 200, 150, now + 86_400_000,
    );
    expect(taken).toBe(-1);
    expect((await book.openSlots('cotonou-1', '2026-12-08'))[0]!.remaining).toBe(2);
  });

  it('a move that died after its new place is finished by the next reader: the old place is given back', async () => {
    const { prefix, book } = make();
    const request = newBooking();
    await book.book(request, now);
    // The instance claimed the new booking (naming the old one) and took the new place, then died.
    const moved = { ...request, id: 'moved-id', day: '2026-12-10', time: '10:00', bookedAtMs: now };
    await redis.hincrby(`${prefix}{cotonou-1:2026-12-10}:taken`, '10:00', 1);
    await redis.hset(`${prefix}{cotonou-1:2026-12-10}:bookings`, 'moved-id', JSON.stringify(moved));
    await redis.set(`${prefix}holder:{${request.holderKey}}`, JSON.stringify({ id: 'moved-id', centreId: 'cotonou-1', day: '2026-12-10', time: '10:00', at: await redisNow(), was: { id: request.id, centreId: 'cotonou-1', day: '2026-12-08', time: '08:00' } }));
    expect(await book.liveBooking(request.holderKey, now)).toMatchObject({ id: 'moved-id' });
    expect((await book.openSlots('cotonou-1', '2026-12-08'))[0]!.remaining).toBe(2);
    expect((await book.openSlots('cotonou-1', '2026-12-10'))[2]!.remaining).toBe(1);
  });

  it('a move that died before its new place leaves the old booking live once its claim is stale', async () => {
    const { prefix, book } = make();
    const request = newBooking();
    await book.book(request, now);
    await redis.set(`${prefix}holder:{${request.holderKey}}`, JSON.stringify({ id: 'never-placed', centreId: 'cotonou-1', day: '2026-12-10', time: '10:00', at: await redisNow(), was: { id: request.id, centreId: 'cotonou-1', day: '2026-12-08', time: '08:00' } }));
    expect(await book.liveBooking(request.holderKey, now)).toBeNull(); // being moved right now
    await sleep(450);
    expect(await book.liveBooking(request.holderKey, now)).toMatchObject({ id: request.id, time: '08:00' });
    expect((await book.book(newBooking({ holderKey: request.holderKey, time: '10:00' }), now)).outcome).toBe('already_booked');
  });

  it('every script and multi-key command stays in one hash slot (Redis Cluster)', () => {
    expect(slots.violations).toEqual([]);
  });
});

async function redisNow(): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
