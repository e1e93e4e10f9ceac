/**
 * When a reminder goes out, as pure functions of instants (milliseconds since the epoch): the
 * reminder service, the stores and the tests share them, and none of them reads a clock.
 */

/** Benin is UTC+1 all year (no daylight saving time): West Africa Time. */
export const BENIN_UTC_OFFSET_MS = 3_600_000;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Hours (Benin time) when no reminder is sent: from `startHour` until `endHour`, across midnight when start > end. */
export interface QuietHours {
  startHour: number;
  endHour: number;
}

/** No SMS from 21:00 to 07:00 Benin time: a reminder is not worth waking anyone for. */
export const DEFAULT_QUIET_HOURS: QuietHours = { startHour: 21, endHour: 7 };

/** At most `max` reminders to one number within any `windowMs` (a rolling window). */
export interface FrequencyCap {
  max: number;
  windowMs: number;
}

/**
 * The instant itself when it is outside the quiet hours, else the end of those quiet hours
 * (07:00 Benin time, the same morning or the next one). 07:00 sharp is allowed; 21:00 sharp is not.
 */
export function outOfQuietHours(instantMs: number, quiet: QuietHours = DEFAULT_QUIET_HOURS): number {
  const localMs = instantMs + BENIN_UTC_OFFSET_MS;
  const localMidnight = Math.floor(localMs / DAY_MS) * DAY_MS;
  const sinceMidnight = localMs - localMidnight;
  const start = quiet.startHour * HOUR_MS;
  const end = quiet.endHour * HOUR_MS;
  if (start === end) return instantMs;
  let quietEndLocal: number | undefined;
  if (start > end) {
    // Across midnight: the evening part ends tomorrow morning, the early part this morning.
    if (sinceMidnight >= start) quietEndLocal = localMidnight + DAY_MS + end;
    else if (sinceMidnight < end) quietEndLocal = localMidnight + end;
  } else if (sinceMidnight >= start && sinceMidnight < end) {
    quietEndLocal = localMidnight + end;
  }
  return quietEndLocal === undefined ? instantMs : quietEndLocal - BENIN_UTC_OFFSET_MS;
}

export function isQuiet(instantMs: number, quiet: QuietHours = DEFAULT_QUIET_HOURS): boolean {
  return outOfQuietHours(instantMs, quiet) !== instantMs;
}

/**
 * When a rule's reminder fires: `afterMs` after the request entered its status, moved out of the
 * quiet hours. An instant already past (an event reported late) fires at `nowMs`, moved the same way.
 */
export function reminderInstant(sinceMs: number, afterMs: number, nowMs: number, quiet: QuietHours = DEFAULT_QUIET_HOURS): number {
  return outOfQuietHours(Math.max(sinceMs + afterMs, nowMs), quiet);
}

/**
 * Whether one more reminder may go to a number that was sent reminders at `sentAtMs`: every cap
 * must have room at `nowMs`. Answers the first cap that is full, for the log.
 */
export function capVerdict(sentAtMs: readonly number[], nowMs: number, caps: readonly FrequencyCap[]): { allowed: true } | { allowed: false; cap: FrequencyCap } {
  for (const cap of caps) {
    const inWindow = sentAtMs.filter((at) => at > nowMs - cap.windowMs && at <= nowMs).length;
    if (inWindow >= cap.max) return { allowed: false, cap };
  }
  return { allowed: true };
}

/** `7d`, `3d`, `1h`, `90m`: a rule's delay as written in YAML, in milliseconds; null when not one. */
export function parseDelay(text: string): number | null {
  const match = /^(\d{1,4})(m|h|d)$/.exec(text.trim());
  if (!match) return null;
  const unit = { m: 60_000, h: HOUR_MS, d: DAY_MS }[match[2] as 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}
