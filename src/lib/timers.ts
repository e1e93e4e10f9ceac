/**
 * Lets a background timer (a sweep, the sandbox's fake receipt) not hold a Node process open.
 * On Workers and in browsers a timer is a plain number and there is nothing to release. The core
 * is typed without Node (`tsconfig.core.json`), so it asks the handle rather than calling
 * `.unref()` on what its types say is a number.
 */
export function unrefTimer(timer: unknown): void {
  if (typeof timer === 'object' && timer !== null && 'unref' in timer && typeof timer.unref === 'function') timer.unref();
}
