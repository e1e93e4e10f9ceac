import type { Logger } from '../observability/logger.js';
import { normalizeMsisdn, operatorOf } from '../lib/msisdn.js';
import type { PortalClient } from '../portal/port.js';
import { maskMsisdn } from '../lib/mask.js';
import { portalCallOf, type ServiceRegistry } from '../services/service-registry.js';
import type { ServiceOutcome } from '../engine/types.js';
import { reference } from './payment.js';
import type { PaymentProviderDirectory } from './provider-directory.js';
import type { PaymentQueues } from './queues.js';
import type { PaymentStore } from './store/port.js';
import { MemoryAttemptLimiter } from '../limits/memory.js';
import type { AttemptLimiter, AttemptPolicy } from '../limits/port.js';
import { hmacHex, secretsMatch } from '../lib/secrets.js';
import { createHolderProof, DEFAULT_PII_HASH_KEY, isIdentityClaim, type HolderProofOptions } from '../services/holder-proof.js';
import { guarded } from '../services/portal-services.js';

export interface PaymentMenuDeps {
  store: PaymentStore;
  providers: PaymentProviderDirectory;
  portal: PortalClient;
  queues: Pick<PaymentQueues, 'collect'>;
  logger: Logger;
  now: () => number;
  /** How long the citizen has to approve the PIN prompt before the payment expires. */
  expiryMs: number;
  /** See `PaymentServiceDeps.holderProof`. */
  holderProof?: HolderProofOptions;
  /** See `PaymentServiceDeps.prompts`. */
  prompts?: AttemptLimiter;
  /** At most this many such prompts per payer number and per request in an hour. */
  promptsPerHour?: number;
}

/** N of "at most N prompts per payer number and per request per hour" (issue 11 item 5). */
export const PAYMENT_PROMPTS_PER_HOUR = 3;
/**
 * The prompt counters' policy: only the count is read (`failures`); it is forgotten an hour after
 * the last prompt, so a number kept busy by a stranger stays closed to that stranger only.
 */
export const PAYMENT_PROMPT_POLICY: AttemptPolicy = { freeFailures: PAYMENT_PROMPTS_PER_HOUR, baseLockMs: 3_600_000, maxLockMs: 3_600_000, windowMs: 3_600_000 };
/** How long a proof made on the pay path lets its caller start a payment for that request. */
const PROOF_VALID_MS = 10 * 60_000;

/**
 * The pay path's menu services: `payments.quote` (what is due, under the tracking rule),
 * `payments.start` (create the payment and queue its collection; the menu then ends with the
 * reference) and `payments.check` ("check my payment" on redial). They answer within the hop;
 * everything slower is a job (`jobs.ts`).
 */
