import { IDENTITY_PROOF_POLICY, lockForFailures, type AttemptLimiter, type AttemptPolicy, type AttemptState } from './port.js';

/** In-process counters for the embedded default; bounded, oldest forgotten first. */
export class MemoryAttemptLimiter implements AttemptLimiter {
  private readonly entries = new Map<string, AttemptState & { expiresAtMs: number }>();

  constructor(
    private readonly policy: AttemptPolicy = IDENTITY_PROOF_POLICY,
    private readonly maxEntries = 100_000,
  ) {}

  async peek(key: string, nowMs: number): Promise<AttemptState> {
    return this.current(key, nowMs);
  }

  async fail(key: string, nowMs: number): Promise<AttemptState> {
    // Read and write with no await between them: concurrent failures all count.
    const { failures: before, lockedUntilMs: lockedBefore } = this.current(key, nowMs);
    const failures = before + 1;
    const lock = lockForFailures(failures, this.policy);
    const lockedUntilMs = lock > 0 ? nowMs + lock : lockedBefore;
    this.entries.delete(key);
    this.entries.set(key, { failures, lockedUntilMs, expiresAtMs: nowMs + Math.max(this.policy.windowMs, lock) });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    return { failures, lockedUntilMs };
  }

  async clear(key: string): Promise<void> {
    this.entries.delete(key);
  }

  private current(key: string, nowMs: number): AttemptState {
    const entry = this.entries.get(key);
    if (!entry || entry.expiresAtMs <= nowMs) return { failures: 0, lockedUntilMs: 0 };
    return { failures: entry.failures, lockedUntilMs: entry.lockedUntilMs };
  }
}
