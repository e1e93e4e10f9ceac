import { z } from 'zod';
import type { CcspData } from '../services/ccsp-directory.js';
import { BENIN_UTC_OFFSET_MS } from '../reminders/schedule.js';
import type { SlotRef } from './port.js';

/**
 * Guichet's own appointment calendar: which times each CCSP opens on which day, and how many
 * places each time has (`menus/data/appointments.yaml`). Pure: the stores and the menu services
 * ask it, and every id a citizen's input leads to is checked here before any store sees it.
 */

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const Time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time is HH:MM');
const DayText = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'a day is YYYY-MM-DD');
/** What a centre, or one of its days, opens: each field overrides the one above it. */
const Opening = z.strictObject({
  weekdays: z.array(z.enum(WEEKDAYS)).min(1).optional(),
  // At most 96 (every 5 minutes for 8 hours): a day listing is still one HMGET.
  times: z.array(Time).min(1).max(96).optional(),
  /** Places per time (desks, agents): 0 closes that day. */
  places: z.number().int().min(0).max(500).optional(),
});

export const AppointmentsConfig = z.strictObject({
  /**
   * How many calendar days ahead a citizen may book, tomorrow being the first. At most 21: a
   * reminder is then never more than 20 days away, within what a timer of the in-memory job queue
   * can wait (2^31 ms, 24.8 days).
   */
  horizonDays: z.number().int().min(1).max(21),
  /** At most this many open days are offered on the USSD screen. */
  daysShown: z.number().int().min(1).max(9).default(5),
  defaults: Opening.required(),
  /** Public holidays: no centre opens. */
  closedDates: z.array(DayText).default([]),
  /** Per centre id: its own opening, and per day (`2026-12-24`) an opening of that day only. */
  centres: z.record(z.string(), Opening.extend({ dates: z.record(DayText, Opening).optional() })).default({}),
});
export type AppointmentsConfig = z.infer<typeof AppointmentsConfig>;

export interface Centre {
  id: string;
  name: string;
  place: string;
  department: string;
}

/** `CCSP Cotonou 1` → `cotonou-1`, `CCSP Abomey-Calavi` → `abomey-calavi`: a centre's id, from its name. */
export function centreIdOf(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/^ccsp\s+/, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

const CENTRE_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{2}:\d{2}$/;

export class AppointmentCalendar {
  private readonly centres = new Map<string, Centre>();
  private readonly byDepartment = new Map<string, Centre[]>();
  private readonly closed: ReadonlySet<string>;

  /** Throws, naming the id, when the configuration names a centre `ccsp.yaml` does not have. */
  constructor(
    ccsp: CcspData,
    private readonly config: AppointmentsConfig,
  ) {
    for (const [department, list] of Object.entries(ccsp)) {
      for (const entry of list) {
        const centre = { id: centreIdOf(entry.name), name: entry.name, place: entry.place, department };
        if (this.centres.has(centre.id)) throw new Error(`menus/data/ccsp.yaml: two centres have the id "${centre.id}"`);
        this.centres.set(centre.id, centre);
        this.byDepartment.set(department, [...(this.byDepartment.get(department) ?? []), centre]);
      }
    }
    for (const id of Object.keys(config.centres)) {
      if (!this.centres.has(id)) throw new Error(`menus/data/appointments.yaml: centres.${id}: no such centre in menus/data/ccsp.yaml (ids: ${[...this.centres.keys()].slice(0, 4).join(', ')}, …)`);
    }
    this.closed = new Set(config.closedDates);
  }

  get daysShown(): number {
    return this.config.daysShown;
  }

  centresOf(department: string): readonly Centre[] {
    return this.byDepartment.get(department) ?? [];
  }

  /** The centre of a validated id; undefined for anything else (never a store key). */
  centre(centreId: string): Centre | undefined {
    return CENTRE_ID.test(centreId) ? this.centres.get(centreId) : undefined;
  }

  /** The times and places of a centre on a day; empty when it is closed or the ids are not ours. */
  openingOf(centreId: string, day: string): { time: string; capacity: number }[] {
    if (!this.centre(centreId) || !DAY.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) return [];
    if (this.closed.has(day)) return [];
    const own = this.config.centres[centreId];
    const dated = own?.dates?.[day];
    const weekdays = dated?.weekdays ?? own?.weekdays ?? this.config.defaults.weekdays;
    // An opening for that very date opens it whatever its weekday.
    if (!dated && !weekdays.includes(WEEKDAYS[new Date(`${day}T12:00:00Z`).getUTCDay()]!)) return [];
    const places = dated?.places ?? own?.places ?? this.config.defaults.places;
    if (places === 0) return [];
    const times = dated?.times ?? own?.times ?? this.config.defaults.times;
    return [...new Set(times)].sort().map((time) => ({ time, capacity: places }));
  }

  /** The capacity of one slot; 0 when the centre does not open it (validation of a slot before a store). */
  capacityOf(slot: SlotRef): number {
    if (!TIME.test(slot.time)) return 0;
    return this.openingOf(slot.centreId, slot.day).find((s) => s.time === slot.time)?.capacity ?? 0;
  }

  /** Days a citizen may book at `nowMs`: from tomorrow (Benin time) for `horizonDays`, those the centre opens. */
  bookableDays(centreId: string, nowMs: number): string[] {
    const days: string[] = [];
    const today = beninDay(nowMs);
    for (let ahead = 1; ahead <= this.config.horizonDays; ahead++) {
      const day = addDays(today, ahead);
      if (this.openingOf(centreId, day).length > 0) days.push(day);
    }
    return days;
  }

  /** Whether a day may be booked at `nowMs` (tomorrow to the horizon). */
  isBookable(day: string, nowMs: number): boolean {
    const today = beninDay(nowMs);
    return DAY.test(day) && day > today && day <= addDays(today, this.config.horizonDays);
  }
}

/** The Benin calendar day of an instant. */
export function beninDay(instantMs: number): string {
  return new Date(instantMs + BENIN_UTC_OFFSET_MS).toISOString().slice(0, 10);
}

function addDays(day: string, count: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + count * 86_400_000).toISOString().slice(0, 10);
}

/** Each week day's short name, as a citizen reads it (`lun. 07/12`, `Mon 07/12`). */
const DAY_NAMES: Record<string, readonly string[]> = {
  fr: ['dim.', 'lun.', 'mar.', 'mer.', 'jeu.', 'ven.', 'sam.'],
  en: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'],
  // Drafts (README "National languages"), shortened like the French ones so the day lists fit.
  fon: ['Kɔs', 'Tɛn', 'Tal', 'Wɛn', 'Tag', 'Suk', 'Hwɛ'],
  yor: ['Àìkú', 'Ajé', 'Ìṣẹ́g', 'Ọjọ́rú', 'Ọjọ́bọ̀', 'Ẹtì', 'Àbá'],
};

export function dayLabel(day: string, language: string): string {
  const names = DAY_NAMES[language] ?? DAY_NAMES.fr!;
  const weekday = names[new Date(`${day}T12:00:00Z`).getUTCDay()]!;
  return `${weekday} ${day.slice(8, 10)}/${day.slice(5, 7)}`;
}