export function createPaymentMenuServices(deps: PaymentMenuDeps): ServiceRegistry {
  const { store, providers, logger, now } = deps;
  const proveIdentity = createHolderProof(deps.portal, { now, ...deps.holderProof });
  const piiHashKey = deps.holderProof?.piiHashKey ?? DEFAULT_PII_HASH_KEY;
  const prompts = deps.prompts ?? new MemoryAttemptLimiter(PAYMENT_PROMPT_POLICY);
  const promptsPerHour = deps.promptsPerHour ?? PAYMENT_PROMPTS_PER_HOUR;

  /**
   * What a caller who proved the holder's identity carries to `payments.start` instead of the NPI
   * and birth date (which leave the session as soon as they are checked): bound to the request
   * and the caller's number, valid a few minutes, signed with `PII_HASH_KEY`.
   */
  async function proofToken(requestNumber: string, msisdn: string): Promise<string> {
    const until = now() + PROOF_VALID_MS;
    return `${until}.${await hmacHex(piiHashKey, `pay-proof:${requestNumber}:${msisdn}:${until}`)}`;
  }
  async function proofHolds(token: string | undefined, requestNumber: string, msisdn: string): Promise<boolean> {
    const match = /^(\d{13})\.([0-9a-f]{64})$/.exec(token ?? '');
    if (!match?.[1] || !match[2] || Number(match[1]) < now()) return false;
    return secretsMatch(match[2], await hmacHex(piiHashKey, `pay-proof:${requestNumber}:${msisdn}:${match[1]}`));
  }

  /** Counts one prompt against a key; false when that makes more than the hour allows. */
  async function promptAllowed(kind: 'payer' | 'request', value: string): Promise<boolean> {
    const state = await prompts.fail(`payprompt:${kind}:${await hmacHex(piiHashKey, value)}`, now());
    return state.failures <= promptsPerHour;
  }

  return {
    /**
     * The pay path's view of a request, under the tracking rule: its holder's number sees the
     * service and the fee; anyone else gets the same neutral `not_found` whether the request exists
     * or not (the same portal calls are made either way, so the time taken tells nothing), unless
     * they give the holder's NPI and birth date: then only the amount (`ok_amount`), and a proof
     * token for `payments.start`. The NPI and birth date are blanked from the session at once.
     */
    'payments.quote': guarded(async (args, ctx): Promise<ServiceOutcome> => {
      const requestNumber = args.requestNumber ?? '';
      const call = portalCallOf(ctx);
      const [request, fee] = await Promise.all([deps.portal.findRequest(requestNumber, call), deps.portal.feeDue(requestNumber, call)]);
      if (request && fee && request.holderMsisdn === ctx.msisdn) {
        return { outcome: fee.paid ? 'paid' : 'ok', values: { serviceCode: fee.serviceCode, amountXof: fee.amountXof } };
      }
      if (!isIdentityClaim(args.npi, args.birthDate)) return { outcome: 'not_found' };
      const forget = { npi: '', birthDate: '' };
      const proof = await proveIdentity(requestNumber, args.npi ?? '', args.birthDate ?? '', ctx);
      if (proof === 'denied' || (proof === 'proved' && !fee)) return { outcome: 'denied', values: forget };
      if (proof !== 'proved') return { outcome: 'locked', values: { ...forget, retryMinutes: proof.lockedMinutes } };
      if (fee!.paid) return { outcome: 'paid', values: forget };
      return { outcome: 'ok_amount', values: { ...forget, amountXof: fee!.amountXof, holderProof: await proofToken(requestNumber, ctx.msisdn) } };
    }),
    /**
     * Creates the payment and queues the collection; the menu then ends with the reference. Only
     * for the request's holder's number or a caller holding a proof from `payments.quote`; anyone
     * else gets the neutral `not_found`. Prompts pushed for someone else are limited
     * (`too_many`): per payer number when another number pays, per request when the caller is not
     * its holder; the holder paying from their own number is never counted nor blocked.
     */
    'payments.start': guarded(async (args, ctx): Promise<ServiceOutcome> => {
      const requestNumber = args.requestNumber ?? '';
      const call = portalCallOf(ctx);
      const [request, fee] = await Promise.all([deps.portal.findRequest(requestNumber, call), deps.portal.feeDue(requestNumber, call)]);
      const byHolder = request !== null && request.holderMsisdn === ctx.msisdn;
      if (!request || !fee || (!byHolder && !(await proofHolds(args.holderProof, requestNumber, ctx.msisdn)))) return { outcome: 'not_found' };
      if (fee.paid) return { outcome: 'paid' };
      // Another number may pay (a relative's wallet, a second SIM): it gets the PIN prompt and receipt.
      let payer = ctx.msisdn;
      if (args.payer) {
        const parsed = normalizeMsisdn(args.payer);
        if (!parsed.ok || !parsed.operator) return { outcome: 'bad_number' };
        payer = parsed.e164;
      }
      // Counted before the store is asked, so refused attempts count too: a stranger who keeps
      // trying stays refused, and the holder's own number is never in these counters' way.
      if (payer !== ctx.msisdn && !(await promptAllowed('payer', payer))) return { outcome: 'too_many' };
      if (!byHolder && !(await promptAllowed('request', requestNumber))) return { outcome: 'too_many' };
      const operator = args.operator || operatorOf(payer) || 'UNKNOWN';
      const provider = providers.forOperator(operator);
      const id = crypto.randomUUID();
      const created = new Date(now());
      const stored = await store.create({
        id,
        requestNumber,
        amountXof: fee.amountXof,
        payerMsisdn: payer,
        ...(payer !== ctx.msisdn ? { initiatorMsisdn: ctx.msisdn } : {}),
        startedBy: byHolder ? 'holder' : 'other',
        operator,
        provider: provider.name,
        createdAt: created.toISOString(),
        expiresAt: new Date(created.getTime() + deps.expiryMs).toISOString(),
      });
      // The request already has a payment under way (confirmed twice, or from two phones), or its
      // last payment succeeded and the portal has not recorded it yet: the store refuses both in
      // the same atomic step as the creation, so there is never a second charge.
      if (!stored) return { outcome: (await store.latestForRequest(requestNumber))?.state === 'succeeded' ? 'paid' : 'in_progress' };
      await deps.queues.collect(id);
      logger.info({ paymentId: id, payer: maskMsisdn(payer), operator, amountXof: fee.amountXof, startedBy: byHolder ? 'holder' : 'other' }, 'payment created');
      return { outcome: 'ok', values: { reference: reference(id), amountXof: fee.amountXof, payerDisplay: payer.slice(4), holderProof: '' } };
    }),
    /**
     * "Check my payment" on redial: the request's latest payment, shown only to the number that
     * made it (anyone else gets the same answer as for no payment: the privacy rule of tracking).
     */
    'payments.check': async (args, ctx) => {
      const latest = await store.latestForRequest(args.requestNumber ?? '');
      if (!latest || (latest.payerMsisdn !== ctx.msisdn && latest.initiatorMsisdn !== ctx.msisdn)) return { outcome: 'none' };
      const outcome = latest.state === 'created' ? 'pending' : latest.state === 'expired' ? 'failed' : latest.state;
      return {
        outcome,
        values: { reference: reference(latest.id), amountXof: latest.amountXof, providerTransactionId: latest.providerTransactionId ?? '' },
      };
    },
  };
}
