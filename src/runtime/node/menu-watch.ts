import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from '../../observability/logger.js';

/**
 * Calls `reload` when a menu file in `dir` changes (debounced: editors write in several steps).
 * Live sessions are unaffected: the registry keeps the versions they started on.
 */
export function watchMenuDir(dir: string, reload: () => Promise<void>, logger: Logger, debounceMs = 250): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dir, (_event, file) => {
      if (file && !/\.ya?ml$/.test(String(file))) return;
      clearTimeout(timer);
      timer = setTimeout(() => void reload(), debounceMs);
    });
    watcher.on('error', (error) => logger.warn({ dir, err: error.message }, 'menu watch stopped'));
  } catch (error) {
    logger.warn({ dir, err: error instanceof Error ? error.message : String(error) }, 'cannot watch menus; SIGHUP still reloads');
  }
  return () => {
    clearTimeout(timer);
    watcher?.close();
  };
}
