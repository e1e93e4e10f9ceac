import type { Cluster, Redis } from 'ioredis';
import type { AppointmentCalendar } from './calendar.js';
import { slotStartMs, type AppointmentBook, type Booking, type BookOutcome, type CancelOutcome, type MoveOutcome, type NewBooking, type OpenSlot, type SlotRef } from './port.js';

/**
 * The appointment book in Redis, shared by every instance; works on Redis Cluster.
 *
 * Keys: a centre's day is one hash tag, `{cotonou-1:2026-12-07}`: `…:taken` (time → places taken)
 * and `…:bookings` (booking id → booking), so one script takes a place and records its booking
 * atomically. Each holder (the keyed hash of an NPI) has one pointer, `holder:{<hash>}`, naming its
 * booking: another slot, so the two are never written in one script. The order makes every crash
 * safe:
 *
 * 1. **claim the holder** (SET if absent, or compare-and-set over a pointer found dead), stamped
 *    with Redis's own clock;
 * 2. **take the place** in the centre's day (refused if full, or if the claim is older than
 *    `bookWindowMs`);
 * 3. on a full time, **give the claim back**.
 *
 * A pointer is believed only when its booking exists in its day's hash. A pointer whose booking is
 * absent is someone booking right now while younger than `staleMs` (> `bookWindowMs`), and dead
 * after: step 2 refuses a claim that old, so a late script can never add a booking behind a
 * pointer already given to another. So a holder never has two bookings, a time never has more
 * bookings than places, and a crash between the steps costs the holder at most `staleMs`.
 * A move claims the new booking with the old one named in the pointer (`was`), takes the new
 * place, then gives back the old one: a crash in between is finished by the next reader (the new
 * booking exists: the old place is given back; it does not: the old booking stays the live one).
 */

const CLAIM = `
local current = redis.call('GET', KEYS[1])
if (ARGV[1] == '' and current) or (ARGV[1] ~= '' and current ~= ARGV[1]) then return {0, current or ''} end
local t = redis.call('TIME')
local at = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local pointer = cjson.decode(ARGV[2])
pointer.at = at
redis.call('SET', KEYS[1], cjson.encode(pointer), 'PXAT', ARGV[3])
return {1, at}
`;

/** Replaces (ARGV[2]) or deletes ('') the holder's pointer if it still names booking ARGV[1]. */
const SWAP_IF_ID = `
local current = redis.call('GET', KEYS[1])
if not current or cjson.decode(current).id ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3]) end
return 1
`;

const TAKE_PLACE = `
if redis.call('HEXISTS', KEYS[2], ARGV[3]) == 1 then return 2 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now - tonumber(ARGV[5]) > tonumber(ARGV[6]) then return -1 end
local count = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if count >= tonumber(ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
redis.call('PEXPIREAT', KEYS[1], ARGV[7])
redis.call('PEXPIREAT', KEYS[2], ARGV[7])
return 1
`;

const GIVE_BACK = `
if redis.call('HDEL', KEYS[2], ARGV[1]) == 1 then redis.call('HINCRBY', KEYS[1], ARGV[2], -1) return 1 end
return 0
`;

interface Pointer extends SlotRef {
  id: string;
  /** Redis's clock (ms) when the pointer was claimed. */
  at: number;
  /** During a move: the booking being replaced. */
  was?: SlotRef & { id: string };
}

type Resolved = { state: 'live'; booking: Booking; raw: string } | { state: 'pending' } | { state: 'free'; raw: string | null };

type RedisWithAppointments = (Redis | Cluster) & {
  guichetApptClaim(holder: string, expected: string, pointer: string, expireAtMs: number): Promise<[number, number | string]>;
  guichetApptSwap(holder: string, id: string, replacement: string, expireAtMs: number): Promise<number>;
  guichetApptTake(taken: string, bookings: string, time: string, capacity: number, id: string, booking: string, claimAtMs: number, windowMs: number, expireAtMs: number): Promise<number>;
  guichetApptGiveBack(taken: string, bookings: string, id: string, time: string): Promise<number>;
};

export interface RedisAppointmentBookOptions {
  prefix?: string;
  /** A pointer without its booking is taken for dead this long after its claim (default 30 s). */
  staleMs?: number;
  /** A claim may take its place only this long after it was made (default 10 s; less than `staleMs`). */
  bookWindowMs?: number;
  /** `bookedAtMs` of new bookings. */
  clock?: () => number;
}

const DAY_MS = 86_400_000;

