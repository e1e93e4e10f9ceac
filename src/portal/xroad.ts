import { z } from 'zod';
import { cached, type Cache } from '../cache/port.js';
import { InteropError } from '../interop/errors.js';
import type { InteropClient, ServiceRef } from '../interop/interop-client.js';
import { REQUEST_STATUSES, type FeeDue, type PortalCall, type PortalClient, type PortalRequest } from './port.js';

/**
 * The portal and agencies reached over the interoperability platform. Which member, subsystem and
 * service answers each question comes from configuration; how each answer maps to Guichet's types
 * is a zod schema here, so a provider changing its format is caught at the boundary, not in a menu.
 */
export interface InteropPortalServices {
  /** `GET {path}/requests/{number}` → a request. */
  requestStatus: ServiceRef;
  /** `GET {path}/requests/{number}/fee` → what is due. */
  feeDue: ServiceRef;
  /** `GET {path}/services/{code}` → the catalogue entry (name, fee schedule): cached. */
  catalogue: ServiceRef;
  /** `POST {path}/verify` → does the claim match the request's holder? */
  identity: ServiceRef;
  /** `POST {path}/payments` with `Idempotency-Key` → recorded. */
  payments: ServiceRef;
}

const STATE_MAP: Record<string, (typeof REQUEST_STATUSES)[number]> = {
  SUBMITTED: 'submitted',
  UNDER_REVIEW: 'under_review',
  INFO_REQUESTED: 'info_requested',
  READY: 'ready',
  REJECTED: 'rejected',
};

export const RequestAnswer = z.object({
  requestNumber: z.string(),
  serviceCode: z.string().regex(/^PS\d{5}$/),
  state: z.enum(Object.keys(STATE_MAP) as [string, ...string[]]),
  lastUpdate: z.string().regex(/^\d{4}-\d{2}-\d{2}/),
  collectAt: z.string().optional(),
  holder: z.object({ msisdn: z.string() }),
});

export const FeeAnswer = z.object({ amount: z.number().int().nonnegative(), currency: z.literal('XOF'), paid: z.boolean() });
export const CatalogueAnswer = z.object({ code: z.string(), name: z.string(), fee: z.number().int().nonnegative() });
export const IdentityAnswer = z.object({ match: z.boolean() });

/** A day: catalogue entries change with decrees, not by the minute. */
const CATALOGUE_TTL_SECONDS = 24 * 3600;

export function createInteropPortal(client: InteropClient, services: InteropPortalServices, cache: Cache): PortalClient {
  async function get<T>(service: ServiceRef, path: string, schema: z.ZodType<T>, call: PortalCall = {}): Promise<T | null> {
    try {
      const res = await client.call(service, { path, ...interopCall(call) });
      return parse(schema, res.body, service);
    } catch (error) {
      if (error instanceof InteropError && error.details.status === 404) return null;
      throw error;
    }
  }

  return {
    async findRequest(requestNumber, call): Promise<PortalRequest | null> {
      const answer = await get(services.requestStatus, `/requests/${encodeURIComponent(requestNumber)}`, RequestAnswer, call);
      if (!answer) return null;
      return {
        requestNumber: answer.requestNumber,
        serviceCode: answer.serviceCode,
        status: STATE_MAP[answer.state]!,
        updatedAt: answer.lastUpdate.slice(0, 10),
        ...(answer.collectAt ? { collectAt: answer.collectAt } : {}),
        holderMsisdn: answer.holder.msisdn,
      };
    },

    async feeDue(requestNumber, call): Promise<FeeDue | null> {
      const request = await this.findRequest(requestNumber, call);
      if (!request) return null;
      const [fee] = await Promise.all([
        get(services.feeDue, `/requests/${encodeURIComponent(requestNumber)}/fee`, FeeAnswer, call),
        // Warm the catalogue for the service's name and schedule; a cached answer costs nothing.
        cached(cache, `catalogue:${request.serviceCode}`, CATALOGUE_TTL_SECONDS, () => get(services.catalogue, `/services/${request.serviceCode}`, CatalogueAnswer, call)),
      ]);
      if (!fee) return null;
      return { requestNumber, serviceCode: request.serviceCode, amountXof: fee.amount, paid: fee.paid };
    },

    async verifyIdentity(requestNumber, claim, call = {}) {
      const res = await client.call(services.identity, { method: 'POST', path: '/verify', body: { requestNumber, npi: claim.npi, birthDate: claim.birthDate }, ...interopCall(call) });
      return parse(IdentityAnswer, res.body, services.identity).match;
    },

    async recordPayment(notice, call = {}) {
      await client.call(services.payments, {
        method: 'POST',
        path: '/payments',
        body: notice,
        headers: { 'idempotency-key': notice.paymentId },
        // The payment is the case this call belongs to (`X-Road-Issue`).
        issue: notice.paymentId,
        ...interopCall(call),
      });
    },
  };
}

function interopCall(call: PortalCall): { signal?: AbortSignal; userId?: string } {
  return { ...(call.signal ? { signal: call.signal } : {}), ...(call.userId ? { userId: call.userId } : {}) };
}

function parse<T>(schema: z.ZodType<T>, body: unknown, service: ServiceRef): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw new InteropError('bad_response', `${service.service}: answer does not match its schema: ${result.error.issues[0]?.message ?? ''}`, {
    service: service.service,
    messageId: '',
  });
}
