import { CLOSED, stateAt, viewOf, type BreakerAdmission, type BreakerPolicy, type BreakerStore, type BreakerView, type StoredBreaker } from './port.js';

/**
 * Breakers in this process's memory: the embedded default and tests. The rules are those of the
 * Lua script in `redis.ts`, written once more in TypeScript; one conformance suite holds both to them.
 */
export class MemoryBreakerStore implements BreakerStore {
  private readonly breakers = new Map<string, StoredBreaker>();

  async acquire(key: string, policy: BreakerPolicy, nowMs: number): Promise<BreakerAdmission> {
    const stored = this.get(key);
    const state = stateAt(stored, policy, nowMs);
    if (state === 'closed') return { allowed: true, probe: false, view: viewOf(stored, policy, nowMs) };
    if (state === 'open' || stored.probeUntilMs > nowMs) return { allowed: false, probe: false, view: viewOf(stored, policy, nowMs) };
    this.breakers.set(key, { ...stored, probeUntilMs: nowMs + policy.probeLeaseMs });
    return { allowed: true, probe: true, view: viewOf(stored, policy, nowMs) };
  }

  async failure(key: string, policy: BreakerPolicy, nowMs: number): Promise<BreakerView> {
    const stored = this.get(key);
    const state = stateAt(stored, policy, nowMs);
    if (state === 'open') return viewOf(stored, policy, nowMs);
    const failures = stored.failures + 1;
    const opens = state === 'half_open' || failures >= policy.failureThreshold;
    const next: StoredBreaker = { failures, openedAtMs: opens ? nowMs : 0, probeUntilMs: 0 };
    this.breakers.set(key, next);
    return viewOf(next, policy, nowMs);
  }

  async success(key: string, policy: BreakerPolicy, nowMs: number): Promise<BreakerView> {
    const stored = this.get(key);
    if (stateAt(stored, policy, nowMs) === 'open') return viewOf(stored, policy, nowMs);
    this.breakers.delete(key);
    return viewOf(CLOSED, policy, nowMs);
  }

  async release(key: string): Promise<void> {
    const stored = this.breakers.get(key);
    if (stored) this.breakers.set(key, { ...stored, probeUntilMs: 0 });
  }

  async read(key: string, policy: BreakerPolicy, nowMs: number): Promise<BreakerView> {
    return viewOf(this.get(key), policy, nowMs);
  }

  private get(key: string): StoredBreaker {
    return this.breakers.get(key) ?? CLOSED;
  }
}