export class RedisAppointmentBook implements AppointmentBook {
  private readonly redis: RedisWithAppointments;
  private readonly prefix: string;
  private readonly staleMs: number;
  private readonly bookWindowMs: number;
  private readonly clock: () => number;

  constructor(
    redis: Redis | Cluster,
    private readonly calendar: Pick<AppointmentCalendar, 'openingOf' | 'capacityOf'>,
    options: RedisAppointmentBookOptions = {},
  ) {
    if (!('guichetApptClaim' in redis)) {
      redis.defineCommand('guichetApptClaim', { numberOfKeys: 1, lua: CLAIM });
      redis.defineCommand('guichetApptSwap', { numberOfKeys: 1, lua: SWAP_IF_ID });
      redis.defineCommand('guichetApptTake', { numberOfKeys: 2, lua: TAKE_PLACE });
      redis.defineCommand('guichetApptGiveBack', { numberOfKeys: 2, lua: GIVE_BACK });
    }
    this.redis = redis as RedisWithAppointments;
    this.prefix = options.prefix ?? 'guichet:appt:';
    this.staleMs = options.staleMs ?? 30_000;
    this.bookWindowMs = options.bookWindowMs ?? 10_000;
    if (this.bookWindowMs >= this.staleMs) throw new Error('appointments: bookWindowMs must be shorter than staleMs');
    this.clock = options.clock ?? Date.now;
  }

  async openSlots(centreId: string, day: string): Promise<OpenSlot[]> {
    const opening = this.calendar.openingOf(centreId, day);
    if (opening.length === 0) return [];
    const counts = await this.redis.hmget(this.takenKey({ centreId, day }), ...opening.map((s) => s.time));
    return opening.map(({ time, capacity }, i) => ({ time, capacity, remaining: Math.max(0, capacity - Number(counts[i] ?? 0)) }));
  }

  async book(booking: NewBooking, nowMs: number): Promise<BookOutcome> {
    const capacity = this.calendar.capacityOf(booking);
    if (capacity === 0) return { outcome: 'no_slot' };
    // A dead pointer replaced by another caller between our read and our claim: read again (twice at most).
    for (let round = 0; round < 3; round++) {
      const found = await this.resolve(booking.holderKey, nowMs);
      if (found.state === 'live') return { outcome: 'already_booked', booking: found.booking };
      if (found.state === 'pending') return { outcome: 'busy' };
      const stored: Booking = { ...booking, bookedAtMs: this.clock() };
      const [claimed, at] = await this.redis.guichetApptClaim(this.holderKey(booking.holderKey), found.raw ?? '', JSON.stringify(pointerOf(stored)), pointerExpiry(stored));
      if (claimed !== 1) continue;
      const taken = await this.take(stored, capacity, Number(at));
      if (taken === 1 || taken === 2) return { outcome: 'booked', booking: stored };
      await this.redis.guichetApptSwap(this.holderKey(booking.holderKey), stored.id, '', 0);
      return taken === 0 ? { outcome: 'full' } : { outcome: 'busy' };
    }
    return { outcome: 'busy' };
  }

  async move(holderKey: string, to: SlotRef, nowMs: number, newId: string): Promise<MoveOutcome> {
    const capacity = this.calendar.capacityOf(to);
    if (capacity === 0) return { outcome: 'no_slot' };
    const found = await this.resolve(holderKey, nowMs);
    if (found.state === 'pending') return { outcome: 'busy' };
    if (found.state === 'free') return { outcome: 'none' };
    const previous = found.booking;
    const booking: Booking = { ...previous, centreId: to.centreId, day: to.day, time: to.time, id: newId, bookedAtMs: this.clock() };
    const was = { ...slotOf(previous), id: previous.id };
    const key = this.holderKey(holderKey);
    const [claimed, at] = await this.redis.guichetApptClaim(key, found.raw, JSON.stringify({ ...pointerOf(booking), was }), Math.max(pointerExpiry(booking), pointerExpiry(previous)));
    if (claimed !== 1) return { outcome: 'busy' };
    const taken = await this.take(booking, capacity, Number(at));
    if (taken !== 1 && taken !== 2) {
      // The old booking stays the live one.
      await this.redis.guichetApptSwap(key, booking.id, JSON.stringify({ ...pointerOf(previous), at: Number(at) }), pointerExpiry(previous));
      return taken === 0 ? { outcome: 'full' } : { outcome: 'busy' };
    }
    await this.giveBack(previous);
    await this.redis.guichetApptSwap(key, booking.id, JSON.stringify({ ...pointerOf(booking), at: Number(at) }), pointerExpiry(booking));
    return { outcome: 'moved', booking, previous };
  }

