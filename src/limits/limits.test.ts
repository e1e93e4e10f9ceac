import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisAttemptLimiter } from './redis.js';
import { IDENTITY_PROOF_POLICY, lockForFailures, MemoryAttemptLimiter, type AttemptLimiter } from './port.js';

/** One conformance suite for every attempt counter: memory (embedded) and Redis (shared by instances). */
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
const run = `${process.pid}-${Date.now()}`;
afterAll(async () => {
  const keys = await redis.keys(`test-attempts:${run}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

const T0 = Date.UTC(2026, 11, 2, 10, 0, 0);
const MINUTE = 60_000;

describe.each([
  ['memory', (): AttemptLimiter => new MemoryAttemptLimiter()],
  ['redis', (): AttemptLimiter => new RedisAttemptLimiter(redis, IDENTITY_PROOF_POLICY, `test-attempts:${run}:${Math.random()}:`)],
])('attempt limiter (%s)', (_name, make) => {
  it('allows three failures, then locks for 1, 2, 4 … minutes', async () => {
    const limiter = make();
    const locks: number[] = [];
    for (let i = 1; i <= 6; i++) {
      const state = await limiter.fail('caller:a', T0);
      expect(state.failures).toBe(i);
      locks.push(state.lockedUntilMs === 0 ? 0 : (state.lockedUntilMs - T0) / MINUTE);
    }
    expect(locks).toEqual([0, 0, 0, 1, 2, 4]);
    expect(await limiter.peek('caller:a', T0)).toEqual({ failures: 6, lockedUntilMs: T0 + 4 * MINUTE });
    expect(await limiter.peek('caller:b', T0)).toEqual({ failures: 0, lockedUntilMs: 0 });
  });

  it('counts every one of 50 concurrent failures', async () => {
    const limiter = make();
    await Promise.all(Array.from({ length: 50 }, () => limiter.fail('npi:x', T0)));
    expect((await limiter.peek('npi:x', T0)).failures).toBe(50);
  });

  it('forgets after a success', async () => {
    const limiter = make();
    for (let i = 0; i < 5; i++) await limiter.fail('caller:c', T0);
    await limiter.clear('caller:c');
    expect(await limiter.peek('caller:c', T0)).toEqual({ failures: 0, lockedUntilMs: 0 });
  });
});

it('the lock never exceeds a day', () => {
  expect(lockForFailures(200, IDENTITY_PROOF_POLICY)).toBe(24 * 3_600_000);
});
