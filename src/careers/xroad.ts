import { z } from 'zod';
import { InteropError } from '../interop/errors.js';
import type { InteropClient, ServiceRef } from '../interop/interop-client.js';
import type { AgentCall, AgentRecords, CareerAct, CareerRecord, PensionFile, PensionStatus } from './port.js';

/**
 * The agent records over X-Road/UXP. Which member, subsystem and service answers each question is
 * configuration (`XROAD_SERVICE_AGENT_*`, `XROAD_SERVICE_PENSION_FILE`). The wire contract below is
 * Guichet's proposal to the ministry (MTFP) and the pension fund (FNRB): neither publishes a REST
 * API for it yet, so it is written down here and in the README, and the fake security server
 * (`src/interop/demo-security-server.ts`) answers it. Every call is a POST with the matricule in the
 * body: a URL is logged by security servers and proxies, a body is not.
 */
export interface InteropAgentServices {
  /** `POST /agents/verify {matricule, firstPostingDate}` → `{match}`. */
  verify: ServiceRef;
  /** `POST /agents/career {matricule}` → the career, 404 when unknown. */
  career: ServiceRef;
  /** `POST /pensions/file {matricule}` → the pension file, 404 when there is none. */
  pension: ServiceRef;
}

/** The ministry's act types (French, as its registry names them) → Guichet's. */
export const ACT_MAP: Record<string, CareerAct> = {
  RECRUTEMENT: 'recruitment',
  TITULARISATION: 'tenure',
  PROMOTION: 'promotion',
  AVANCEMENT_ECHELON: 'step_advance',
  RECLASSEMENT: 'reclassification',
  MUTATION: 'transfer',
  ADMISSION_RETRAITE: 'retirement',
};

export const PENSION_MAP: Record<string, PensionStatus> = {
  NON_DEPOSE: 'not_started',
  DEPOSE: 'submitted',
  EN_INSTRUCTION: 'under_review',
  PIECES_MANQUANTES: 'info_requested',
  LIQUIDE: 'granted',
  EN_PAIEMENT: 'in_payment',
};

const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const keys = <T extends Record<string, unknown>>(map: T) => Object.keys(map) as [string, ...string[]];

export const VerifyAnswer = z.object({ match: z.boolean() });
export const CareerAnswer = z.object({
  matricule: z.string(),
  situation: z.enum(['EN_ACTIVITE', 'RETRAITE']),
  dernierActe: z.object({ type: z.enum(keys(ACT_MAP)), date: IsoDate }),
  prochainAvancement: z.object({ echelon: z.number().int().min(1).max(20), date: IsoDate }).nullable(),
  dateRetraite: IsoDate,
});
export const PensionAnswer = z.object({ statut: z.enum(keys(PENSION_MAP)), dateMiseAJour: IsoDate });

/** DDMMYYYY (keypad) → YYYY-MM-DD (wire). */
function isoFromKeypad(date: string): string {
  return `${date.slice(4, 8)}-${date.slice(2, 4)}-${date.slice(0, 2)}`;
}

export function createInteropAgentRecords(client: InteropClient, services: InteropAgentServices): AgentRecords {
  async function post<T>(service: ServiceRef, path: string, body: unknown, schema: z.ZodType<T>, call: AgentCall = {}): Promise<T | null> {
    try {
      const res = await client.call(service, {
        method: 'POST',
        path,
        body,
        ...(call.signal ? { signal: call.signal } : {}),
        ...(call.userId ? { userId: call.userId } : {}),
      });
      return parse(schema, res.body, service);
    } catch (error) {
      if (error instanceof InteropError && error.details.status === 404) return null;
      throw error;
    }
  }

  return {
    async verifyAgent(matricule, firstPosting, call) {
      const answer = await post(services.verify, '/agents/verify', { matricule, firstPostingDate: isoFromKeypad(firstPosting) }, VerifyAnswer, call);
      return answer?.match ?? false;
    },
    async career(matricule, call): Promise<CareerRecord | null> {
      const answer = await post(services.career, '/agents/career', { matricule }, CareerAnswer, call);
      if (!answer) return null;
      return {
        standing: answer.situation === 'RETRAITE' ? 'retired' : 'active',
        lastAct: { act: ACT_MAP[answer.dernierActe.type]!, date: answer.dernierActe.date },
        nextStep: answer.prochainAvancement ? { echelon: answer.prochainAvancement.echelon, date: answer.prochainAvancement.date } : null,
        retirementDate: answer.dateRetraite,
      };
    },
    async pensionFile(matricule, call): Promise<PensionFile | null> {
      const answer = await post(services.pension, '/pensions/file', { matricule }, PensionAnswer, call);
      return answer ? { status: PENSION_MAP[answer.statut]!, updatedAt: answer.dateMiseAJour } : null;
    },
  };
}

function parse<T>(schema: z.ZodType<T>, body: unknown, service: ServiceRef): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw new InteropError('bad_response', `${service.service}: answer does not match its schema: ${result.error.issues[0]?.message ?? ''}`, { service: service.service, messageId: '' });
}
