import { Redis } from 'ioredis';
import { rateLimiterConformance } from './conformance.js';
import { MemoryRateLimiter } from './memory.js';
import { RedisRateLimiter } from './redis.js';
import { DurableObjectRateLimiter, RateLimitObject } from './durable-object.js';
import { fakeDurableNamespace } from '../../../testkit/durable-objects.js';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
const run = `${process.pid}-${Date.now()}`;

rateLimiterConformance('memory', () => new MemoryRateLimiter());
rateLimiterConformance('durable-object', () => new DurableObjectRateLimiter(fakeDurableNamespace((state) => new RateLimitObject(state))));
rateLimiterConformance('redis', () => new RedisRateLimiter(redis, `test-rate:${run}:${Math.random()}:`), async () => {
  const keys = await redis.keys(`test-rate:${run}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});
