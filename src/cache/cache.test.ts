import { Redis } from 'ioredis';
import { cacheConformance } from './conformance.js';
import { MemoryCache } from './memory.js';
import { RedisCache } from './redis.js';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
// A prefix per run: Redis is shared, and reruns must not see each other's entries.
const prefix = `test-cache:${process.pid}:${Date.now()}:`;

cacheConformance('memory', () => new MemoryCache());
cacheConformance('redis', () => new RedisCache(redis, prefix), async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});
