import { afterAll, describe, expect, it } from 'vitest';
import type { PendingSurvey, SurveyStore, SurveyTiming } from './port.js';

const WEEK: SurveyTiming = { pendingTtlMs: 3 * 24 * 3600_000, quietMs: 7 * 24 * 3600_000 };
const survey = (over: Partial<PendingSurvey> = {}): PendingSurvey => ({ agency: 'anip', service: 'PS00200', ccsp: 'CCSP-COTONOU-1', month: '2026-12', language: 'fr', ...over });

/** Polls without asserting any duration: expiry is only ever "eventually". */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('never became true');
}

/** One contract, run against every survey store: memory (embedded) and Redis (shared by instances). */
export function surveyStoreConformance(name: string, make: () => SurveyStore, cleanup?: () => Promise<void>): void {
  describe(`SurveyStore conformance: ${name}`, () => {
    if (cleanup) afterAll(cleanup);
    const numberKey = () => `h${Math.random().toString(16).slice(2)}`;

    it('asks a number once per quiet period; the same offer again is a replay', async () => {
      const store = make();
      const key = numberKey();
      expect(await store.offer(key, 'anip:k1', survey(), WEEK)).toEqual({ outcome: 'offered', replay: false });
      expect(await store.offer(key, 'anip:k1', survey({ service: 'OTHER' }), WEEK)).toEqual({ outcome: 'offered', replay: true });
      expect(await store.offer(key, 'anip:k2', survey({ service: 'OTHER' }), WEEK)).toEqual({ outcome: 'recent' });
      // Neither the replay nor the refusal touched the waiting survey.
      expect(await store.peek(key)).toEqual(survey());
      expect(await store.offer(numberKey(), 'anip:k2', survey(), WEEK)).toEqual({ outcome: 'offered', replay: false });
    });

    it('hands a pending survey to exactly one of 20 concurrent answers, and the week still counts after it', async () => {
      const store = make();
      const key = numberKey();
      await store.offer(key, 'anip:k1', survey(), WEEK);
      const taken = await Promise.all(Array.from({ length: 20 }, () => store.take(key)));
      expect(taken.filter(Boolean)).toEqual([survey()]);
      expect(await store.peek(key)).toBeNull();
      expect(await store.offer(key, 'anip:k3', survey(), WEEK)).toEqual({ outcome: 'recent' });
    });

    it('forgets an unanswered survey after its time, and the number after the quiet period', async () => {
      const store = make();
      const key = numberKey();
      await store.offer(key, 'anip:k1', survey(), { pendingTtlMs: 100, quietMs: 60_000 });
      await eventually(async () => (await store.peek(key)) === null);
      expect(await store.take(key)).toBeNull();
      expect(await store.offer(key, 'anip:k2', survey(), WEEK)).toEqual({ outcome: 'recent' });
      const other = numberKey();
      await store.offer(other, 'anip:k1', survey(), { pendingTtlMs: 100, quietMs: 150 });
      await eventually(async () => (await store.offer(other, 'anip:k2', survey(), WEEK)).outcome === 'offered');
    });

    it('counts answers per month, agency, service and CCSP, with their words, every one of 50 concurrent ones', async () => {
      const store = make();
      const month = `2026-${String(1 + Math.floor(Math.random() * 12)).padStart(2, '0')}`;
      const base = { month, agency: 'anip', service: 'PS00200', ccsp: 'CCSP-COTONOU-1' };
      await Promise.all(Array.from({ length: 50 }, (_, i) => store.record({ ...base, rating: i % 2 ? 5 : 4, ...(i < 3 ? { word: 'merci' } : {}) })));
      await store.record({ ...base, ccsp: 'CCSP-PARAKOU', rating: 1, word: 'lent' });
      await store.record({ ...base, agency: 'dgi', service: 'IFU', ccsp: '-', rating: 3 });
      await store.record({ ...base, month: '2025-01', rating: 2 });
      expect(await store.results(month)).toEqual([
        { month, agency: 'anip', service: 'PS00200', ccsp: 'CCSP-COTONOU-1', ratings: { 1: 0, 2: 0, 3: 0, 4: 25, 5: 25 }, answers: 50, mean: 4.5, words: { merci: 3 } },
        { month, agency: 'anip', service: 'PS00200', ccsp: 'CCSP-PARAKOU', ratings: { 1: 1, 2: 0, 3: 0, 4: 0, 5: 0 }, answers: 1, mean: 1, words: { lent: 1 } },
        { month, agency: 'dgi', service: 'IFU', ccsp: '-', ratings: { 1: 0, 2: 0, 3: 1, 4: 0, 5: 0 }, answers: 1, mean: 3, words: {} },
      ]);
      expect(await store.results('2019-07')).toEqual([]);
    });
  });
}
