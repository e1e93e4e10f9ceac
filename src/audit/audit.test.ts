import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../observability/logger.js';
import { auditLogConformance } from './conformance.js';
import { FileAuditLog } from '../runtime/node/audit-file.js';
import { LoggerAuditLog } from './log.js';
import { MemoryAuditLog } from './memory.js';
import type { AuditEntry } from './port.js';

auditLogConformance('memory', async () => {
  const log = new MemoryAuditLog();
  return { log, read: async () => log.entries };
});

auditLogConformance('file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'guichet-audit-'));
  const path = join(dir, 'audit.jsonl');
  const log = await FileAuditLog.open(path);
  return {
    log,
    read: async () => linesOf(await readFile(path, 'utf8')),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

auditLogConformance('log stream', async () => {
  const lines: Record<string, unknown>[] = [];
  const capture = (fields: Record<string, unknown>, message: string) => void lines.push({ ...fields, message });
  const logger: Logger = { debug: capture, info: capture, warn: capture, error: capture };
  return {
    log: new LoggerAuditLog(logger),
    read: async () =>
      lines.map(({ audit, message, ...entry }) => {
        // Marked so a log pipeline can route audit entries elsewhere.
        expect([audit, message]).toEqual([true, 'audit']);
        return entry as unknown as AuditEntry;
      }),
  };
});

function linesOf(text: string): AuditEntry[] {
  expect(text.endsWith('\n') || text === '').toBe(true);
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditEntry);
}

// File only: what the other backends have no notion of.
describe('FileAuditLog', () => {
  it('appends to what the file holds (a restart never truncates it), owner-only when it creates it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'guichet-audit-'));
    try {
      const path = join(dir, 'audit.jsonl');
      await writeFile(path, '{"earlier":true}\n');
      const log = await FileAuditLog.open(path);
      await log.record({ time: '2026-12-02T09:15:00.000Z', agency: 'admin', action: 'POST /admin/x', outcome: 200, requestId: 'r' });
      await log.close();
      expect((await readFile(path, 'utf8')).split('\n')).toEqual(['{"earlier":true}', '{"time":"2026-12-02T09:15:00.000Z","agency":"admin","action":"POST /admin/x","outcome":200,"requestId":"r"}', '']);
      const created = join(dir, 'new.jsonl');
      await (await FileAuditLog.open(created)).close();
      const { stat } = await import('node:fs/promises');
      expect((await stat(created)).mode & 0o777).toBe(0o600);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start on a path it cannot open', async () => {
    await expect(FileAuditLog.open(join(tmpdir(), 'no-such-dir-guichet', 'audit.jsonl'))).rejects.toThrow(/ENOENT/);
  });
});
