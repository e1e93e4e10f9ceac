/** How often `until` asks again: often enough not to slow a test, rarely enough not to load the machine. */
const POLL_MS = 20;

/**
 * Waits until `condition` holds, asking again every 20 ms; it may be async (a store read, a
 * request). After `ms` (5 s unless told) it fails with "timed out after <ms> ms waiting for
 * <what>", so a failing test says what never happened; `what` may be a function, called only on
 * time-out, to add what was seen (a log tail). An error thrown by the condition is not caught: it
 * fails the wait at once, as it would fail the test.
 *
 * The one wait of the tests and benchmarks: one that needs longer passes `ms`, it does not write
 * its own loop.
 */
export async function until(condition: () => boolean | Promise<boolean>, what: string | (() => string), ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await condition()) return;
    if (Date.now() >= end) throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
