import { isLanguage, type Language } from '../engine/languages.js';
import { smsSpelling } from '../sms/templates.js';
import { PermanentJobError, type JobQueue } from '../jobs/port.js';
import { PermanentSmsError, SmsTooLongError } from '../sms/port.js';
import { maskMsisdn } from '../lib/mask.js';
import type { Logger } from '../observability/logger.js';
import type { NewPayment, Payment } from '../payments/payment.js';
import type { PreferenceStore } from '../sessions/port.js';
import type { SmsOutbox } from '../sms/outbox.js';
import { ruleText, type AgencyReminders, type ReminderRule, type TrackedStatus } from './rules.js';
import { DEFAULT_QUIET_HOURS, isQuiet, outOfQuietHours, reminderInstant, type FrequencyCap, type QuietHours } from './schedule.js';
import type { PaymentEvents } from './payment-events.js';
import type { RecordedEvent, ReminderStore, RequestState, StatusEvent } from './store/port.js';

/** The queue reminders wait on, each a delayed job until its instant. */
export const REMINDER_QUEUE = 'reminders.fire';

/** What a delayed reminder job carries: which request, in which status since when, which rule. No number, no text. */
export interface ReminderJob {
  agency: string;
  requestNumber: string;
  status: TrackedStatus;
  sinceMs: number;
  ruleId: string;
  /** The instant it was scheduled for (ms): for logs, and for tests that move a clock of their own. */
  dueAtMs: number;
}

/** Default caps per number (`REMINDERS_PER_DAY`, `REMINDERS_PER_WEEK`). */
export const DEFAULT_CAPS: readonly FrequencyCap[] = [
  { max: 1, windowMs: 24 * 3_600_000 },
  { max: 3, windowMs: 7 * 24 * 3_600_000 },
];

export interface ReminderServiceDeps {
  rules: ReadonlyMap<string, AgencyReminders>;
  store: ReminderStore;
  queue: JobQueue;
  outbox: SmsOutbox;
  preferences: Pick<PreferenceStore, 'getLanguage' | 'isOptedOut'>;
  logger: Logger;
  caps?: readonly FrequencyCap[];
  quietHours?: QuietHours;
  now?: () => number;
}

/** One reminder a report scheduled: the rule and its instant. */
export interface ScheduledReminder {
  ruleId: string;
  fireAtMs: number;
}

/** Why a reminder due now did not go, for logs and tests. */
export type SkipReason = 'status_changed' | 'rule_removed' | 'opted_out' | 'capped';

export type FireResult = { sent: true; messageId: string } | { sent: false; reason: SkipReason } | { sent: false; movedToMs: number };

/**
 * Reminders relative to a request's dates. A report of a status change (the agency's API, the
 * payment flow) records the status and schedules each of its agency's rules for that status as a
 * delayed job, named by request, status, the instant it was entered and rule: the same report
 * twice schedules once, and a change cancels the previous status's jobs. A job that still fires
 * (a cancel lost, a queue that could not be reached) finds the status changed and sends nothing.
 * Quiet hours, STOP and the frequency cap are checked when it fires.
 */
export class ReminderService implements PaymentEvents {
  private readonly now: () => number;
  private readonly caps: readonly FrequencyCap[];
  private readonly quiet: QuietHours;

  constructor(private readonly deps: ReminderServiceDeps) {
    this.now = deps.now ?? Date.now;
    this.caps = deps.caps ?? DEFAULT_CAPS;
    this.quiet = deps.quietHours ?? DEFAULT_QUIET_HOURS;
  }

  /** Whether an agency has reminders configured. */
  hasRules(agency: string): boolean {
    return this.deps.rules.has(agency);
  }

  /**
   * Records a report and schedules (or cancels) what follows from it. A duplicate or an unchanged
   * status schedules its rules again under the same job ids, which the queue ignores: a crash
   * between recording and scheduling loses nothing. Only rules still ahead are scheduled again,
   * so a report repeated after its reminder went out does not send it twice.
   */
  async report(event: StatusEvent): Promise<RecordedEvent & { scheduled: ScheduledReminder[] }> {
    const recorded = await this.deps.store.recordStatus(event);
    if (recorded.outcome === 'stale') return { ...recorded, scheduled: [] };
    if (recorded.previous) await this.cancel(recorded.previous);
    const scheduled = await this.schedule(recorded.state, recorded.outcome === 'changed');
    return { ...recorded, scheduled };
  }

