import type { Logger } from '../observability/logger.js';
import type { AuditEntry, AuditLog } from './port.js';

/**
 * The default when `AUDIT_LOG_FILE` is unset: each entry is a line of the gateway's own log
 * stream, marked `audit: true` so a log pipeline can route it elsewhere (`message` is `audit`).
 */
export class LoggerAuditLog implements AuditLog {
  constructor(private readonly logger: Logger) {}

  async record(entry: AuditEntry): Promise<void> {
    this.logger.info({ audit: true, ...entry }, 'audit');
  }

  async close(): Promise<void> {}
}
