import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { auditSlots } from '../../testkit/redis-slots.js';
import { surveyStoreConformance } from './conformance.js';
import { MemorySurveyStore } from './memory.js';
import type { PendingSurvey, SurveyTiming } from './port.js';
import { RedisSurveyStore } from './redis.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
const slots = auditSlots(redis);
const run = `${process.pid}-${Date.now()}`;
const WEEK: SurveyTiming = { pendingTtlMs: 3 * 24 * 3600_000, quietMs: 7 * 24 * 3600_000 };

surveyStoreConformance('memory', () => new MemorySurveyStore());
// A fresh prefix per store: each test's months and numbers are its own.
surveyStoreConformance('redis', () => new RedisSurveyStore(redis, `test-surveys:${run}:${Math.random()}:`));

afterAll(async () => {
  const keys = await redis.keys(`test-surveys:${run}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

/**
 * Redis only: what a failure between "take the survey" and "count the answer" would do. The
 * memory store does both in one synchronous stretch, where nothing can fail or interleave; on
 * Redis they are one script, and these tests cut the connection and break the write to prove it.
 */
describe('RedisSurveyStore: one answer is taken and counted in one step', () => {
  const asked = (month: string): PendingSurvey => ({ channel: 'sms', agency: 'anip', service: 'PS00200', ccsp: 'CCSP-COTONOU-1', month, language: 'fr' });

  it('never loses an answer to a connection cut at any point of it: the survey is either still waiting or counted', async () => {
    const prefix = `test-surveys:${run}:cut:`;
    const month = '2026-11';
    const checker = new RedisSurveyStore(redis, prefix);
    const outcomes = { counted: 0, stillWaiting: 0 };
    for (let i = 0; i < 40; i++) {
      const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
      await client.connect();
      const store = new RedisSurveyStore(client, prefix);
      const key = `cut${i}`;
      await store.offer(key, `anip:cut-${i}`, asked(month), WEEK);
      const answering = store.answer(key, 'sms', { rating: 4 }).catch(() => 'failed' as const);
      // Cut after 0 to 39 turns of the event loop: before the marker is read, between it and the
      // script, while the script is on its way or after it ran.
      for (let turn = 0; turn < i; turn++) await new Promise((r) => setImmediate(r));
      client.disconnect();
      await answering;
    }
    // What the cut connections had sent before they closed is run by Redis in its own time: read
    // the outcome once it surely has.
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 0; i < 40; i++) {
      if ((await checker.peek(`cut${i}`, 'sms')) !== null) outcomes.stillWaiting++;
      else outcomes.counted++;
    }
    const [row] = await checker.results(month);
    // Every survey no longer waiting was counted, and nothing else was.
    expect(row?.answers ?? 0).toBe(outcomes.counted);
    expect(outcomes.counted + outcomes.stillWaiting).toBe(40);
  });

  it('leaves the survey waiting, and counts nothing, when the count cannot be written', async () => {
    const prefix = `test-surveys:${run}:broken:`;
    const month = '2026-10';
    const store = new RedisSurveyStore(redis, prefix);
    await store.offer('b1', 'anip:b1', asked(month), WEEK);
    // A tally key of the wrong type: HINCRBY fails inside the script.
    const rows = `${prefix}results:{${month}}:anip:PS00200`;
    await redis.set(rows, 'not a hash');
    await expect(store.answer('b1', 'sms', { rating: 5, word: 'merci' })).rejects.toThrow(/WRONGTYPE/);
    expect(await store.peek('b1', 'sms')).toEqual(asked(month));
    expect(await redis.smembers(`${prefix}results:{${month}}:rows`)).toEqual([]);
    await redis.del(rows);
    // Once the store is sound again, the same answer counts, once.
    expect(await store.answer('b1', 'sms', { rating: 5, word: 'merci' })).toEqual(asked(month));
    expect(await store.answer('b1', 'sms', { rating: 5, word: 'merci' })).toBeNull();
    expect(await store.results(month)).toEqual([
      { month, agency: 'anip', service: 'PS00200', ccsp: 'CCSP-COTONOU-1', ratings: { 1: 0, 2: 0, 3: 0, 4: 0, 5: 1 }, answers: 1, mean: 5, words: { merci: 1 } },
    ]);
  });

  it('sent no script whose keys span two Redis Cluster slots', () => {
    // Every test above ran on `redis` (the cut ones on clients of their own, same code).
    expect(slots.violations).toEqual([]);
  });
});
