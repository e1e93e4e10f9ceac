/**
 * The state of one upstream's circuit breaker, shared by every instance that shares the store
 * (`redis.ts`: one hash per upstream, changed by one single-key script; `memory.ts`: this process
 * only). Failures seen by any instance count toward opening; an open breaker is open everywhere;
 * once it has been open `openMs`, one caller in the whole fleet gets the probe (a lease, so a
 * probe whose instance died is handed to another caller after `probeLeaseMs`).
 *
 * What each instance does with it on its hot path (a short local cache, falling back to its own
 * breaker when the store is away) is `src/interop/shared-breaker.ts`'s business, not the store's.
 */
export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerPolicy {
  /** Failures (with no success between them) that open the breaker. */
  failureThreshold: number;
  /** How long an open breaker refuses every call before letting one probe through. */
  openMs: number;
  /** How long the probe is held for its caller: past it, another caller may probe. */
  probeLeaseMs: number;
}

export interface BreakerView {
  state: BreakerState;
  failures: number;
  /** When it last opened (epoch ms); 0 while closed. */
  openedAtMs: number;
}

export interface BreakerAdmission {
  allowed: boolean;
  /** This caller holds the fleet's one probe: its outcome closes or reopens the breaker. */
  probe: boolean;
  view: BreakerView;
}

export interface BreakerStore {
  /** Whether a call may go now: always while closed, never while open, the probe's holder only once open long enough. */
  acquire(key: string, policy: BreakerPolicy, nowMs: number): Promise<BreakerAdmission>;
  /**
   * A failed call. Counted while closed (opening at the threshold); a failed probe (or any failure
   * once the open time is over) opens again from now; a failure while open is a call that started
   * before it opened, and changes nothing.
   */
  failure(key: string, policy: BreakerPolicy, nowMs: number): Promise<BreakerView>;
  /**
   * A call that succeeded. Closed: the failure count starts again; open time over (the probe or a
   * call that started before): closed; still open: a call that started before it opened, ignored.
   */
  success(key: string, policy: BreakerPolicy, nowMs: number): Promise<BreakerView>;
  /** The probe's caller gave up without an answer: the next caller may probe at once. */
  release(key: string): Promise<void>;
  read(key: string, policy: BreakerPolicy, nowMs: number): Promise<BreakerView>;
}

/** What is kept per upstream; `openedAtMs` 0 while closed, `probeUntilMs` 0 when no probe is out. */
export interface StoredBreaker {
  failures: number;
  openedAtMs: number;
  probeUntilMs: number;
}

export const CLOSED: StoredBreaker = { failures: 0, openedAtMs: 0, probeUntilMs: 0 };

/** The state a stored breaker is in at `nowMs`. */
export function stateAt(stored: StoredBreaker, policy: BreakerPolicy, nowMs: number): BreakerState {
  if (stored.openedAtMs === 0) return 'closed';
  return nowMs < stored.openedAtMs + policy.openMs ? 'open' : 'half_open';
}

export function viewOf(stored: StoredBreaker, policy: BreakerPolicy, nowMs: number): BreakerView {
  return { state: stateAt(stored, policy, nowMs), failures: stored.failures, openedAtMs: stored.openedAtMs };
}
