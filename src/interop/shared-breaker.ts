import type { BreakerPolicy, BreakerState, BreakerStore, BreakerView } from '../limits/breaker/port.js';
import { CircuitBreaker } from './circuit-breaker.js';

/** What the interop client asks of a breaker: the local one (`CircuitBreaker`) or this shared one. */
export interface Breaker {
  readonly current: BreakerState;
  allow(): boolean | Promise<boolean>;
  success(): void | Promise<void>;
  failure(): void | Promise<void>;
  abandoned(): void | Promise<void>;
}

export interface SharedBreakerOptions {
  policy: BreakerPolicy;
  /**
   * How long a healthy state (closed, no failure counted) or a half-open one (someone else
   * probing) read from the store is trusted before asking again. The trade-off: with 1 s, a
   * healthy upstream costs one store round trip per second per instance instead of one per call,
   * and an instance that last saw it healthy learns that others opened it up to 1 s late (its
   * calls meanwhile fail as they would have, and count). Once failures are counting, every call
   * asks. An open state needs no asking until its open time is over: nothing can close it before.
   */
  cacheMs?: number;
  /** A store slower than this is as good as down: the local breaker decides (and nothing waits longer). */
  storeBudgetMs?: number;
  now?: () => number;
  /** Told once per run of store failures, so operators see the fleet fell back to per-instance breakers. */
  onStoreError?: (error: unknown) => void;
}

/**
 * One upstream's breaker, shared by every instance through a `BreakerStore` (Redis), with a local
 * `CircuitBreaker` fed the same outcomes: when the store is away or slow, the local one decides,
 * so the breaker store never blocks a call nor throws. The fleet-wide guarantees (failures of all
 * instances count, open everywhere, one probe) hold while the store answers.
 */
export class SharedCircuitBreaker implements Breaker {
  private readonly local: CircuitBreaker;
  private readonly now: () => number;
  private readonly cacheMs: number;
  private readonly budgetMs: number;
  private view: BreakerView | null = null;
  private viewAtMs = 0;
  private holdsProbe = false;
  private storeFailing = false;
  /** After a store failure the local breaker decides alone until then: a frozen store costs one budget per interval, not one per call. */
  private storeRetryAtMs = 0;

  constructor(
    private readonly store: BreakerStore,
    private readonly key: string,
    private readonly options: SharedBreakerOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.cacheMs = options.cacheMs ?? 1_000;
    this.budgetMs = options.storeBudgetMs ?? 250;
    this.local = new CircuitBreaker({ failureThreshold: options.policy.failureThreshold, openMs: options.policy.openMs, now: this.now });
  }

  /** The fleet's state as last read (within its open time, exact), else this instance's own. */
  get current(): BreakerState {
    if (!this.view || this.storeFailing) return this.local.current;
    if (this.view.state === 'closed') return 'closed';
    return this.now() < this.view.openedAtMs + this.options.policy.openMs ? 'open' : 'half_open';
  }

  async allow(): Promise<boolean> {
    const now = this.now();
    const view = this.view;
    if (view && !this.storeFailing) {
      if (view.state === 'open' && now < view.openedAtMs + this.options.policy.openMs) return false;
      // A read "from the future" (the clock stepped back) is not trusted either.
      if (now >= this.viewAtMs && now - this.viewAtMs < this.cacheMs) {
        // Only a healthy read is trusted: once failures are counting, every call asks, so the
        // moment any instance opens the breaker the others refuse too.
        if (view.state === 'closed' && view.failures === 0) return true;
        if (view.state === 'half_open') return false;
      }
    }
    const admission = await this.ask((store) => store.acquire(this.key, this.options.policy, now));
    if (!admission) return this.local.allow();
    this.remember(admission.view, now);
    this.holdsProbe = admission.probe;
    return admission.allowed;
  }

  async success(): Promise<void> {
    this.local.success();
    // Nothing to tell the fleet when it was closed with no failure counted: the hot path writes nothing.
    const quiet = this.view !== null && this.view.state === 'closed' && this.view.failures === 0 && !this.holdsProbe && !this.storeFailing;
    this.holdsProbe = false;
    if (quiet) return;
    const now = this.now();
    const view = await this.ask((store) => store.success(this.key, this.options.policy, now));
    if (view) this.remember(view, now);
  }

  async failure(): Promise<void> {
    this.local.failure();
    this.holdsProbe = false;
    const now = this.now();
    const view = await this.ask((store) => store.failure(this.key, this.options.policy, now));
    if (view) this.remember(view, now);
  }

  async abandoned(): Promise<void> {
    this.local.abandoned();
    if (!this.holdsProbe) return;
    this.holdsProbe = false;
    await this.ask((store) => store.release(this.key));
  }

  private remember(view: BreakerView, atMs: number): void {
    this.view = view;
    this.viewAtMs = atMs;
  }

  /** The store's answer within the budget, or null (store away, slow or failing): never throws. */
  private async ask<T>(operation: (store: BreakerStore) => Promise<T>): Promise<T | null> {
    if (this.storeFailing && this.now() < this.storeRetryAtMs) return null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const answer = await Promise.race([
        operation(this.store),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`breaker store gave no answer within ${this.budgetMs} ms`)), this.budgetMs);
        }),
      ]);
      this.storeFailing = false;
      return answer;
    } catch (error) {
      if (!this.storeFailing) this.options.onStoreError?.(error);
      this.storeFailing = true;
      this.storeRetryAtMs = this.now() + Math.max(this.cacheMs, 1_000);
      return null;
    } finally {
      clearTimeout(timer);
    }
  }
}
