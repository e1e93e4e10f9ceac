import { Redis } from 'ioredis';
import { surveyStoreConformance } from './conformance.js';
import { MemorySurveyStore } from './memory.js';
import { RedisSurveyStore } from './redis.js';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
const run = `${process.pid}-${Date.now()}`;

surveyStoreConformance('memory', () => new MemorySurveyStore());
// A fresh prefix per store: each test's months and numbers are its own.
surveyStoreConformance('redis', () => new RedisSurveyStore(redis, `test-surveys:${run}:${Math.random()}:`), async () => {
  const keys = await redis.keys(`test-surveys:${run}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});
