import type { ServiceOutcome } from '../engine/types.js';
import type { Language } from '../engine/schema.js';
import { PermanentJobError, type JobQueue } from '../jobs/port.js';
import { MemoryAttemptLimiter } from '../limits/memory.js';
import { IDENTITY_PROOF_POLICY, type AttemptLimiter } from '../limits/port.js';
import { maskMsisdn } from '../lib/mask.js';
import { hmacHex, secretsMatch } from '../lib/secrets.js';
import type { Logger } from '../observability/logger.js';
import { DEFAULT_QUIET_HOURS, isQuiet, outOfQuietHours, type QuietHours } from '../reminders/schedule.js';
import { DEFAULT_PII_HASH_KEY } from '../services/holder-proof.js';
import type { ServiceContext, ServiceRegistry } from '../services/service-registry.js';
import type { PreferenceStore } from '../sessions/port.js';
import { PermanentSmsError, SmsTooLongError } from '../sms/port.js';
import type { SmsOutbox } from '../sms/outbox.js';
import { dayLabel, type AppointmentCalendar } from './calendar.js';
import { slotStartMs, type AppointmentBook, type Booking } from './port.js';
import { appointmentSms, type AppointmentSms } from './templates.js';

/** The queue appointment reminders wait on, one delayed job per booking. */
export const APPOINTMENT_REMINDER_QUEUE = 'appointments.remind';

/** What a reminder job carries: whose booking (the NPI's keyed hash), which one, when. No NPI, no number, no text. */
export interface AppointmentReminderJob {
  holderKey: string;
  bookingId: string;
  /** The instant it was scheduled for (ms): for logs, and for tests that move a clock of their own. */
  dueAtMs: number;
}

/** The reminder goes this long before the appointment: the same hour, the day before. */
export const REMINDER_BEFORE_MS = 24 * 3_600_000;
/** How long "Mon rendez-vous" stays open to a caller once it gave the NPI (and the code, if asked). */
const ACCESS_VALID_MS = 10 * 60_000;

export interface AppointmentServiceDeps {
  calendar: AppointmentCalendar;
  book: AppointmentBook;
  outbox: SmsOutbox;
  /** Reminder jobs (BullMQ with Redis, in memory otherwise). */
  queue: JobQueue;
  preferences: Pick<PreferenceStore, 'isOptedOut'>;
  logger: Logger;
  /** Wrong confirmation codes per caller number and per NPI: the identity proofs' limiter and policy. */
  attempts?: AttemptLimiter;
  /** `PII_HASH_KEY`: the NPI is kept only as its HMAC under this key. */
  piiHashKey?: string;
  /** Where a citizen manages a booking, named in the SMS. */
  manageCode?: string;
  quietHours?: QuietHours;
  now?: () => number;
}

export type ReminderFireResult = { sent: true; messageId: string } | { sent: false; reason: 'gone' | 'opted_out' | 'past' } | { sent: false; movedToMs: number };

/**
 * The appointment menu services (`appointments.*`, called by `menus/rendez-vous.yaml`), the SMS they
 * send and the reminders the day before. Every id the citizen's input leads to (department, centre,
 * day, time) is checked against the calendar before the book is asked. A booking is shown, moved or
 * cancelled only for a caller who gave its NPI from the number that booked, or with the code the
 * SMS carried (wrong codes are limited like identity proofs); anyone else gets the same neutral
 * answer as for an NPI without a booking.
 */
export class AppointmentService {
  private readonly now: () => number;
  private readonly piiHashKey: string;
  private readonly attempts: AttemptLimiter;
  private readonly quiet: QuietHours;
  private readonly manageCode: string;

  constructor(private readonly deps: AppointmentServiceDeps) {
    this.now = deps.now ?? Date.now;
    this.piiHashKey = deps.piiHashKey ?? DEFAULT_PII_HASH_KEY;
    this.attempts = deps.attempts ?? new MemoryAttemptLimiter(IDENTITY_PROOF_POLICY);
    this.quiet = deps.quietHours ?? DEFAULT_QUIET_HOURS;
    this.manageCode = deps.manageCode ?? '*123*8#';
  }

