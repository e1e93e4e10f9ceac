import type { AuditEntry, AuditLog } from './port.js';

/** Keeps entries in memory, for tests: `entries` in the order recorded. */
export class MemoryAuditLog implements AuditLog {
  readonly entries: AuditEntry[] = [];

  async record(entry: AuditEntry): Promise<void> {
    this.entries.push({ ...entry });
  }

  async close(): Promise<void> {}
}
