import { describe, expect, it } from 'vitest';
import type { AgentRecords } from './port.js';

/**
 * One contract for every source of agent records, with the demo agents (`demo.ts`): the demo
 * adapter in memory and the X-Road adapter against the fake security server must answer alike.
 */
export function agentRecordsConformance(name: string, make: () => AgentRecords): void {
  describe(`AgentRecords conformance: ${name}`, () => {
    it.each([
      // matricule, first posting as typed, matches?
      ['1042173', '01101998', true],
      ['1042173', '02101998', false],
      ['1187540', '15091986', true],
      ['1187540', '01101998', false],
      ['9999999', '01101998', false],
    ])('verifyAgent(%s, %s) is %s', async (matricule, firstPosting, expected) => {
      expect(await make().verifyAgent(matricule, firstPosting)).toBe(expected);
    });

    it('an agent in service: last act, the next échelon, retirement ahead', async () => {
      expect(await make().career('1042173')).toEqual({
        standing: 'active',
        lastAct: { act: 'step_advance', date: '2026-03-15' },
        nextStep: { echelon: 7, date: '2028-03-15' },
        retirementDate: '2038-12-31',
      });
    });

    it('a retiree: no next step, retired, a pension file under review', async () => {
      const records = make();
      expect(await records.career('1187540')).toEqual({ standing: 'retired', lastAct: { act: 'retirement', date: '2025-12-31' }, nextStep: null, retirementDate: '2025-12-31' });
      expect(await records.pensionFile('1187540')).toEqual({ status: 'under_review', updatedAt: '2026-10-02' });
      expect(await records.pensionFile('2210884')).toEqual({ status: 'in_payment', updatedAt: '2024-11-05' });
    });

    it('unknown matricules and agents without a pension file are null, not errors', async () => {
      const records = make();
      expect(await records.career('9999999')).toBeNull();
      expect(await records.pensionFile('9999999')).toBeNull();
      expect(await records.pensionFile('1042173')).toBeNull();
    });
  });
}
