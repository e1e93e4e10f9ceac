import { Redis } from 'ioredis';
import { breakerStoreConformance } from './conformance.js';
import { MemoryBreakerStore } from './memory.js';
import { RedisBreakerStore } from './redis.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
// Two connections, as two gateway instances would hold.
const [one, two] = [new Redis(url, { maxRetriesPerRequest: 1 }), new Redis(url, { maxRetriesPerRequest: 1 })];
const run = `${process.pid}-${Date.now()}`;

breakerStoreConformance('memory', () => {
  const store = new MemoryBreakerStore();
  return { a: store, b: store };
});
breakerStoreConformance(
  'redis',
  () => {
    const prefix = `test-breaker:${run}:${Math.random()}:`;
    return { a: new RedisBreakerStore(one, prefix), b: new RedisBreakerStore(two, prefix) };
  },
  async () => {
    const keys = await one.keys(`test-breaker:${run}:*`);
    if (keys.length) await one.del(...keys);
    await Promise.all([one.quit(), two.quit()]);
  },
);
