/**
 * Counting failed attempts at something guessable (an NPI + birth date proof), with a lock that
 * grows with each failure past a few free ones. The port is small so Redis can hold it for every
 * instance (one atomic script per key, `redis.ts`) and memory for the embedded default
 * (`memory.ts`); both run one conformance suite (`conformance.ts`).
 */
export interface AttemptPolicy {
  /** Failures allowed before any lock: a citizen mistyping a date is not an attacker. */
  freeFailures: number;
  /** The first lock; each further failure doubles it. */
  baseLockMs: number;
  maxLockMs: number;
  /** Failures are forgotten this long after the last one. */
  windowMs: number;
}

/** 3 free tries, then 1, 2, 4 … minutes up to a day: 200 guesses take months, a citizen loses a minute. */
export const IDENTITY_PROOF_POLICY: AttemptPolicy = { freeFailures: 3, baseLockMs: 60_000, maxLockMs: 24 * 3_600_000, windowMs: 24 * 3_600_000 };

export interface AttemptState {
  failures: number;
  /** Epoch ms until which attempts are refused (0: not locked). */
  lockedUntilMs: number;
}

export interface AttemptLimiter {
  peek(key: string, nowMs: number): Promise<AttemptState>;
  /** Records one failure and returns the state it leads to (atomic: concurrent failures all count). */
  fail(key: string, nowMs: number): Promise<AttemptState>;
  clear(key: string): Promise<void>;
}

/** The lock that the n-th failure earns. */
export function lockForFailures(failures: number, policy: AttemptPolicy): number {
  if (failures <= policy.freeFailures) return 0;
  return Math.min(policy.baseLockMs * 2 ** (failures - policy.freeFailures - 1), policy.maxLockMs);
}
