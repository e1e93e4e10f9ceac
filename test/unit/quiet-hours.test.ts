import { describe, expect, it } from 'vitest';
import { quietHoursDelayMs } from '../../src/ussd-push/quiet-hours.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe('quiet hours: 21:00–07:00 Benin time (UTC+1, no summer time)', () => {
  it.each([
    // instant (UTC), Benin time, wait until 07:00 Benin time
    ['2026-12-02T06:00:00Z', '07:00, the first minute allowed', 0],
    ['2026-12-02T09:00:00Z', '10:00', 0],
    ['2026-12-02T19:59:59Z', '20:59:59, the last second allowed', 0],
    ['2026-12-02T20:00:00Z', '21:00', 10 * HOUR],
    ['2026-12-02T21:30:00Z', '22:30', 8.5 * HOUR],
    ['2026-12-02T23:00:00Z', '00:00 the next day', 7 * HOUR],
    ['2026-12-03T05:59:00Z', '06:59', MIN],
    ['2026-06-30T22:15:00Z', '23:15 in June: the same rule all year', 7.75 * HOUR],
  ])('%s (%s) → waits %d ms', (instant, _benin, wait) => {
    expect(quietHoursDelayMs(Date.parse(instant))).toBe(wait);
  });
});
