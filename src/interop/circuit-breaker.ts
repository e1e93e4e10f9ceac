/**
 * One breaker per upstream service. After `failureThreshold` failures in a row it opens: calls
 * fail at once (the citizen gets "service unavailable" without waiting) until `openMs` has passed;
 * then one call is let through as a probe: success closes it, failure opens it again.
 */
import type { BreakerState } from '../limits/breaker/port.js';

export type { BreakerState };

export interface BreakerOptions {
  failureThreshold?: number;
  openMs?: number;
  now?: () => number;
}

export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private state: BreakerState = 'closed';
  private readonly threshold: number;
  private readonly openMs: number;
  private readonly now: () => number;

  constructor(options: BreakerOptions = {}) {
    this.threshold = options.failureThreshold ?? 5;
    this.openMs = options.openMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  get current(): BreakerState {
    return this.state;
  }

  /** Whether a call may go ahead now; in half-open state only one probe at a time. */
  allow(): boolean {
    if (this.state === 'closed') return true;
    if (this.state === 'open') {
      if (this.now() - this.openedAt < this.openMs) return false;
      this.state = 'half_open';
    }
    if (this.probing) return false;
    this.probing = true;
    return true;
  }

  success(): void {
    this.failures = 0;
    this.probing = false;
    this.state = 'closed';
  }

  /**
   * The caller gave up before any answer (its own deadline, a closed session): that says nothing
   * of the upstream's health, so nothing is counted; a probe it held is released for the next call.
   */
  abandoned(): void {
    this.probing = false;
  }

  failure(): void {
    this.probing = false;
    this.failures++;
    if (this.state === 'half_open' || this.failures >= this.threshold) {
      this.state = 'open';
      this.openedAt = this.now();
    }
  }
}
