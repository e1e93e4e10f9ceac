import type { AppointmentCalendar } from './calendar.js';
import { slotStartMs, type AppointmentBook, type Booking, type BookOutcome, type CancelOutcome, type MoveOutcome, type NewBooking, type OpenSlot, type SlotRef } from './port.js';

type Capacities = Pick<AppointmentCalendar, 'openingOf' | 'capacityOf'>;

/**
 * The appointment book of one process: the embedded default and tests. Each operation runs
 * without an `await` between its check and its write, so concurrent calls in this process are as
 * atomic as the Redis scripts are across instances.
 */
export class MemoryAppointmentBook implements AppointmentBook {
  /** `centre|day|time` → booking ids holding a place there. */
  private readonly taken = new Map<string, Set<string>>();
  private readonly bookings = new Map<string, Booking>();
  /** holderKey → the id of its booking. */
  private readonly holders = new Map<string, string>();
  private prunedAtMs = 0;

  constructor(
    private readonly calendar: Capacities,
    private readonly clock: () => number = Date.now,
  ) {}

  async openSlots(centreId: string, day: string): Promise<OpenSlot[]> {
    return this.calendar.openingOf(centreId, day).map(({ time, capacity }) => ({ time, capacity, remaining: Math.max(0, capacity - this.placesTaken({ centreId, day, time }).size) }));
  }

  async book(booking: NewBooking, nowMs: number): Promise<BookOutcome> {
    this.prune(nowMs);
    const capacity = this.calendar.capacityOf(booking);
    if (capacity === 0) return { outcome: 'no_slot' };
    const live = this.live(booking.holderKey, nowMs);
    if (live) return { outcome: 'already_booked', booking: live };
    const places = this.placesTaken(booking);
    if (places.size >= capacity) return { outcome: 'full' };
    const stored = { ...booking, bookedAtMs: this.clock() };
    places.add(stored.id);
    this.bookings.set(stored.id, stored);
    this.holders.set(stored.holderKey, stored.id);
    return { outcome: 'booked', booking: stored };
  }

  async move(holderKey: string, to: SlotRef, nowMs: number, newId: string): Promise<MoveOutcome> {
    const capacity = this.calendar.capacityOf(to);
    if (capacity === 0) return { outcome: 'no_slot' };
    const previous = this.live(holderKey, nowMs);
    if (!previous) return { outcome: 'none' };
    const places = this.placesTaken(to);
    if (places.size >= capacity) return { outcome: 'full' };
    const booking: Booking = { ...previous, ...pick(to), id: newId, bookedAtMs: this.clock() };
    places.add(booking.id);
    this.bookings.set(booking.id, booking);
    this.holders.set(holderKey, booking.id);
    this.release(previous);
    return { outcome: 'moved', booking, previous };
  }

  async cancel(holderKey: string, nowMs: number): Promise<CancelOutcome> {
    const booking = this.live(holderKey, nowMs);
    if (!booking) return { outcome: 'none' };
    this.release(booking);
    this.holders.delete(holderKey);
    return { outcome: 'cancelled', booking };
  }

  async liveBooking(holderKey: string, nowMs: number): Promise<Booking | null> {
    return this.live(holderKey, nowMs);
  }

  private live(holderKey: string, nowMs: number): Booking | null {
    const id = this.holders.get(holderKey);
    const booking = id === undefined ? undefined : this.bookings.get(id);
    if (!booking) return null;
    if (slotStartMs(booking) <= nowMs) {
      // Its time has come: the NPI may book again; the place it held is history.
      this.holders.delete(holderKey);
      this.bookings.delete(booking.id);
      return null;
    }
    return booking;
  }

  /** Forgets bookings whose time has passed, at most once an hour: the embedded book stays as big as what is ahead. */
  private prune(nowMs: number): void {
    if (nowMs - this.prunedAtMs < 3_600_000) return;
    this.prunedAtMs = nowMs;
    for (const booking of [...this.bookings.values()]) {
      if (slotStartMs(booking) > nowMs) continue;
      this.bookings.delete(booking.id);
      if (this.holders.get(booking.holderKey) === booking.id) this.holders.delete(booking.holderKey);
    }
    for (const key of [...this.taken.keys()]) {
      const [, day, time] = key.split('|');
      if (slotStartMs({ day: day!, time: time! }) <= nowMs) this.taken.delete(key);
    }
  }

  private release(booking: Booking): void {
    this.placesTaken(booking).delete(booking.id);
    this.bookings.delete(booking.id);
  }

  private placesTaken(slot: SlotRef): Set<string> {
    const key = `${slot.centreId}|${slot.day}|${slot.time}`;
    let places = this.taken.get(key);
    if (!places) this.taken.set(key, (places = new Set()));
    return places;
  }
}

function pick(slot: SlotRef): SlotRef {
  return { centreId: slot.centreId, day: slot.day, time: slot.time };
}
