import type { HttpAnswer, HttpFetch, HttpRequestInit } from './http-fetch.js';

/**
 * One outgoing call's deadline: `signal` aborts when `timeoutMs` has passed, with the
 * `TimeoutError` that `AbortSignal.timeout` gives, or earlier with the caller's reason when the
 * caller's own signal aborts. `clear()` once the call is over.
 *
 * Why not `AbortSignal.timeout`: its timer cannot be cleared, so the deadline of every call that
 * answered in time still fires later, builds a `DOMException` (a stack trace) and dispatches an
 * abort nobody listens to. In a burst of payment callbacks that was about 3% of the gateway's CPU
 * (issue 18 part 2): status checks at the provider and portal notices are one call each.
 * Web-standard only (Node and Workers).
 */
export interface Deadline {
  readonly signal: AbortSignal;
  /** The deadline itself passed (not the caller giving up). */
  readonly timedOut: boolean;
  /** The call is over: the timer and the caller's listener go. Safe to call twice. */
  clear(): void;
}

export function startDeadline(timeoutMs: number, callerSignal?: AbortSignal): Deadline {
  return new CallDeadline(timeoutMs, callerSignal);
}

/** A class, not closures: the timer and the caller's listener both call back into it. */
class CallDeadline implements Deadline {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  timedOut = false;

  constructor(
    timeoutMs: number,
    private readonly callerSignal: AbortSignal | undefined,
  ) {
    if (callerSignal?.aborted) {
      this.controller.abort(callerSignal.reason);
      return;
    }
    // `this` as the listener: EventTarget calls its `handleEvent`.
    callerSignal?.addEventListener('abort', this, { once: true });
    this.timer = setTimeout(expire, timeoutMs, this);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The caller's signal aborted first. */
  handleEvent(): void {
    this.clear();
    this.controller.abort(this.callerSignal?.reason);
  }

  expireNow(): void {
    this.timer = undefined;
    this.callerSignal?.removeEventListener('abort', this);
    this.timedOut = true;
    this.controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }

  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.callerSignal?.removeEventListener('abort', this);
  }
}

function expire(deadline: CallDeadline): void {
  deadline.expireNow();
}

/**
 * One call of `http` within a deadline, its answer's body read before the deadline is cleared (a
 * `fetch` answer's body may still be streaming when the promise resolves). The answer's `text()`
 * and `json()` then read what was read.
 */
export async function fetchWithin(http: HttpFetch, url: string, init: Omit<HttpRequestInit, 'signal'>, timeoutMs: number, callerSignal?: AbortSignal): Promise<HttpAnswer> {
  const deadline = startDeadline(timeoutMs, callerSignal);
  try {
    const answer = await http(url, { ...init, signal: deadline.signal });
    return new ReadAnswer(answer, await answer.text());
  } finally {
    deadline.clear();
  }
}

class ReadAnswer implements HttpAnswer {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };

  constructor(
    answer: HttpAnswer,
    private readonly body: string,
  ) {
    this.status = answer.status;
    this.ok = answer.ok;
    this.headers = answer.headers;
  }

  text(): Promise<string> {
    return Promise.resolve(this.body);
  }

  json(): Promise<unknown> {
    // A parse error rejects, as Response.json() does.
    return new Promise((resolve) => resolve(JSON.parse(this.body) as unknown));
  }
}
