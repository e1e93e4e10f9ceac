/**
 * The signal for one outgoing call: aborted at its deadline, or earlier when the caller gives up.
 * Web-standard only (Node and Workers).
 */
export function deadlineSignal(timeoutMs: number, callerSignal?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout;
}