  /** Starts this process's worker for due reminders. */
  start(): void {
    this.deps.queue.process<AppointmentReminderJob>(APPOINTMENT_REMINDER_QUEUE, async (job) => void (await this.fire(job)), { concurrency: 4 });
  }

  get services(): ServiceRegistry {
    const { calendar, book } = this.deps;
    return {
      /** The centres of a department, numbered. */
      'appointments.centres': async (args): Promise<ServiceOutcome> => {
        const centres = calendar.centresOf(args.department ?? '');
        if (centres.length === 0) return { outcome: 'not_found' };
        return { outcome: 'ok', values: { centreList: numbered(centres.map((c) => c.name)), pick: '' } };
      },

      /**
       * The days a centre still has places, from tomorrow: the centre by its number in the
       * department's list (booking) or by its id (moving a booking, which keeps its centre).
       */
      'appointments.days': async (args, ctx): Promise<ServiceOutcome> => {
        const centre = args.centreChoice ? calendar.centresOf(args.department ?? '')[choiceIndex(args.centreChoice)] : calendar.centre(args.centreId ?? '');
        if (!centre) return { outcome: 'bad_choice', values: { pick: 'again' } };
        // Every bookable day at once (one read each, in parallel: the hop's budget is for one round trip, not 14).
        const counted = await Promise.all(
          calendar.bookableDays(centre.id, this.now()).map(async (day) => ({ day, remaining: (await book.openSlots(centre.id, day)).reduce((sum, slot) => sum + slot.remaining, 0) })),
        );
        const days = counted.filter((d) => d.remaining > 0).slice(0, calendar.daysShown);
        if (days.length === 0) return { outcome: 'none', values: { centreName: centre.name } };
        return {
          outcome: 'ok',
          values: {
            centreId: centre.id,
            centreName: centre.name,
            dayKeys: days.map((d) => d.day).join(','),
            dayList: numbered(days.map((d) => `${dayLabel(d.day, ctx.language)} (${d.remaining})`)),
            pick: '',
          },
        };
      },

      /** The times of the chosen day with a place left. */
      'appointments.times': async (args, ctx): Promise<ServiceOutcome> => {
        const day = listed(args.dayKeys, args.dayChoice);
        if (!day || !calendar.centre(args.centreId ?? '') || !calendar.isBookable(day, this.now())) return { outcome: 'bad_choice', values: { pick: 'again' } };
        const open = (await book.openSlots(args.centreId!, day)).filter((slot) => slot.remaining > 0);
        if (open.length === 0) return { outcome: 'full', values: { pick: 'full' } };
        return {
          outcome: 'ok',
          values: { day, dayLabel: dayLabel(day, ctx.language), timeKeys: open.map((s) => s.time).join(','), timeList: numbered(open.map((s) => `${s.time} (${s.remaining})`)), pick: '' },
        };
      },

      /** The chosen time; `move` when the caller is managing a booking (it holds the access), `book` otherwise. */
      'appointments.time': async (args, ctx): Promise<ServiceOutcome> => {
        const time = listed(args.timeKeys, args.timeChoice);
        if (!time) return { outcome: 'bad_choice', values: { pick: 'again' } };
        const moving = args.access ? await this.accessHolder(args.access, 'manage', ctx.msisdn) : null;
        return { outcome: moving ? 'move' : 'book', values: { time, pick: '' } };
      },

      /**
       * Books the chosen place for the NPI typed last (`npi`), or moves the caller's booking there
       * (`access`). The confirmation SMS and the reminder follow from here.
       */
      'appointments.book': async (args, ctx): Promise<ServiceOutcome> => {
        const slot = { centreId: args.centreId ?? '', day: args.day ?? '', time: args.time ?? '' };
        const now = this.now();
        if (calendar.capacityOf(slot) === 0 || !calendar.isBookable(slot.day, now)) return { outcome: 'no_slot', values: { npi: '' } };
        if (args.access) {
          const holderKey = await this.accessHolder(args.access, 'manage', ctx.msisdn);
          if (!holderKey) return { outcome: 'none' };
          const moved = await book.move(holderKey, slot, now, crypto.randomUUID());
          if (moved.outcome !== 'moved') return { outcome: moved.outcome };
          await this.unschedule(moved.previous);
          await this.afterWrite('moved', moved.booking);
          return { outcome: 'moved', values: this.shown(moved.booking, ctx.language) };
        }
        if (!/^\d{10}$/.test(args.npi ?? '')) return { outcome: 'no_slot', values: { npi: '' } };
        const holderKey = await this.holderKeyOf(args.npi!);
        const result = await book.book({ ...slot, id: crypto.randomUUID(), holderKey, code: confirmationCode(), msisdn: ctx.msisdn, language: ctx.language }, now);
        if (result.outcome === 'booked') {
          await this.afterWrite('booked', result.booking);
          // The code goes by SMS only: a screen can be read over a shoulder.
          return { outcome: 'booked', values: { ...this.shown(result.booking, ctx.language), npi: '' } };
        }
        // An NPI already holding a booking: nothing of it is shown here (it may be someone else's).
        return { outcome: result.outcome, values: { npi: '' } };
      },

      /**
       * "Mon rendez-vous": the NPI (`npi`), then the SMS code (`code`) unless the caller is the
       * number that booked. A stranger is asked for the code too, booking or not, so the question
       * itself tells nothing.
       */
      'appointments.find': async (args, ctx): Promise<ServiceOutcome> => {
        const now = this.now();
        let holderKey: string | null;
        if (args.lookup) {
          holderKey = await this.accessHolder(args.lookup, 'lookup', ctx.msisdn);
          if (!holderKey) return { outcome: 'none', values: { code: '' } };
          return this.verifyCode(holderKey, args.code ?? '', ctx, now);
        }
        if (!/^\d{10}$/.test(args.npi ?? '')) return { outcome: 'none', values: { npi: '' } };
        holderKey = await this.holderKeyOf(args.npi!);
        const booking = await book.liveBooking(holderKey, now);
        if (booking && booking.msisdn === ctx.msisdn) return { outcome: 'ok', values: { ...this.shown(booking, ctx.language), access: await this.access('manage', holderKey, ctx.msisdn), npi: '' } };
        return { outcome: 'code_needed', values: { lookup: await this.access('lookup', holderKey, ctx.msisdn), npi: '' } };
      },

      'appointments.cancel': async (args, ctx): Promise<ServiceOutcome> => {
        const holderKey = args.access ? await this.accessHolder(args.access, 'manage', ctx.msisdn) : null;
        if (!holderKey) return { outcome: 'none' };
        const result = await book.cancel(holderKey, this.now());
        if (result.outcome !== 'cancelled') return { outcome: result.outcome };
        await this.unschedule(result.booking);
        await this.sendSms('cancelled', result.booking);
        this.deps.logger.info({ bookingId: result.booking.id, centre: result.booking.centreId, day: result.booking.day }, 'appointment cancelled');
        return { outcome: 'cancelled', values: { ...this.shown(result.booking, ctx.language), access: '' } };
      },
    };
  }

