import type { ServiceOutcome } from '../engine/types.js';
import type { PortalClient } from '../portal/port.js';
import { InteropError } from '../interop/errors.js';
import { createHolderProof, isIdentityClaim, type HolderProofOptions } from './holder-proof.js';
import { portalCallOf, type ServiceHandler, type ServiceRegistry } from './service-registry.js';

export type PortalServicesOptions = HolderProofOptions;

/**
 * The portal's services as menus see them. The privacy rule lives here, not in the portal: a
 * request's status is shown only to the phone number it was filed with, or to a caller who also
 * gives the holder's NPI and birth date; anyone else gets the same neutral "not found" as for a
 * number that does not exist, so nothing leaks either way. Upstream failures become outcomes
 * (`unavailable`, `timeout`) the menu branches on.
 */
export function createPortalServices(portal: PortalClient, options: PortalServicesOptions = {}): ServiceRegistry {
  const proveIdentity = createHolderProof(portal, options);

  return {
    'portal.requestStatus': guarded(async (args, ctx): Promise<ServiceOutcome> => {
      const requestNumber = args.requestNumber ?? '';
      const request = await portal.findRequest(requestNumber, portalCallOf(ctx));
      if (!request) return { outcome: 'not_found' };
      if (request.holderMsisdn !== ctx.msisdn) {
        const npi = args.npi ?? '';
        const birthDate = args.birthDate ?? '';
        if (!isIdentityClaim(npi, birthDate)) return { outcome: 'not_found' };
        const proof = await proveIdentity(requestNumber, npi, birthDate, ctx);
        if (proof === 'denied') return { outcome: 'not_found' };
        if (proof !== 'proved') return { outcome: 'locked', values: { retryMinutes: proof.lockedMinutes } };
      }
      return {
        outcome: 'ok',
        values: {
          serviceCode: request.serviceCode,
          status: request.status,
          updatedAt: formatDate(request.updatedAt),
          collectAt: request.status === 'ready' ? (request.collectAt ?? '') : '',
        },
      };
    }),
  };
}

/** Upstream trouble as an outcome: `timeout` when the platform timed out, `unavailable` otherwise. */
export function guarded(handler: ServiceHandler): ServiceHandler {
  return async (args, ctx) => {
    try {
      return await handler(args, ctx);
    } catch (error) {
      if (error instanceof InteropError) return { outcome: error.kind === 'timeout' ? 'timeout' : 'unavailable' };
      throw error;
    }
  };
}

/** 2026-11-20 → 20/11/2026, the way dates are written in Benin. */
function formatDate(isoDate: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(isoDate);
  return match ? `${match[3]}/${match[2]}/${match[1]}` : isoDate;
}
