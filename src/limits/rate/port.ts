/**
 * A rate limit per key (an agency's token, a caller's number, an operator's push link), shared by
 * every instance that shares the store: `redis.ts` (one script per key, so N gateways on one Redis
 * admit N-gateways-worth of nothing more than the limit) and `memory.ts` (this process only, the
 * embedded default). Both run one conformance suite (`conformance.ts`).
 *
 * The window slides: the count of the previous fixed window is weighted by how much of it still
 * overlaps the last `windowMs` (the "sliding window counter" of Cloudflare's and nginx's limiters).
 * Two numbers per key instead of one timestamp per hit, and no burst of 2 x limit across a window
 * boundary as a plain fixed window allows.
 */
export interface RatePolicy {
  /** Hits admitted per window. */
  limit: number;
  windowMs: number;
}

export interface RateDecision {
  allowed: boolean;
  /** Hits still admitted in the window after this one (0 when refused). */
  remaining: number;
  /** When refused: how long until a hit would be admitted, if no other hit comes (ms, at least 1). 0 when allowed. */
  retryAfterMs: number;
}

export interface RateLimiter {
  /** Counts one hit for `key` if it is admitted (a refused hit is not counted) and says which. Atomic. */
  hit(key: string, policy: RatePolicy, nowMs: number): Promise<RateDecision>;
}

/** The counters of one key: the start of the current fixed window, its hits, the previous window's hits. */
export interface RateWindow {
  startMs: number;
  current: number;
  previous: number;
}

/**
 * The decision for a hit at `nowMs` given the counters (already rolled to `nowMs`'s window by
 * `rollWindow`). The same integer arithmetic as the Lua script in `redis.ts` (every division is of
 * integers far below 2^53, so both floor alike); kept here so both adapters and the tests agree on
 * one definition.
 */
export function decide(window: RateWindow, policy: RatePolicy, nowMs: number): RateDecision {
  const W = policy.windowMs;
  // A clock behind the instance that opened this window: counted as its first millisecond.
  const elapsed = Math.min(Math.max(nowMs - window.startMs, 0), W - 1);
  const estimated = Math.floor((window.previous * (W - elapsed)) / W) + window.current;
  if (estimated < policy.limit) return { allowed: true, remaining: policy.limit - estimated - 1, retryAfterMs: 0 };
  return { allowed: false, remaining: 0, retryAfterMs: retryAfter(window, policy, elapsed) };
}

/**
 * A hit is admitted once floor(previous x (W - e) / W) + current < limit, that is once
 * e > W x (previous - limit + current) / previous within this window. When this window is full
 * already, the next one starts with previous = current and needs e' > W x (current - limit) / current.
 */
function retryAfter(window: RateWindow, policy: RatePolicy, elapsed: number): number {
  const W = policy.windowMs;
  if (window.current < policy.limit) {
    return Math.max(1, Math.floor((W * (window.previous - policy.limit + window.current)) / window.previous) + 1 - elapsed);
  }
  return W - elapsed + Math.floor((W * (window.current - policy.limit)) / window.current) + 1;
}

/** The counters as they stand at `nowMs`: a window that ended moves to `previous`, an older one is forgotten. */
export function rollWindow(stored: RateWindow | null, policy: RatePolicy, nowMs: number): RateWindow {
  const startMs = nowMs - (nowMs % policy.windowMs);
  if (!stored || stored.startMs < startMs - policy.windowMs) return { startMs, current: 0, previous: 0 };
  if (stored.startMs === startMs - policy.windowMs) return { startMs, current: 0, previous: stored.current };
  // The same window, or a newer one opened by an instance whose clock is ahead: kept as it is.
  return stored;
}