  /**
   * A reminder's instant came: sent only if the booking is still the holder's live one (not moved,
   * cancelled or past); at night it moves to the morning; a number that sent STOP gets nothing. The
   * SMS goes under a key per booking, so a job run twice sends once.
   */
  async fire(job: AppointmentReminderJob): Promise<ReminderFireResult> {
    const now = this.now();
    const log = { bookingId: job.bookingId, dueAt: new Date(job.dueAtMs).toISOString() };
    const booking = await this.deps.book.liveBooking(job.holderKey, now);
    if (!booking || booking.id !== job.bookingId) {
      this.deps.logger.info(log, 'appointment reminder not sent: the booking was moved, cancelled or is past');
      return { sent: false, reason: 'gone' };
    }
    if (isQuiet(now, this.quiet)) {
      const movedToMs = outOfQuietHours(now, this.quiet);
      if (movedToMs >= slotStartMs(booking)) return { sent: false, reason: 'past' };
      await this.deps.queue.enqueue(APPOINTMENT_REMINDER_QUEUE, { ...job, dueAtMs: movedToMs }, { jobId: `${reminderJobId(booking)}:${movedToMs}`, delayMs: movedToMs - now });
      this.deps.logger.info({ ...log, movedTo: new Date(movedToMs).toISOString() }, 'appointment reminder due in quiet hours: moved to the morning');
      return { sent: false, movedToMs };
    }
    if (await this.deps.preferences.isOptedOut(booking.msisdn)) {
      this.deps.logger.info({ ...log, to: maskMsisdn(booking.msisdn) }, 'appointment reminder not sent: the number sent STOP');
      return { sent: false, reason: 'opted_out' };
    }
    try {
      const { messageId } = await this.deps.outbox.enqueue(this.sms('reminder', booking));
      this.deps.logger.info({ ...log, to: maskMsisdn(booking.msisdn), messageId }, 'appointment reminder queued');
      return { sent: true, messageId };
    } catch (error) {
      if (error instanceof SmsTooLongError || error instanceof PermanentSmsError) throw new PermanentJobError(error.message);
      throw error;
    }
  }