  /** The payment flow: a payment was created. The one who started it is reminded if it does not go through. */
  async paymentStarted(payment: NewPayment): Promise<void> {
    const agency = this.agencyOfRequest(payment.requestNumber);
    if (!agency) return;
    await this.report({
      agency,
      requestNumber: payment.requestNumber,
      status: 'payment_started',
      atMs: Date.parse(payment.createdAt),
      to: payment.initiatorMsisdn ?? payment.payerMsisdn,
      amountXof: payment.amountXof,
      idempotencyKey: `payment:${payment.id}:started`,
    });
  }

  /** The payment flow: a payment went through. Its "not finished" reminder is off. */
  async paymentSucceeded(payment: Payment, atMs: number): Promise<void> {
    const agency = this.agencyOfRequest(payment.requestNumber);
    if (!agency) return;
    await this.report({
      agency,
      requestNumber: payment.requestNumber,
      status: 'payment_succeeded',
      atMs,
      to: payment.initiatorMsisdn ?? payment.payerMsisdn,
      idempotencyKey: `payment:${payment.id}:succeeded`,
    });
  }

  /** Starts this process's worker for due reminders. */
  start(): void {
    this.deps.queue.process<ReminderJob>(REMINDER_QUEUE, async (job) => void (await this.fire(job)), { concurrency: 4 });
  }

  /**
   * A reminder's instant came. Sent only if the request is still in the status, since the same
   * instant, that scheduled it; at night it moves to the morning; a number that sent STOP or had
   * its share of reminders gets nothing. The SMS goes through the dispatcher under a key per
   * reminder, so a job run twice sends once.
   */
  async fire(job: ReminderJob): Promise<FireResult> {
    const log = { agency: job.agency, requestNumber: job.requestNumber, rule: job.ruleId, dueAt: new Date(job.dueAtMs).toISOString() };
    const state = await this.deps.store.get(job.agency, job.requestNumber);
    if (!state || state.status !== job.status || state.sinceMs !== job.sinceMs) {
      this.deps.logger.info(log, 'reminder not sent: the request is no longer in the status that scheduled it');
      return { sent: false, reason: 'status_changed' };
    }
    const rule = this.deps.rules.get(job.agency)?.rules.find((r) => r.id === job.ruleId && r.status === job.status);
    if (!rule) {
      this.deps.logger.info(log, 'reminder not sent: its rule is no longer configured');
      return { sent: false, reason: 'rule_removed' };
    }
    const now = this.now();
    if (isQuiet(now, this.quiet)) {
      // Due at night (a queue that was away, a worker late): the morning, under its own job id.
      const movedToMs = outOfQuietHours(now, this.quiet);
      await this.deps.queue.enqueue(REMINDER_QUEUE, { ...job, dueAtMs: movedToMs }, { jobId: `${jobIdOf(job)}:${movedToMs}`, delayMs: movedToMs - now });
      this.deps.logger.info({ ...log, movedTo: new Date(movedToMs).toISOString() }, 'reminder due in quiet hours: moved to the morning');
      return { sent: false, movedToMs };
    }
    const to = { to: maskMsisdn(state.to) };
    if (await this.deps.preferences.isOptedOut(state.to)) {
      this.deps.logger.info({ ...log, ...to }, 'reminder not sent: the number sent STOP');
      return { sent: false, reason: 'opted_out' };
    }
    const reminderKey = reminderKeyOf(job);
    const claim = await this.deps.store.claimSend(state.to, reminderKey, now, this.caps);
    if (claim === 'capped') {
      this.deps.logger.info({ ...log, ...to }, 'reminder not sent: the number had its share of reminders (frequency cap)');
      return { sent: false, reason: 'capped' };
    }
    const language = await this.languageOf(state);
    let messageId: string;
    try {
      ({ messageId } = await this.deps.outbox.enqueue({
        to: state.to,
        text: render(rule, language, state),
        idempotencyKey: `${job.agency}:reminder:${reminderKey}`,
        purpose: `reminder:${rule.id}`,
      }));
    } catch (error) {
      // A text too long or a number no route takes will not get better by retrying.
      if (error instanceof SmsTooLongError || error instanceof PermanentSmsError) throw new PermanentJobError(error.message);
      throw error;
    }
    this.deps.logger.info({ ...log, ...to, messageId }, 'reminder queued');
    return { sent: true, messageId };
  }

