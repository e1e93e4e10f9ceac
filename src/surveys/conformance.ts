import { afterAll, describe, expect, it } from 'vitest';
import type { PendingSurvey, SurveyReplyContent, SurveyStore, SurveyTiming } from './port.js';

const WEEK: SurveyTiming = { pendingTtlMs: 3 * 24 * 3600_000, quietMs: 7 * 24 * 3600_000 };
const survey = (over: Partial<PendingSurvey> = {}): PendingSurvey => ({ channel: 'sms', agency: 'anip', service: 'PS00200', ccsp: 'CCSP-COTONOU-1', month: '2026-12', language: 'fr', ...over });
const numberKey = () => `h${Math.random().toString(16).slice(2)}`;
const randomMonth = () => `2026-${String(1 + Math.floor(Math.random() * 12)).padStart(2, '0')}`;

/** Polls without asserting any duration: expiry is only ever "eventually". */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('never became true');
}

/** One answer the way the gateway gets one: a survey offered to a number of its own, then answered. */
export async function answerOne(store: SurveyStore, asked: PendingSurvey, reply: SurveyReplyContent): Promise<void> {
  const key = numberKey();
  await store.offer(key, `seed:${key}`, asked, WEEK);
  if (!(await store.answer(key, asked.channel, reply))) throw new Error('seeded answer not counted');
}