  /** When a booking's reminder goes: the same hour the day before, out of quiet hours; null when that is already past. */
  reminderInstant(booking: Booking, nowMs: number): number | null {
    const start = slotStartMs(booking);
    const at = outOfQuietHours(start - REMINDER_BEFORE_MS, this.quiet);
    return at <= nowMs || at >= start ? null : at;
  }

  /** The SMS and the reminder of a new booking. Neither undoes the booking when it fails: the screen already gave the code. */
  private async afterWrite(kind: 'booked' | 'moved', booking: Booking): Promise<void> {
    this.deps.logger.info({ bookingId: booking.id, centre: booking.centreId, day: booking.day, time: booking.time, to: maskMsisdn(booking.msisdn) }, kind === 'booked' ? 'appointment booked' : 'appointment moved');
    await this.sendSms(kind, booking);
    const at = this.reminderInstant(booking, this.now());
    if (at === null) return;
    const job: AppointmentReminderJob = { holderKey: booking.holderKey, bookingId: booking.id, dueAtMs: at };
    try {
      await this.deps.queue.enqueue(APPOINTMENT_REMINDER_QUEUE, job, { jobId: reminderJobId(booking), delayMs: Math.max(0, at - this.now()), attempts: 5, backoffMs: 60_000 });
    } catch (error) {
      this.deps.logger.error({ bookingId: booking.id, err: errorMessage(error) }, 'appointment reminder not scheduled');
    }
  }

  /** A moved or cancelled booking's reminder is taken back; one that escapes finds the booking gone. */
  private async unschedule(booking: Booking): Promise<void> {
    try {
      await this.deps.queue.cancel(APPOINTMENT_REMINDER_QUEUE, reminderJobId(booking));
    } catch (error) {
      this.deps.logger.warn({ bookingId: booking.id, err: errorMessage(error) }, 'appointment reminder not cancelled: it will find the booking gone');
    }
  }

  private async sendSms(kind: AppointmentSms, booking: Booking): Promise<void> {
    try {
      await this.deps.outbox.enqueue(this.sms(kind, booking));
    } catch (error) {
      this.deps.logger.error({ bookingId: booking.id, kind, err: errorMessage(error) }, 'appointment SMS not queued');
    }
  }

  private sms(kind: AppointmentSms, booking: Booking) {
    const centre = this.deps.calendar.centre(booking.centreId);
    const text = appointmentSms(kind, booking.language, {
      centre: centre?.name ?? booking.centreId,
      place: centre?.place ?? '',
      day: dayLabel(booking.day, booking.language),
      time: booking.time,
      code: booking.code,
      manage: this.manageCode,
    });
    return { to: booking.msisdn, text, idempotencyKey: `appointment:${booking.id}:${kind}`, purpose: `appointment-${kind}` };
  }

  private shown(booking: Booking, language: Language): Record<string, string> {
    const centre = this.deps.calendar.centre(booking.centreId);
    return { centreId: booking.centreId, centreName: centre?.name ?? booking.centreId, day: booking.day, dayLabel: dayLabel(booking.day, language), time: booking.time };
  }

