import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { attemptLimiterConformance } from './conformance.js';
import { MemoryAttemptLimiter } from './memory.js';
import { IDENTITY_PROOF_POLICY, lockForFailures } from './port.js';
import { RedisAttemptLimiter } from './redis.js';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
const run = `${process.pid}-${Date.now()}`;

attemptLimiterConformance('memory', () => new MemoryAttemptLimiter());
attemptLimiterConformance('redis', () => new RedisAttemptLimiter(redis, IDENTITY_PROOF_POLICY, `test-attempts:${run}:${Math.random()}:`), async () => {
  const keys = await redis.keys(`test-attempts:${run}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

// The policy itself, whatever holds the counters.
it('the lock never exceeds a day', () => {
  expect(lockForFailures(200, IDENTITY_PROOF_POLICY)).toBe(24 * 3_600_000);
});