/** One contract, run against every survey store: memory (embedded) and Redis (shared by instances). */
export function surveyStoreConformance(name: string, make: () => SurveyStore, cleanup?: () => Promise<void>): void {
  describe(`SurveyStore conformance: ${name}`, () => {
    if (cleanup) afterAll(cleanup);

    it('asks a number once per quiet period whichever channel asks; the same offer again is a replay', async () => {
      const store = make();
      const key = numberKey();
      expect(await store.offer(key, 'anip:k1', survey(), WEEK)).toEqual({ outcome: 'offered', replay: false });
      expect(await store.offer(key, 'anip:k1', survey({ service: 'OTHER' }), WEEK)).toEqual({ outcome: 'offered', replay: true });
      expect(await store.offer(key, 'anip:k2', survey({ service: 'OTHER' }), WEEK)).toEqual({ outcome: 'recent' });
      // The USSD question shares the week with the SMS one.
      expect(await store.offer(key, 'ussd:anip:n1', survey({ channel: 'ussd' }), WEEK)).toEqual({ outcome: 'recent' });
      // Neither the replay nor the refusals touched the waiting survey.
      expect(await store.peek(key, 'sms')).toEqual(survey());
      expect(await store.peek(key, 'ussd')).toBeNull();
      expect(await store.offer(numberKey(), 'anip:k2', survey(), WEEK)).toEqual({ outcome: 'offered', replay: false });
    });

    it('takes and counts exactly one of 20 concurrent answers to one survey, and the week still counts after it', async () => {
      const store = make();
      const key = numberKey();
      const month = randomMonth();
      await store.offer(key, 'anip:k1', survey({ month }), WEEK);
      const taken = await Promise.all(Array.from({ length: 20 }, (_, i) => store.answer(key, 'sms', { rating: (1 + (i % 5)) as 1 | 2 | 3 | 4 | 5, word: 'merci' })));
      expect(taken.filter(Boolean)).toEqual([survey({ month })]);
      const [row] = await store.results(month);
      // The one answer taken is the one answer counted, with its word.
      expect(row?.answers).toBe(1);
      expect(row?.words).toEqual({ merci: 1 });
      expect(await store.peek(key, 'sms')).toBeNull();
      expect(await store.answer(key, 'sms', { rating: 5 })).toBeNull();
      expect(await store.offer(key, 'anip:k3', survey(), WEEK)).toEqual({ outcome: 'recent' });
    });

    it('does not ask again when an answered offer is replayed', async () => {
      const store = make();
      const key = numberKey();
      const month = randomMonth();
      await store.offer(key, 'anip:k1', survey({ month }), WEEK);
      expect(await store.answer(key, 'sms', { rating: 4 })).toEqual(survey({ month }));
      expect(await store.offer(key, 'anip:k1', survey({ month }), WEEK)).toEqual({ outcome: 'offered', replay: true });
      expect(await store.peek(key, 'sms')).toBeNull();
      expect(await store.answer(key, 'sms', { rating: 4 })).toBeNull();
      expect((await store.results(month))[0]?.answers).toBe(1);
    });

    it('answers a survey only on the channel that asked it', async () => {
      const store = make();
      const key = numberKey();
      const month = randomMonth();
      const asked = survey({ channel: 'ussd', month, service: 'track.show' });
      await store.offer(key, 'ussd:anip:n1', asked, WEEK);
      expect(await store.peek(key, 'sms')).toBeNull();
      // A `4` by SMS is no answer to a question asked on a USSD screen.
      expect(await store.answer(key, 'sms', { rating: 4 })).toBeNull();
      expect(await store.results(month)).toEqual([]);
      expect(await store.peek(key, 'ussd')).toEqual(asked);
      expect(await store.answer(key, 'ussd', { rating: 2 })).toEqual(asked);
      expect((await store.results(month))[0]?.ratings).toEqual({ 1: 0, 2: 1, 3: 0, 4: 0, 5: 0 });
    });

    it('counts the word given after the rating once, only within its window, only after a rating', async () => {
      const store = make();
      const month = randomMonth();
      const asked = survey({ channel: 'ussd', month, service: 'track.show' });
      const key = numberKey();
      await store.offer(key, 'ussd:anip:n1', asked, WEEK);
      expect(await store.addWord(key, asked, 'avant')).toBe(false);
      const answered = await store.answer(key, 'ussd', { rating: 5 }, { wordWindowMs: 60_000 });
      expect(answered).toEqual(asked);
      expect(await store.addWord(key, answered!, 'rapide')).toBe(true);
      expect(await store.addWord(key, answered!, 'encore')).toBe(false);
      // A rating without a window gets no word later.
      const other = numberKey();
      await store.offer(other, 'ussd:anip:n2', asked, WEEK);
      await store.answer(other, 'ussd', { rating: 3 });
      expect(await store.addWord(other, asked, 'lent')).toBe(false);
      // A window that passed.
      const late = numberKey();
      await store.offer(late, 'ussd:anip:n3', asked, WEEK);
      await store.answer(late, 'ussd', { rating: 1 }, { wordWindowMs: 100 });
      await new Promise((r) => setTimeout(r, 250));
      expect(await store.addWord(late, asked, 'tard')).toBe(false);
      expect(await store.results(month)).toEqual([
        { month, agency: 'anip', service: 'track.show', ccsp: 'CCSP-COTONOU-1', ratings: { 1: 1, 2: 0, 3: 1, 4: 0, 5: 1 }, answers: 3, mean: 3, words: { rapide: 1 } },
      ]);
    });

    it('forgets an unanswered survey after its time, and the number after the quiet period', async () => {
      const store = make();
      const key = numberKey();
      await store.offer(key, 'anip:k1', survey(), { pendingTtlMs: 100, quietMs: 60_000 });
      await eventually(async () => (await store.peek(key, 'sms')) === null);
      expect(await store.answer(key, 'sms', { rating: 3 })).toBeNull();
      expect(await store.offer(key, 'anip:k2', survey(), WEEK)).toEqual({ outcome: 'recent' });
      // A replay once its time is over does not open it again.
      expect(await store.offer(key, 'anip:k1', survey(), WEEK)).toEqual({ outcome: 'offered', replay: true });
      expect(await store.peek(key, 'sms')).toBeNull();
      const other = numberKey();
      await store.offer(other, 'anip:k1', survey(), { pendingTtlMs: 100, quietMs: 150 });
      await eventually(async () => (await store.offer(other, 'anip:k2', survey(), WEEK)).outcome === 'offered');
    });

    it('refuses a timing where a survey would outlive its week', async () => {
      await expect(make().offer(numberKey(), 'anip:k1', survey(), { pendingTtlMs: 2000, quietMs: 1000 })).rejects.toThrow(/pendingTtlMs/);
    });

    it('counts answers per month, agency, service and CCSP, with their words, every one of 50 concurrent ones', async () => {
      const store = make();
      const month = randomMonth();
      const base = survey({ month });
      await Promise.all(Array.from({ length: 50 }, (_, i) => answerOne(store, base, { rating: i % 2 ? 5 : 4, ...(i < 3 ? { word: 'merci' } : {}) })));
      await answerOne(store, { ...base, ccsp: 'CCSP-PARAKOU' }, { rating: 1, word: 'lent' });
      await answerOne(store, { ...base, agency: 'dgi', service: 'IFU', ccsp: '-', channel: 'ussd' }, { rating: 3 });
      await answerOne(store, { ...base, month: '2025-01' }, { rating: 2 });
      expect(await store.results(month)).toEqual([
        { month, agency: 'anip', service: 'PS00200', ccsp: 'CCSP-COTONOU-1', ratings: { 1: 0, 2: 0, 3: 0, 4: 25, 5: 25 }, answers: 50, mean: 4.5, words: { merci: 3 } },
        { month, agency: 'anip', service: 'PS00200', ccsp: 'CCSP-PARAKOU', ratings: { 1: 1, 2: 0, 3: 0, 4: 0, 5: 0 }, answers: 1, mean: 1, words: { lent: 1 } },
        { month, agency: 'dgi', service: 'IFU', ccsp: '-', ratings: { 1: 0, 2: 0, 3: 1, 4: 0, 5: 0 }, answers: 1, mean: 3, words: {} },
      ]);
      expect(await store.results('2019-07')).toEqual([]);
    });
  });
}
