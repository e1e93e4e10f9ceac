import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJsonLines, toJsonLines, verifyChain } from './chain.js';
import { accessLogConformance } from './conformance.js';
import { MemoryAccessLogStore } from './memory.js';
import type { ChainedEntry } from './port.js';
import { RedisAccessLogStore } from './redis.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `guichet-test:${process.pid}:${Date.now()}:`;
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

accessLogConformance('memory', (max) => new MemoryAccessLogStore(max));
accessLogConformance('redis', (max) => new RedisAccessLogStore(redis, { prefix, maxEntries: max }));

describe('verifyChain detects tampering', () => {
  async function sample(): Promise<ChainedEntry[]> {
    const store = new MemoryAccessLogStore();
    for (const [i, channel] of (['ussd', 'sms', 'api', 'ussd'] as const).entries()) {
      await store.append('holder', {
        channel,
        caller: '+2290197****01',
        agency: 'PS00373',
        at: `2026-12-02T12:00:0${i}.000Z`,
        subject: `PS00373-24000${i + 1}`,
      });
    }
    return store.list('holder');
  }

  const cases: Array<[string, (log: ChainedEntry[]) => ChainedEntry[], number, string]> = [
    ['an edited caller', (log) => log.map((e, i) => (i === 1 ? { ...e, caller: '+2290196****99' } : e)), 1, 'entry edited'],
    ['an edited time', (log) => log.map((e, i) => (i === 3 ? { ...e, at: '2026-01-01T00:00:00.000Z' } : e)), 3, 'entry edited'],
    ['a removed entry', (log) => log.filter((_, i) => i !== 2), 2, 'sequence gap or reorder'],
    ['two entries swapped', (log) => [log[0]!, log[2]!, log[1]!, log[3]!], 1, 'sequence gap or reorder'],
    [
      'a removed entry with seq renumbered',
      (log) => log.filter((_, i) => i !== 1).map((e, i) => ({ ...e, seq: i + 1 })),
      1,
      'broken link',
    ],
    ['the first entry removed (not genesis at seq 1)', (log) => log.slice(1).map((e, i) => ({ ...e, seq: i + 1 })), 0, 'bad first link'],
  ];

  it('accepts the untouched log and its JSON-lines export round trip', async () => {
    const log = await sample();
    expect(await verifyChain(log)).toEqual({ ok: true, entries: 4 });
    expect(await verifyChain(parseJsonLines(toJsonLines(log)))).toEqual({ ok: true, entries: 4 });
  });

  it.each(cases)('detects %s', async (_name, tamper, index, reason) => {
    expect(await verifyChain(tamper(await sample()))).toEqual({ ok: false, index, reason });
  });
});
