/**
 * The agencies' records of state agents and retirees, as the career menu (`menus/carriere.yaml`)
 * asks for them: the civil-service ministry knows careers (acts, échelons, retirement dates), the
 * pension fund knows pension files. The demo adapter (`demo.ts`) serves the embedded default; the
 * X-Road adapter (`xroad.ts`) asks the agencies over the interoperability platform. Both run one
 * conformance suite (`conformance.ts`, `careers.test.ts`).
 *
 * A matricule is personal data like an NPI: it travels in request bodies (never in a URL, which
 * security servers and proxies log) and never reaches Guichet's logs.
 */

/** What a career act is (the ministry's act types, as Guichet names them). */
export const CAREER_ACTS = ['recruitment', 'tenure', 'promotion', 'step_advance', 'reclassification', 'transfer', 'retirement'] as const;
export type CareerAct = (typeof CAREER_ACTS)[number];

/** Where a pension file is, at the pension fund. */
export const PENSION_STATUSES = ['not_started', 'submitted', 'under_review', 'info_requested', 'granted', 'in_payment'] as const;
export type PensionStatus = (typeof PENSION_STATUSES)[number];

export interface CareerRecord {
  /** `active`: in service; `retired`: past the retirement date (the pension file is what matters then). */
  standing: 'active' | 'retired';
  /** The latest act signed, with its date (ISO YYYY-MM-DD). */
  lastAct: { act: CareerAct; date: string };
  /** The next échelon and when it is due; null for a retiree or an agent at the top of the grade. */
  nextStep: { echelon: number; date: string } | null;
  /** ISO date the agent retires (or retired). */
  retirementDate: string;
}

export interface PensionFile {
  status: PensionStatus;
  /** ISO date of the last change. */
  updatedAt: string;
}

/** How an agency is asked: the hop's time budget and on whose behalf (E.164, `X-Road-UserId`). */
export interface AgentCall {
  signal?: AbortSignal;
  userId?: string;
}

export interface AgentRecords {
  /**
   * Whether a matricule and the date of first posting (DDMMYYYY, as typed) belong together: the
   * knowledge an agent proves at enrolment. False too when there is no such matricule, so the
   * answer does not tell a guesser which matricules exist.
   */
  verifyAgent(matricule: string, firstPosting: string, call?: AgentCall): Promise<boolean>;
  /** The agent's career, or null when the ministry has no such matricule. */
  career(matricule: string, call?: AgentCall): Promise<CareerRecord | null>;
  /** The pension file, or null when the fund has none for this matricule. */
  pensionFile(matricule: string, call?: AgentCall): Promise<PensionFile | null>;
}

/** A matricule as typed on a keypad: 6 to 9 digits (the ministry's numbering). */
export function isMatricule(value: string | undefined): value is string {
  return /^\d{6,9}$/.test(value ?? '');
}

/** DDMMYYYY that names a real calendar day. */
export function isKeypadDate(value: string | undefined): value is string {
  const match = /^(\d{2})(\d{2})(\d{4})$/.exec(value ?? '');
  if (!match) return false;
  const [day, month, year] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
