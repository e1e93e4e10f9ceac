import type { Language } from '../engine/schema.js';

/**
 * CCSP appointments (issue 17 part 3). The port is what the menu services need from whoever keeps
 * the appointment book: Guichet's own store (`memory.ts`, `redis.ts`, capacities from
 * `menus/data/appointments.yaml`) or, later, an agency's service over X-Road answering the same
 * questions (which places are left, book, move, cancel, this person's booking). Nothing here says
 * where capacities come from, so an X-Road adapter needs no calendar of ours.
 *
 * Identifiers arrive validated (`ids.ts`): a centre id is the slug of a centre in
 * `menus/data/ccsp.yaml`, a day is `YYYY-MM-DD`, a time `HH:MM` (Benin time, UTC+1).
 */

/** One time of one centre on one day. */
export interface SlotRef {
  /** `cotonou-1`: the slug of the centre's name in `menus/data/ccsp.yaml` (`ids.ts`). */
  centreId: string;
  /** `2026-12-07`, a Benin calendar day. */
  day: string;
  /** `09:00`, Benin time. */
  time: string;
}

/** A time of the day with its places: `remaining` 0 is a full time, still listed. */
export interface OpenSlot {
  time: string;
  capacity: number;
  remaining: number;
}

/** A booking as the book keeps it. The NPI itself is never here: `holderKey` is its keyed hash. */
export interface Booking extends SlotRef {
  /** Random (UUID): names this booking (a move makes a new one), its SMS and its reminder job. */
  id: string;
  /** HMAC of the NPI (`PII_HASH_KEY`): one live booking per key. */
  holderKey: string;
  /** Six digits sent by SMS: lets the holder manage the booking from another phone. */
  code: string;
  /** E.164 number that booked: it gets the SMS and the reminder, and may manage without the code. */
  msisdn: string;
  language: Language;
  bookedAtMs: number;
}

export type NewBooking = Omit<Booking, 'bookedAtMs'>;

export type BookOutcome =
  | { outcome: 'booked'; booking: Booking }
  /** Every place of that time is taken. */
  | { outcome: 'full' }
  /** The time is not one the centre opens that day (a stale list, a forged id). */
  | { outcome: 'no_slot' }
  /** This NPI already holds a live booking (returned so the caller may show it to its holder only). */
  | { outcome: 'already_booked'; booking: Booking }
  /** Another booking or move for this NPI is being written right now: try again in a moment. */
  | { outcome: 'busy' };

export type MoveOutcome =
  | { outcome: 'moved'; booking: Booking; previous: Booking }
  | { outcome: 'full' }
  | { outcome: 'no_slot' }
  /** No live booking for this NPI (cancelled, past, never made). */
  | { outcome: 'none' }
  | { outcome: 'busy' };

export type CancelOutcome = { outcome: 'cancelled'; booking: Booking } | { outcome: 'none' } | { outcome: 'busy' };

export interface AppointmentBook {
  /** Every time the centre opens that day with its places left; empty when it is closed. */
  openSlots(centreId: string, day: string): Promise<OpenSlot[]>;
  /**
   * Books a place, at most one live booking per `holderKey` and never more bookings of a time
   * than its capacity, whatever runs concurrently. A booking is live until its time has come
   * (`nowMs`), then the NPI may book again.
   */
  book(booking: NewBooking, nowMs: number): Promise<BookOutcome>;
  /** Moves the holder's live booking to another time: the new place is taken before the old one is given back. */
  move(holderKey: string, to: SlotRef, nowMs: number, newId: string): Promise<MoveOutcome>;
  cancel(holderKey: string, nowMs: number): Promise<CancelOutcome>;
  /** The holder's live booking, or null. */
  liveBooking(holderKey: string, nowMs: number): Promise<Booking | null>;
}

/** The instant a slot starts (ms since the epoch): Benin is UTC+1 all year. */
export function slotStartMs(slot: Pick<SlotRef, 'day' | 'time'>): number {
  return Date.parse(`${slot.day}T${slot.time}:00+01:00`);
}
