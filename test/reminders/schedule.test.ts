import { describe, expect, it } from 'vitest';
import { capVerdict, isQuiet, outOfQuietHours, parseDelay, reminderInstant } from '../../src/reminders/schedule.js';

/** Instants written in Benin time (+01:00), as a person in Cotonou reads them. */
const at = (benin: string) => Date.parse(`${benin}+01:00`);
const DAY = 24 * 3_600_000;

describe('quiet hours: no reminder from 21:00 to 07:00 Benin time', () => {
  const rows: [string, string, string][] = [
    ['an afternoon stays', '2026-03-09T15:00:00', '2026-03-09T15:00:00'],
    ['07:00 sharp is allowed', '2026-03-10T07:00:00', '2026-03-10T07:00:00'],
    ['20:59:59 is allowed', '2026-03-09T20:59:59', '2026-03-09T20:59:59'],
    ['21:00 sharp moves to the next morning', '2026-03-09T21:00:00', '2026-03-10T07:00:00'],
    ['22:30 moves to 07:00 the next morning', '2026-03-09T22:30:00', '2026-03-10T07:00:00'],
    ['just after midnight moves to 07:00 the same morning', '2026-03-10T00:10:00', '2026-03-10T07:00:00'],
    ['06:59 moves to 07:00', '2026-03-10T06:59:00', '2026-03-10T07:00:00'],
    ['the last night of the month moves into the next month', '2026-03-31T23:00:00', '2026-04-01T07:00:00'],
    ['the last night of the year moves into the next year', '2026-12-31T21:30:00', '2027-01-01T07:00:00'],
    // 23:30 UTC is 00:30 in Benin, the next day: the day is Benin's, not UTC's.
    ['a UTC evening already past midnight in Benin', '2026-03-10T00:30:00', '2026-03-10T07:00:00'],
  ];
  it.each(rows)('%s', (_name, instant, expected) => {
    expect(new Date(outOfQuietHours(at(instant))).toISOString()).toBe(new Date(at(expected)).toISOString());
    expect(isQuiet(at(instant))).toBe(instant !== expected);
  });

  it('quiet hours that do not cross midnight are honoured too', () => {
    expect(outOfQuietHours(at('2026-03-09T13:30:00'), { startHour: 12, endHour: 14 })).toBe(at('2026-03-09T14:00:00'));
    expect(outOfQuietHours(at('2026-03-09T11:59:00'), { startHour: 12, endHour: 14 })).toBe(at('2026-03-09T11:59:00'));
  });
});

describe('a rule’s instant: its delay after the status was entered, out of the quiet hours', () => {
  const rows: [string, string, number, string, string][] = [
    // name, entered the status, delay, now, fires at
    ['ready at 15:00 with 7 days fires 7 days later at 15:00', '2026-03-02T15:00:00', 7 * DAY, '2026-03-02T15:00:05', '2026-03-09T15:00:00'],
    ['one that would fall at 22:30 fires at 07:00 the next morning', '2026-03-02T22:30:00', 7 * DAY, '2026-03-02T22:30:01', '2026-03-10T07:00:00'],
    ['information requested at 10:30 with 3 days', '2026-03-02T10:30:00', 3 * DAY, '2026-03-02T10:31:00', '2026-03-05T10:30:00'],
    ['a payment at 20:30 with 1 hour falls at 21:30: 07:00 next morning', '2026-03-02T20:30:00', 3_600_000, '2026-03-02T20:30:00', '2026-03-03T07:00:00'],
    ['a payment at 19:15 with 1 hour: 20:15', '2026-03-02T19:15:00', 3_600_000, '2026-03-02T19:15:00', '2026-03-02T20:15:00'],
    ['reported late, past its instant: now', '2026-02-01T09:00:00', 7 * DAY, '2026-03-02T11:00:00', '2026-03-02T11:00:00'],
    ['reported late, at night: the next morning', '2026-02-01T09:00:00', 7 * DAY, '2026-03-02T23:00:00', '2026-03-03T07:00:00'],
  ];
  it.each(rows)('%s', (_name, since, delay, now, expected) => {
    expect(new Date(reminderInstant(at(since), delay, at(now))).toISOString()).toBe(new Date(at(expected)).toISOString());
  });
});

describe('frequency caps over rolling windows', () => {
  const now = at('2026-03-09T15:00:00');
  const caps = [
    { max: 1, windowMs: DAY },
    { max: 3, windowMs: 7 * DAY },
  ];
  const rows: [string, number[], boolean][] = [
    ['nothing sent: allowed', [], true],
    ['one sent 2 hours ago: the day is full', [now - 2 * 3_600_000], false],
    ['one sent just over a day ago: allowed', [now - DAY - 1], true],
    ['one sent exactly a day ago: out of the window, allowed', [now - DAY], true],
    ['three this week: the week is full', [now - 2 * DAY, now - 3 * DAY, now - 4 * DAY], false],
    ['three, one of them 8 days ago: allowed', [now - 2 * DAY, now - 3 * DAY, now - 8 * DAY], true],
  ];
  it.each(rows)('%s', (_name, sent, allowed) => {
    expect(capVerdict(sent, now, caps).allowed).toBe(allowed);
  });
  it('a cap of 0 sends nothing', () => {
    expect(capVerdict([], now, [{ max: 0, windowMs: DAY }]).allowed).toBe(false);
  });
});

describe('delays as written in YAML', () => {
  const rows: [string, number | null][] = [
    ['7d', 7 * DAY],
    ['3d', 3 * DAY],
    ['1h', 3_600_000],
    ['90m', 90 * 60_000],
    ['7 days', null],
    ['1.5h', null],
    ['-1d', null],
    ['', null],
  ];
  it.each(rows)('%j', (text, ms) => expect(parseDelay(text)).toBe(ms));
});
