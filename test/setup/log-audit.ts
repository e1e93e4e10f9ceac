import { appendFileSync } from 'node:fs';
import { silentLogger, type Logger } from '../../src/observability/logger.js';

/**
 * Issue 11, item 9: every line any test logs through the in-process logger is written to one file
 * (`GUICHET_LOG_AUDIT`), and `log-audit.global.ts` greps it at the end of the run for raw phone
 * numbers, NPIs and birth dates. The logger stays silent on the console.
 */
const file = process.env.GUICHET_LOG_AUDIT;
if (file) {
  const recorder = (level: string) => (fields: Record<string, unknown>, message: string) => {
    appendFileSync(file, `${JSON.stringify({ level, message, fields })}\n`);
  };
  const logger = silentLogger as { -readonly [K in keyof Logger]: Logger[K] };
  logger.debug = recorder('debug');
  logger.info = recorder('info');
  logger.warn = recorder('warn');
  logger.error = recorder('error');
}
