import { describe, expect, it } from 'vitest';
import type { FrequencyCap } from '../schedule.js';
import type { EventOutcome, ReminderStore, StatusEvent } from './port.js';

const DAY = 24 * 3_600_000;
const T0 = Date.parse('2026-03-02T14:00:00Z');

/** One contract, run against every ReminderStore backend; `make` gives a fresh, empty store. */
export function reminderStoreConformance(name: string, make: () => ReminderStore): void {
  describe(`ReminderStore conformance: ${name}`, () => {
    const base = (over: Partial<StatusEvent> = {}): StatusEvent => ({
      agency: 'service-public',
      requestNumber: 'PS00373-240001',
      status: 'ready',
      atMs: T0,
      to: '+2290197000001',
      ...over,
    });

    // Each row: reports in order, and the outcome and status expected after each.
    const sequences: { name: string; events: Partial<StatusEvent>[]; expected: [EventOutcome, string, number][] }[] = [
      { name: 'a first report sets the status', events: [{}], expected: [['changed', 'ready', T0]] },
      {
        name: 'the same status again keeps counting from when it was entered',
        events: [{}, { atMs: T0 + DAY }],
        expected: [['changed', 'ready', T0], ['unchanged', 'ready', T0]],
      },
      {
        name: 'a new status replaces the old one and counts from its own instant',
        events: [{ status: 'info_requested' }, { status: 'under_review', atMs: T0 + DAY }],
        expected: [['changed', 'info_requested', T0], ['changed', 'under_review', T0 + DAY]],
      },
      {
        name: 'a report older than the latest one is stale and changes nothing',
        events: [{ status: 'collected', atMs: T0 + DAY }, { status: 'ready', atMs: T0 }],
        expected: [['changed', 'collected', T0 + DAY], ['stale', 'collected', T0 + DAY]],
      },
      {
        name: 'an idempotency key seen before is a duplicate, whatever it says',
        events: [{ idempotencyKey: 'portail-1-ready' }, { idempotencyKey: 'portail-1-ready', status: 'collected', atMs: T0 + DAY }],
        expected: [['changed', 'ready', T0], ['duplicate', 'ready', T0]],
      },
    ];
    for (const row of sequences) {
      it(row.name, async () => {
        const store = make();
        const requestNumber = `PS00373-${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;
        const seen: [EventOutcome, string, number][] = [];
        for (const over of row.events) {
          const recorded = await store.recordStatus(base({ requestNumber, ...over }));
          seen.push([recorded.outcome, recorded.state.status, recorded.state.sinceMs]);
        }
        expect(seen).toEqual(row.expected);
        const stored = await store.get('service-public', requestNumber);
        expect(stored?.status).toBe(row.expected.at(-1)![1]);
      });
    }

    it('hands back the state a change replaced, and keeps language and amount', async () => {
      const store = make();
      await store.recordStatus(base({ requestNumber: 'PS00373-240100', status: 'payment_started', amountXof: 1900, language: 'en' }));
      const recorded = await store.recordStatus(base({ requestNumber: 'PS00373-240100', status: 'payment_succeeded', atMs: T0 + 60_000 }));
      expect(recorded.previous).toMatchObject({ status: 'payment_started', sinceMs: T0, amountXof: 1900, language: 'en', to: '+2290197000001' });
      expect(recorded.state).toMatchObject({ status: 'payment_succeeded', sinceMs: T0 + 60_000 });
      expect(recorded.state.amountXof).toBeUndefined();
    });

    it('keeps agencies apart: the same request number at two agencies is two requests', async () => {
      const store = make();
      await store.recordStatus(base({ requestNumber: 'PS00373-240200' }));
      expect(await store.get('anip', 'PS00373-240200')).toBeNull();
      expect((await store.recordStatus(base({ agency: 'anip', requestNumber: 'PS00373-240200', status: 'submitted' }))).outcome).toBe('changed');
    });

    const caps: FrequencyCap[] = [
      { max: 1, windowMs: DAY },
      { max: 2, windowMs: 7 * DAY },
    ];
    // Claims in order for one number: [reminder key, instant offset, expected].
    const claims: { name: string; steps: [string, number, string][] }[] = [
      { name: 'one a day: a second on the same day is capped', steps: [['a', 0, 'claimed'], ['b', 3_600_000, 'capped']] },
      { name: 'the day window rolls: a day later there is room', steps: [['a', 0, 'claimed'], ['b', DAY, 'claimed']] },
      { name: 'two a week: the third within the week is capped', steps: [['a', 0, 'claimed'], ['b', DAY, 'claimed'], ['c', 2 * DAY, 'capped'], ['d', 7 * DAY, 'claimed']] },
      { name: 'the same reminder claimed twice is `already`, not counted twice', steps: [['a', 0, 'claimed'], ['a', 60_000, 'already'], ['b', DAY, 'claimed']] },
      { name: 'a capped reminder is not counted', steps: [['a', 0, 'claimed'], ['b', 1000, 'capped'], ['b', DAY, 'claimed']] },
    ];
    for (const row of claims) {
      it(`frequency cap: ${row.name}`, async () => {
        const store = make();
        const msisdn = `+22901970${String(Math.floor(Math.random() * 1e5)).padStart(5, '0')}`;
        const seen: string[] = [];
        for (const [key, offset] of row.steps) seen.push(await store.claimSend(msisdn, key, T0 + offset, caps));
        expect(seen).toEqual(row.steps.map((s) => s[2]));
      });
    }
  });
}
