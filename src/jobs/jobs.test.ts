import { Redis } from 'ioredis';
import { BullMqJobQueue } from './bullmq.js';
import { jobQueueConformance } from './conformance.js';
import { MemoryJobQueue } from './memory.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `guichet-test-${process.pid}-${Date.now()}`;

jobQueueConformance('memory', () => new MemoryJobQueue());
jobQueueConformance('bullmq', () => new BullMqJobQueue({ redisUrl: REDIS_URL, prefix: PREFIX }), async () => {
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});
