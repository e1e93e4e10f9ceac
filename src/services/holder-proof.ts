import type { PortalClient } from '../portal/port.js';
import { MemoryAttemptLimiter } from '../limits/memory.js';
import type { AttemptLimiter } from '../limits/port.js';
import { hmacHex } from '../lib/secrets.js';
import type { ServiceContext } from './service-registry.js';

export interface HolderProofOptions {
  /** Failed identity proofs per caller number and per NPI; Redis when configured, so every instance counts. */
  attempts?: AttemptLimiter;
  /**
   * Keys the counters' names (HMAC of the number or NPI), so the store never holds a raw NPI or
   * number; the same on every instance (`PII_HASH_KEY`).
   */
  piiHashKey?: string;
  now?: () => number;
}

export type ProofVerdict = 'proved' | 'denied' | { lockedMinutes: number };

/** Only for the embedded default and tests: production sets `PII_HASH_KEY`. */
export const DEFAULT_PII_HASH_KEY = 'guichet-embedded-default';

/** Whether the two answers have the shape of an NPI (10 digits) and a birth date (DDMMYYYY). */
export function isIdentityClaim(npi: string | undefined, birthDate: string | undefined): boolean {
  return /^\d{10}$/.test(npi ?? '') && /^\d{8}$/.test(birthDate ?? '');
}

/**
 * The NPI + birth-date proof that a caller who is not the request's phone number stands for its
 * holder, limited per caller number and per NPI: a few free mistakes, then a lock that doubles
 * with each failure, which the citizen is told about (`lockedMinutes`). One module for tracking and
 * paying, so the counters are the same whichever path an attacker guesses through.
 */
export function createHolderProof(portal: PortalClient, options: HolderProofOptions = {}) {
  const attempts = options.attempts ?? new MemoryAttemptLimiter();
  const now = options.now ?? Date.now;
  const piiHashKey = options.piiHashKey ?? DEFAULT_PII_HASH_KEY;
  const counterKey = async (kind: 'caller' | 'npi', value: string) => `idproof:${kind}:${await hmacHex(piiHashKey, value)}`;

  return async function proveIdentity(requestNumber: string, npi: string, birthDate: string, ctx: Pick<ServiceContext, 'msisdn' | 'signal'> & Partial<Pick<ServiceContext, 'channel'>>): Promise<ProofVerdict> {
    const keys = await Promise.all([counterKey('caller', ctx.msisdn), counterKey('npi', npi)]);
    const at = now();
    const lockedUntil = (states: { lockedUntilMs: number }[]) => Math.max(...states.map((s) => s.lockedUntilMs));
    const minutesLeft = (until: number) => Math.max(1, Math.ceil((until - at) / 60_000));
    const before = lockedUntil(await Promise.all(keys.map((key) => attempts.peek(key, at))));
    if (before > at) return { lockedMinutes: minutesLeft(before) };
    if (await portal.verifyIdentity(requestNumber, { npi, birthDate }, { signal: ctx.signal, userId: ctx.msisdn, ...(ctx.channel ? { channel: ctx.channel } : {}) })) {
      await Promise.all(keys.map((key) => attempts.clear(key)));
      return 'proved';
    }
    const after = lockedUntil(await Promise.all(keys.map((key) => attempts.fail(key, at))));
    return after > at ? { lockedMinutes: minutesLeft(after) } : 'denied';
  };
}

export type HolderProof = ReturnType<typeof createHolderProof>;