  private async verifyCode(holderKey: string, code: string, ctx: ServiceContext, now: number): Promise<ServiceOutcome> {
    const keys = [`apptcode:caller:${await hmacHex(this.piiHashKey, ctx.msisdn)}`, `apptcode:npi:${holderKey}`];
    const lockedUntil = Math.max(...(await Promise.all(keys.map((key) => this.attempts.peek(key, now)))).map((s) => s.lockedUntilMs));
    if (lockedUntil > now) return { outcome: 'locked', values: { code: '', lookup: '', retryMinutes: minutesLeft(lockedUntil, now) } };
    const booking = await this.deps.book.liveBooking(holderKey, now);
    // The comparison runs whether or not there is a booking, so the time taken tells nothing.
    const matches = await secretsMatch(code, booking?.code ?? 'no-booking');
    if (booking && matches && /^\d{6}$/.test(code)) {
      await Promise.all(keys.map((key) => this.attempts.clear(key)));
      return { outcome: 'ok', values: { ...this.shown(booking, ctx.language), access: await this.access('manage', holderKey, ctx.msisdn), code: '', lookup: '' } };
    }
    const after = Math.max(...(await Promise.all(keys.map((key) => this.attempts.fail(key, now)))).map((s) => s.lockedUntilMs));
    if (after > now) return { outcome: 'locked', values: { code: '', lookup: '', retryMinutes: minutesLeft(after, now) } };
    return { outcome: 'none', values: { code: '', lookup: '' } };
  }

  private holderKeyOf(npi: string): Promise<string> {
    return hmacHex(this.piiHashKey, `appointment-npi:${npi}`);
  }

  /**
   * What the session carries instead of the NPI once it was given: the holder's hash, bound to the
   * caller's number and a purpose (`lookup`: the code is still to come; `manage`: shown, may move or
   * cancel), valid a few minutes, signed with `PII_HASH_KEY`.
   */
  private async access(purpose: 'lookup' | 'manage', holderKey: string, msisdn: string): Promise<string> {
    const until = this.now() + ACCESS_VALID_MS;
    return `${until}.${holderKey}.${await hmacHex(this.piiHashKey, `appointment-access:${purpose}:${holderKey}:${msisdn}:${until}`)}`;
  }

  private async accessHolder(token: string, purpose: 'lookup' | 'manage', msisdn: string): Promise<string | null> {
    const match = /^(\d{13})\.([0-9a-f]{64})\.([0-9a-f]{64})$/.exec(token);
    if (!match || Number(match[1]) < this.now()) return null;
    const expected = await hmacHex(this.piiHashKey, `appointment-access:${purpose}:${match[2]}:${msisdn}:${match[1]}`);
    return (await secretsMatch(match[3]!, expected)) ? match[2]! : null;
  }
}

function reminderJobId(booking: Pick<Booking, 'id'>): string {
  return `appointment-reminder:${booking.id}`;
}

/** `1.first\n2.second`: a list the citizen answers by number. */
function numbered(lines: readonly string[]): string {
  return lines.map((line, i) => `${i + 1}.${line}`).join('\n');
}

/** The zero-based index a typed number names; -1 for anything else. */
function choiceIndex(choice: string): number {
  return /^\d{1,2}$/.test(choice) ? Number(choice) - 1 : -1;
}

/** The entry of a comma list (`dayKeys`, `timeKeys`, held in the session) the typed number names. */
function listed(keys: string | undefined, choice: string | undefined): string | undefined {
  const index = choiceIndex(choice ?? '');
  return index < 0 ? undefined : (keys ?? '').split(',').filter(Boolean)[index];
}

/** Six digits, uniformly drawn (rejection sampling, so no digit is likelier). */
function confirmationCode(): string {
  const draw = new Uint32Array(1);
  const limit = Math.floor(0x1_0000_0000 / 1_000_000) * 1_000_000;
  do crypto.getRandomValues(draw);
  while (draw[0]! >= limit);
  return String(draw[0]! % 1_000_000).padStart(6, '0');
}

function minutesLeft(until: number, now: number): number {
  return Math.max(1, Math.ceil((until - now) / 60_000));
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
