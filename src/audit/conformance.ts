import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry, AuditLog } from './port.js';

/** A backend under test, with the way to read back what it kept. */
export interface AuditLogUnderTest {
  log: AuditLog;
  /** Every entry kept so far, in order, after `close` where the backend needs it. */
  read(): Promise<AuditEntry[]>;
  cleanup?(): Promise<void>;
}

const entry = (n: number, overrides: Partial<AuditEntry> = {}): AuditEntry => ({
  time: `2026-12-02T09:15:${String(n % 60).padStart(2, '0')}.000Z`,
  agency: 'portail',
  action: 'POST /v1/notifications',
  target: `6f1c2b7e-3d4a-4c5b-9e8f-${String(n).padStart(12, '0')}`,
  outcome: 202,
  requestId: `0b8f9a2e-5c41-4d7a-9f30-${String(n).padStart(12, '0')}`,
  ...overrides,
});

/** One contract, run against every AuditLog implementation. */
export function auditLogConformance(name: string, make: () => Promise<AuditLogUnderTest>): void {
  describe(`AuditLog conformance: ${name}`, () => {
    let backend: AuditLogUnderTest;
    beforeEach(async () => {
      backend = await make();
    });
    afterEach(async () => {
      await backend.cleanup?.();
    });

    it('keeps an entry with exactly its fields', async () => {
      await backend.log.record(entry(1));
      await backend.log.close();
      expect(await backend.read()).toEqual([entry(1)]);
    });

    it('keeps an entry without a target without one', async () => {
      const refused = entry(2, { agency: 'unknown', outcome: 401 });
      delete refused.target;
      await backend.log.record(refused);
      await backend.log.close();
      const [kept] = await backend.read();
      expect(kept).toEqual(refused);
      expect(kept && 'target' in kept).toBe(false);
    });

    it('keeps every entry of concurrent calls, whole and in the order recorded', async () => {
      const entries = Array.from({ length: 200 }, (_, i) => entry(i, { outcome: i % 2 ? 200 : 404 }));
      await Promise.all(entries.map((e) => backend.log.record(e)));
      await backend.log.close();
      expect(await backend.read()).toEqual(entries);
    });
  });
}