  async cancel(holderKey: string, nowMs: number): Promise<CancelOutcome> {
    const found = await this.resolve(holderKey, nowMs);
    if (found.state === 'pending') return { outcome: 'busy' };
    if (found.state === 'free') return { outcome: 'none' };
    await this.giveBack(found.booking);
    await this.redis.guichetApptSwap(this.holderKey(holderKey), found.booking.id, '', 0);
    return { outcome: 'cancelled', booking: found.booking };
  }

  async liveBooking(holderKey: string, nowMs: number): Promise<Booking | null> {
    const found = await this.resolve(holderKey, nowMs);
    return found.state === 'live' ? found.booking : null;
  }

  /** What the holder's pointer says, believed only as far as the bookings it names exist (see the class comment). */
  private async resolve(holderKey: string, nowMs: number): Promise<Resolved> {
    const key = this.holderKey(holderKey);
    const raw = await this.redis.get(key);
    if (raw === null) return { state: 'free', raw: null };
    const pointer = JSON.parse(raw) as Pointer;
    const booking = await this.bookingAt(pointer);
    if (booking) {
      if (slotStartMs(booking) <= nowMs) return { state: 'free', raw };
      if (pointer.was) {
        // A move that stopped after taking its new place: finish it.
        await this.giveBack(pointer.was);
        const settled = JSON.stringify({ ...pointerOf(booking), at: pointer.at });
        if ((await this.redis.guichetApptSwap(key, booking.id, settled, pointerExpiry(booking))) === 1) return { state: 'live', booking, raw: settled };
        return this.resolve(holderKey, nowMs);
      }
      return { state: 'live', booking, raw };
    }
    const [seconds, micros] = await this.redis.time();
    const redisNowMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    if (redisNowMs - pointer.at <= this.staleMs) return { state: 'pending' };
    if (pointer.was) {
      // A move that stopped before its new place: the old booking is still the holder's.
      const previous = await this.bookingAt(pointer.was);
      if (previous && slotStartMs(previous) > nowMs) {
        const restored = JSON.stringify({ ...pointerOf(previous), at: pointer.at });
        if ((await this.redis.guichetApptSwap(key, pointer.id, restored, pointerExpiry(previous))) === 1) return { state: 'live', booking: previous, raw: restored };
        return this.resolve(holderKey, nowMs);
      }
    }
    return { state: 'free', raw };
  }

  private async bookingAt(ref: SlotRef & { id: string }): Promise<Booking | null> {
    const json = await this.redis.hget(this.bookingsKey(ref), ref.id);
    return json === null ? null : (JSON.parse(json) as Booking);
  }

  private take(booking: Booking, capacity: number, claimAtMs: number): Promise<number> {
    return this.redis.guichetApptTake(this.takenKey(booking), this.bookingsKey(booking), booking.time, capacity, booking.id, JSON.stringify(booking), claimAtMs, this.bookWindowMs, dayExpiry(booking));
  }

  private giveBack(booking: SlotRef & { id: string }): Promise<number> {
    return this.redis.guichetApptGiveBack(this.takenKey(booking), this.bookingsKey(booking), booking.id, booking.time);
  }

  private holderKey(holderKey: string): string {
    return `${this.prefix}holder:{${holderKey}}`;
  }

  /** The ids reach here validated by the calendar (no brace, no colon but the one between them). */
  private takenKey(slot: Pick<SlotRef, 'centreId' | 'day'>): string {
    return `${this.prefix}{${slot.centreId}:${slot.day}}:taken`;
  }

  private bookingsKey(slot: Pick<SlotRef, 'centreId' | 'day'>): string {
    return `${this.prefix}{${slot.centreId}:${slot.day}}:bookings`;
  }
}

function slotOf(slot: SlotRef): SlotRef {
  return { centreId: slot.centreId, day: slot.day, time: slot.time };
}

function pointerOf(booking: Booking): Omit<Pointer, 'at'> {
  return { id: booking.id, ...slotOf(booking) };
}

/** A holder's pointer is kept a day past its booking's time. */
function pointerExpiry(booking: SlotRef): number {
  return slotStartMs(booking) + DAY_MS;
}

/** A centre's day is kept a week past the day, for an agency's questions about it. */
function dayExpiry(slot: SlotRef): number {
  return slotStartMs({ day: slot.day, time: '23:59' }) + 7 * DAY_MS;
}
