import { afterAll, describe, expect, it } from 'vitest';
import type { AttemptLimiter } from './port.js';

const T0 = Date.UTC(2026, 11, 2, 10, 0, 0);
const MINUTE = 60_000;

/** One contract, run against every attempt counter: memory (embedded) and Redis (shared by instances). */
export function attemptLimiterConformance(name: string, make: () => AttemptLimiter, cleanup?: () => Promise<void>): void {
  describe(`AttemptLimiter conformance: ${name}`, () => {
    if (cleanup) afterAll(cleanup);

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
}
