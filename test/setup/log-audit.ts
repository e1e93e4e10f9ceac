import { appendFileSync } from 'node:fs';
import { FileAuditLog } from '../../src/runtime/node/audit-file.js';
import { LoggerAuditLog } from '../../src/audit/log.js';
import { MemoryAuditLog } from '../../src/audit/memory.js';
import type { AuditEntry } from '../../src/audit/port.js';
import { silentLogger, type Logger } from '../../src/observability/logger.js';

/**
 * Issue 11, item 9: every line any test logs through the in-process logger is written to one file
 * (`GUICHET_LOG_AUDIT`), and `log-audit.global.ts` greps it at the end of the run for raw phone
 * numbers, NPIs and birth dates. The logger stays silent on the console. Issue 14, item 7: so is
 * every audit-log entry any test records, whatever the backend.
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

  const prototypes: { record(entry: AuditEntry): Promise<void> }[] = [MemoryAuditLog.prototype, FileAuditLog.prototype, LoggerAuditLog.prototype];
  for (const prototype of prototypes) {
    const record = prototype.record;
    prototype.record = function recordAndKeepForTheAudit(this: unknown, entry: AuditEntry) {
      appendFileSync(file, `${JSON.stringify({ level: 'audit', message: 'audit entry', fields: entry })}\n`);
      return record.call(this, entry);
    };
  }
}
