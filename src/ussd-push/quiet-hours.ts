/**
 * No push and no fallback SMS between 21:00 and 07:00 Benin time (issue 16: citizens are not woken
 * by an administration). Benin is UTC+1 all year (no summer time), so the window is 20:00–06:00 UTC;
 * a fixed offset keeps this free of time-zone databases, on every runtime.
 */
const BENIN_OFFSET_MS = 3_600_000;
const HOUR_MS = 3_600_000;
export const QUIET_FROM_HOUR = 21;
export const QUIET_UNTIL_HOUR = 7;

/** How long from `nowMs` until sending is allowed again: 0 outside quiet hours, else until 07:00 Benin time. */
export function quietHoursDelayMs(nowMs: number): number {
  const local = nowMs + BENIN_OFFSET_MS;
  const dayStart = Math.floor(local / (24 * HOUR_MS)) * 24 * HOUR_MS;
  const sinceMidnight = local - dayStart;
  if (sinceMidnight >= QUIET_UNTIL_HOUR * HOUR_MS && sinceMidnight < QUIET_FROM_HOUR * HOUR_MS) return 0;
  const nextMorning = sinceMidnight < QUIET_UNTIL_HOUR * HOUR_MS ? dayStart + QUIET_UNTIL_HOUR * HOUR_MS : dayStart + (24 + QUIET_UNTIL_HOUR) * HOUR_MS;
  return nextMorning - local;
}
