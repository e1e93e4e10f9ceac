import { decide, rollWindow, type RateDecision, type RateLimiter, type RatePolicy, type RateWindow } from './port.js';

/** In-process counters for the embedded default and tests; bounded, the least recently hit forgotten first. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, RateWindow & { windowMs: number }>();

  constructor(private readonly maxKeys = 100_000) {}

  async hit(key: string, policy: RatePolicy, nowMs: number): Promise<RateDecision> {
    // Read and write with no await between them: concurrent hits all count.
    const stored = this.windows.get(key);
    const window = rollWindow(stored && stored.windowMs === policy.windowMs ? stored : null, policy, nowMs);
    const decision = decide(window, policy, nowMs);
    const current = decision.allowed ? window.current + 1 : window.current;
    this.windows.delete(key);
    this.windows.set(key, { startMs: window.startMs, current, previous: window.previous, windowMs: policy.windowMs });
    if (this.windows.size > this.maxKeys) this.windows.delete(this.windows.keys().next().value as string);
    return decision;
  }
}
