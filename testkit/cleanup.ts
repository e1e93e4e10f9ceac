import { afterAll, afterEach } from 'vitest';

/** What a test opens and must close: a fake, a server, a queue (`close()`), or a closing function. */
export type Closable = { close(): unknown } | (() => unknown);

/** Hands back what it is given, closing it when the test (or file) is over, the last opened first. */
export type CloseLater = <T extends Closable>(thing: T) => T;

function closeWith(hook: typeof afterEach): CloseLater {
  const open: (() => unknown)[] = [];
  hook(async () => {
    while (open.length) await open.pop()!();
  });
  return (thing) => {
    open.push(typeof thing === 'function' ? thing : () => thing.close());
    return thing;
  };
}

/**
 * Called once at the top of a test file: what it returns closes each thing after the test that
 * opened it, `const fake = closeLater(await startFakeMomo())`. No file keeps its own list of closers.
 */
export const closeAfterEach = (): CloseLater => closeWith(afterEach);

/** The same for what a file opens once (`beforeAll`): closed when the file is done. */
export const closeAfterAll = (): CloseLater => closeWith(afterAll);
