/** A clock a test moves by hand: the payment service, the provider and the callback route share it. */
export interface TestClock {
  now(): number;
  /** Moves the clock on by `ms`; answers the new time. */
  advance(ms: number): number;
}

/**
 * Stands still at `startAt` (ms) until advanced, for tests that read dates or move past a
 * tolerance; without `startAt` it is the real time plus whatever was advanced.
 */
export function testClock(startAt?: number): TestClock {
  let advanced = 0;
  const now = startAt === undefined ? () => Date.now() + advanced : () => startAt + advanced;
  return {
    now,
    advance: (ms) => {
      advanced += ms;
      return now();
    },
  };
}
