import { afterAll, describe, expect, it } from 'vitest';
import type { RateLimiter, RatePolicy } from './port.js';

/** A window boundary, so each case knows where its fixed windows start. */
const T0 = Date.UTC(2026, 11, 2, 10, 0, 0);
const MINUTE = 60_000;
const FIVE_A_MINUTE: RatePolicy = { limit: 5, windowMs: MINUTE };

/** One contract, run against every rate limiter: memory (this process) and Redis (shared by instances). */
export function rateLimiterConformance(name: string, make: () => RateLimiter, cleanup?: () => Promise<void>): void {
  describe(`RateLimiter conformance: ${name}`, () => {
    if (cleanup) afterAll(cleanup);

    it('admits the limit, then refuses with a retry hint that is exact, and counts no refused hit', async () => {
      const limiter = make();
      const decisions = [];
      for (let i = 0; i < 7; i++) decisions.push(await limiter.hit('agency:a', FIVE_A_MINUTE, T0 + 10_000 + i));
      expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([
        [true, 4],
        [true, 3],
        [true, 2],
        [true, 1],
        [true, 0],
        [false, 0],
        [false, 0],
      ]);
      // Full at 10 s into the window: the next window starts 50 s later and its first
      // millisecond still weighs the 5 hits fully; one millisecond more and one fits.
      expect(decisions[5]!.retryAfterMs).toBe(50_000 - 5 + 1);
      const retryAt = T0 + 10_006 + decisions[6]!.retryAfterMs;
      expect((await limiter.hit('agency:a', FIVE_A_MINUTE, retryAt - 1)).allowed).toBe(false);
      expect(await limiter.hit('agency:a', FIVE_A_MINUTE, retryAt)).toMatchObject({ allowed: true });
      // Another key has its own count.
      expect(await limiter.hit('agency:b', FIVE_A_MINUTE, T0 + 10_000)).toEqual({ allowed: true, remaining: 4, retryAfterMs: 0 });
    });

    it('slides: the previous window weighs by how much of it is still in the last minute', async () => {
      const limiter = make();
      for (let i = 0; i < 4; i++) expect((await limiter.hit('k', FIVE_A_MINUTE, T0 + 50_000)).allowed).toBe(true);
      // 45 s into the next window: floor(4 x 15/60) = 1 of the previous window's hits still counts.
      const at = T0 + MINUTE + 45_000;
      const admitted = [];
      for (let i = 0; i < 6; i++) admitted.push((await limiter.hit('k', FIVE_A_MINUTE, at)).allowed);
      expect(admitted).toEqual([true, true, true, true, false, false]);
      // Two windows later nothing of it is left.
      expect(await limiter.hit('k', FIVE_A_MINUTE, T0 + 3 * MINUTE)).toEqual({ allowed: true, remaining: 4, retryAfterMs: 0 });
    });

    it('a refusal caused by the previous window says when it has slid far enough', async () => {
      const limiter = make();
      for (let i = 0; i < 5; i++) await limiter.hit('p', FIVE_A_MINUTE, T0 + 59_000);
      const at = T0 + MINUTE + 6_000;
      const first = await limiter.hit('p', FIVE_A_MINUTE, at);
      // floor(5 x (60 - e)/60) < 5 once e > 0, but 6 s in it is floor(4.5) = 4 < 5: admitted.
      expect(first.allowed).toBe(true);
      // Now 1 current + floor(5 x 54/60) = 4 + 1 = 5: full until floor(5 x (60 - e)/60) < 4, e > 12 s.
      const full = await limiter.hit('p', FIVE_A_MINUTE, at);
      expect(full.allowed).toBe(false);
      expect(full.retryAfterMs).toBe(12_000 + 1 - 6_000);
      expect((await limiter.hit('p', FIVE_A_MINUTE, at + full.retryAfterMs - 1)).allowed).toBe(false);
      expect((await limiter.hit('p', FIVE_A_MINUTE, at + full.retryAfterMs)).allowed).toBe(true);
    });

    it('admits exactly the limit out of 60 concurrent hits', async () => {
      const limiter = make();
      const policy = { limit: 25, windowMs: MINUTE };
      const decisions = await Promise.all(Array.from({ length: 60 }, () => limiter.hit('flood', policy, T0 + 1_000)));
      expect(decisions.filter((d) => d.allowed)).toHaveLength(25);
    });
  });
}
