import type { AgentRecords, CareerRecord, PensionFile } from './port.js';

/** A sample agent or retiree: what the ministry and the pension fund hold about them. Invented. */
export interface DemoAgent {
  matricule: string;
  /** DDMMYYYY, as the agent types it at enrolment. */
  firstPosting: string;
  career: CareerRecord;
  pension: PensionFile | null;
}

/**
 * Sample state agents and retirees for the embedded default, the fake security server and the
 * transcripts (README "Career and pension status"): an agent in service with an échelon due, one
 * at the top of the grade, a retiree whose pension file is under review and one already paid.
 */
export const DEMO_AGENTS: readonly DemoAgent[] = [
  {
    matricule: '1042173',
    firstPosting: '01101998',
    career: { standing: 'active', lastAct: { act: 'step_advance', date: '2026-03-15' }, nextStep: { echelon: 7, date: '2028-03-15' }, retirementDate: '2038-12-31' },
    pension: null,
  },
  {
    matricule: '1093318',
    firstPosting: '03021992',
    career: { standing: 'active', lastAct: { act: 'promotion', date: '2025-07-01' }, nextStep: null, retirementDate: '2027-06-30' },
    pension: { status: 'submitted', updatedAt: '2026-09-14' },
  },
  {
    matricule: '1187540',
    firstPosting: '15091986',
    career: { standing: 'retired', lastAct: { act: 'retirement', date: '2025-12-31' }, nextStep: null, retirementDate: '2025-12-31' },
    pension: { status: 'under_review', updatedAt: '2026-10-02' },
  },
  {
    matricule: '2210884',
    firstPosting: '02011984',
    career: { standing: 'retired', lastAct: { act: 'retirement', date: '2024-06-30' }, nextStep: null, retirementDate: '2024-06-30' },
    pension: { status: 'in_payment', updatedAt: '2024-11-05' },
  },
];

/** The agencies' records in memory, for the embedded default and tests. */
export function createDemoAgentRecords(agents: readonly DemoAgent[] = DEMO_AGENTS): AgentRecords {
  const byMatricule = new Map(agents.map((agent) => [agent.matricule, agent]));
  return {
    async verifyAgent(matricule, firstPosting) {
      return byMatricule.get(matricule)?.firstPosting === firstPosting;
    },
    async career(matricule) {
      const agent = byMatricule.get(matricule);
      return agent ? structuredClone(agent.career) : null;
    },
    async pensionFile(matricule) {
      const pension = byMatricule.get(matricule)?.pension;
      return pension ? { ...pension } : null;
    },
  };
}
