import type { ServiceOutcome } from '../engine/types.js';
import type { PortalClient } from '../portal/portal-client.js';
import { InteropError } from '../interop/errors.js';
import { MemoryAttemptLimiter, type AttemptLimiter } from '../security/attempt-limiter.js';
import { hmacHex } from '../security/secrets.js';
import type { ServiceHandler, ServiceRegistry } from './service-registry.js';

export interface PortalServicesOptions {
  /** Failed identity proofs per caller number and per NPI; Redis when configured, so every instance counts. */
  attempts?: AttemptLimiter;
  /**
   * Keys the counters' names (HMAC of the number or NPI), so the store never holds a raw NPI or
   * number; the same on every instance (`PII_HASH_KEY`).
   */
  piiHashKey?: string;
  now?: () => number;
}

/**
 * The portal's services as menus see them. The privacy rule lives here, not in the portal: a
 * request's status is shown only to the phone number it was filed with, or to a caller who also
 * gives the holder's NPI and birth date; anyone else gets the same neutral "not found" as for a
 * number that does not exist, so nothing leaks either way. Upstream failures become outcomes
 * (`unavailable`, `timeout`) the menu branches on.
 */
export function createPortalServices(portal: PortalClient, options: PortalServicesOptions = {}): ServiceRegistry {
  const attempts = options.attempts ?? new MemoryAttemptLimiter();
  const now = options.now ?? Date.now;
  const counterKey = async (kind: 'caller' | 'npi', value: string) => `idproof:${kind}:${await hmacHex(options.piiHashKey ?? DEFAULT_PII_HASH_KEY, value)}`;

  /**
   * The NPI + birth-date proof, limited per caller number and per NPI: a few free mistakes, then a
   * lock that doubles with each failure, which the citizen is told about (`locked`, `retryMinutes`).
   */
  async function proveIdentity(requestNumber: string, npi: string, birthDate: string, ctx: Parameters<ServiceHandler>[1]): Promise<'proved' | 'denied' | { lockedMinutes: number }> {
    const keys = await Promise.all([counterKey('caller', ctx.msisdn), counterKey('npi', npi)]);
    const at = now();
    const lockedUntil = (states: { lockedUntilMs: number }[]) => Math.max(...states.map((s) => s.lockedUntilMs));
    const minutesLeft = (until: number) => Math.max(1, Math.ceil((until - at) / 60_000));
    const before = lockedUntil(await Promise.all(keys.map((key) => attempts.peek(key, at))));
    if (before > at) return { lockedMinutes: minutesLeft(before) };
    if (await portal.verifyIdentity(requestNumber, { npi, birthDate }, { signal: ctx.signal, userId: ctx.msisdn })) {
      await Promise.all(keys.map((key) => attempts.clear(key)));
      return 'proved';
    }
    const after = lockedUntil(await Promise.all(keys.map((key) => attempts.fail(key, at))));
    return after > at ? { lockedMinutes: minutesLeft(after) } : 'denied';
  }

  return {
    'portal.requestStatus': guarded(async (args, ctx): Promise<ServiceOutcome> => {
      const requestNumber = args.requestNumber ?? '';
      const request = await portal.findRequest(requestNumber, { signal: ctx.signal, userId: ctx.msisdn });
      if (!request) return { outcome: 'not_found' };
      if (request.holderMsisdn !== ctx.msisdn) {
        const npi = args.npi ?? '';
        const birthDate = args.birthDate ?? '';
        if (!/^\d{10}$/.test(npi) || !/^\d{8}$/.test(birthDate)) return { outcome: 'not_found' };
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
    'portal.feeDue': guarded(async (args, ctx) => {
      const fee = await portal.feeDue(args.requestNumber ?? '', { signal: ctx.signal, userId: ctx.msisdn });
      if (!fee) return { outcome: 'not_found' };
      return {
        outcome: fee.paid ? 'paid' : 'ok',
        values: { serviceCode: fee.serviceCode, amountXof: fee.amountXof },
      };
    }),
  };
}

/** Only for the embedded default and tests: production sets `PII_HASH_KEY`. */
const DEFAULT_PII_HASH_KEY = 'guichet-embedded-default';

/** Upstream trouble as an outcome: `timeout` when the platform timed out, `unavailable` otherwise. */
function guarded(handler: ServiceHandler): ServiceHandler {
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