  private async schedule(state: RequestState, firstTime: boolean): Promise<ScheduledReminder[]> {
    const rules = this.rulesFor(state);
    const now = this.now();
    const scheduled: ScheduledReminder[] = [];
    for (const rule of rules) {
      const fireAtMs = reminderInstant(state.sinceMs, rule.afterMs, now, this.quiet);
      // Again for a report already applied: only what is still ahead (see `report`).
      if (!firstTime && state.sinceMs + rule.afterMs <= now) continue;
      const job: ReminderJob = { agency: state.agency, requestNumber: state.requestNumber, status: state.status, sinceMs: state.sinceMs, ruleId: rule.id, dueAtMs: fireAtMs };
      await this.deps.queue.enqueue(REMINDER_QUEUE, job, { jobId: jobIdOf(job), delayMs: Math.max(0, fireAtMs - now), attempts: 5, backoffMs: 60_000 });
      scheduled.push({ ruleId: rule.id, fireAtMs });
    }
    return scheduled;
  }

  /** Takes back the jobs of a status the request has left; one that escapes finds the status changed. */
  private async cancel(previous: RequestState): Promise<void> {
    for (const rule of this.rulesFor(previous)) {
      const job = { agency: previous.agency, requestNumber: previous.requestNumber, status: previous.status, sinceMs: previous.sinceMs, ruleId: rule.id };
      try {
        await this.deps.queue.cancel(REMINDER_QUEUE, jobIdOf(job));
      } catch (error) {
        this.deps.logger.warn({ agency: previous.agency, requestNumber: previous.requestNumber, rule: rule.id, reason: error instanceof Error ? error.message : String(error) }, 'reminder not cancelled: it will find the status changed when it fires');
      }
    }
  }

  private rulesFor(state: RequestState): readonly ReminderRule[] {
    return this.deps.rules.get(state.agency)?.rules.filter((rule) => rule.status === state.status) ?? [];
  }

  private agencyOfRequest(requestNumber: string): string | undefined {
    for (const file of this.deps.rules.values()) {
      if (file.requestPrefixes.some((prefix) => requestNumber.startsWith(prefix))) return file.agency;
    }
    return undefined;
  }

  private async languageOf(state: RequestState): Promise<Language> {
    if (state.language) return state.language;
    const stored = await this.deps.preferences.getLanguage(state.to);
    return isLanguage(stored) ? stored : 'fr';
  }
}

/** Names one reminder: a request, the status and instant it entered it, the rule. */
function reminderKeyOf(job: Omit<ReminderJob, 'dueAtMs'>): string {
  return `${job.requestNumber}:${job.status}:${job.sinceMs}:${job.ruleId}`;
}

function jobIdOf(job: Omit<ReminderJob, 'dueAtMs'>): string {
  return `reminder:${job.agency}:${reminderKeyOf(job)}`;
}

function render(rule: ReminderRule, language: Language, state: RequestState): string {
  const values: Record<string, string> = { requestNumber: state.requestNumber, amountXof: state.amountXof === undefined ? '' : String(state.amountXof) };
  // A Fon or Yoruba reminder past one UCS-2 segment goes in the language's GSM-7 spelling.
  return smsSpelling(language, ruleText(rule, language).replace(/\{\{(\w+)\}\}/g, (_m, name: string) => values[name] ?? ''));
}

/** `REMINDERS_PER_DAY` and `REMINDERS_PER_WEEK` as caps (0 sends none). */
export function capsFrom(limits: { perDay: number; perWeek: number }): FrequencyCap[] {
  return [
    { max: limits.perDay, windowMs: 24 * 3_600_000 },
    { max: limits.perWeek, windowMs: 7 * 24 * 3_600_000 },
  ];
}
