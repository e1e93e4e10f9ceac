import type { ServiceOutcome } from '../engine/types.js';
import type { AgentRecords } from '../careers/port.js';
import { isKeypadDate, isMatricule } from '../careers/port.js';
import { ENROLMENT_CODE_POLICY, type CodePolicy, type EnrolmentStore } from '../careers/enrolment/port.js';
import { MemoryAttemptLimiter } from '../limits/memory.js';
import type { AttemptLimiter } from '../limits/port.js';
import { MemoryRateLimiter } from '../limits/rate/memory.js';
import type { RateLimiter, RatePolicy } from '../limits/rate/port.js';
import { constantTimeEqual, hexToBytes, hmacHex } from '../lib/secrets.js';
import { seal, unseal } from '../lib/seal.js';
import { LANGUAGES, type Language } from '../engine/schema.js';
import type { PreferenceStore } from '../sessions/port.js';
import type { SmsOutbox } from '../sms/outbox.js';
import { renderCareerSms } from '../sms/templates.js';
import { DEFAULT_PII_HASH_KEY } from './holder-proof.js';
import { guarded } from './portal-services.js';
import type { ServiceContext, ServiceRegistry } from './service-registry.js';

export interface CareerServicesDeps {
  /** The ministry's and the pension fund's records (X-Road in production, the demo agents by default). */
  records: AgentRecords;
  /** Which number is enrolled for which matricule, and the pending codes (Redis when configured). */
  enrolments: EnrolmentStore;
  /** Where the one-time code leaves: the SMS dispatcher (durable queue, the caller's operator route). */
  outbox: SmsOutbox;
  /**
   * Failed matricule + first-posting proofs per caller number and per matricule: the same lock
   * policy as the NPI proof (3 free, then 1, 2, 4 … minutes). Absent: in memory, this process only.
   */
  attempts?: AttemptLimiter;
  /** Codes sent per number (`CODE_SENDS_POLICY`): shared through Redis on Node. Absent: in memory. */
  rates?: RateLimiter;
  /** `PII_HASH_KEY`: keys the number's store key, the counters' names and the code hashes. */
  piiHashKey?: string;
  /** The languages citizens chose, for telling a number in its own that its matricule moved away. Absent: French. */
  preferences?: Pick<PreferenceStore, 'getLanguage'>;
  /** Where a failed "your file moved" notice is reported (never with the number). */
  onNoticeFailed?: (error: unknown) => void;
  codePolicy?: CodePolicy;
  /** Six random digits by default; tests and transcripts may give their own. */
  newCode?: () => string;
  now?: () => number;
}

/**
 * Codes one number may be sent in an hour. Each costs an SMS, and only a right matricule + date
 * sends one, so this is about the SMS bill and a handset spammed by its own user, not guessing.
 */
export const CODE_SENDS_POLICY: RatePolicy = { limit: 5, windowMs: 3_600_000 };

/** Six digits from the platform's CSPRNG, without modulo bias (rejection sampling). */
export function randomSixDigits(): string {
  const buffer = new Uint32Array(1);
  // 4 294 000 000 is the largest multiple of 10^6 below 2^32: values above it would favour low codes.
  do crypto.getRandomValues(buffer);
  while (buffer[0]! >= 4_294_000_000);
  return String(buffer[0]! % 1_000_000).padStart(6, '0');
}

/** When a takeover happened, as the notice shows it: 04/12/2026 13:20 (Benin time, UTC+1, no daylight saving). */
function shownDateTime(ms: number): string {
  const benin = new Date(ms + 3_600_000).toISOString();
  return `${benin.slice(8, 10)}/${benin.slice(5, 7)}/${benin.slice(0, 4)} ${benin.slice(11, 16)}`;
}

/** 2026-11-20 → 20/11/2026. */
function shownDate(iso: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  return match ? `${match[3]}/${match[2]}/${match[1]}` : iso;
}

/**
 * The career menu's services (`menus/carriere.yaml`). Enrolment binds a phone number to a
 * matricule once: the agent proves the matricule with the date of first posting (checked by the
 * ministry, failures counted and locked per number and per matricule), then proves the number by
 * typing back a code sent to it by SMS (stored hashed, five minutes, three tries, compared in
 * constant time). Afterwards each status screen reads the matricule enrolled on the caller's own
 * number: no menu argument names a matricule to look at, so no number can see another's file.
 */
export function createCareerServices(deps: CareerServicesDeps): ServiceRegistry {
  const attempts = deps.attempts ?? new MemoryAttemptLimiter();
  const piiHashKey = deps.piiHashKey ?? DEFAULT_PII_HASH_KEY;
  const policy = deps.codePolicy ?? ENROLMENT_CODE_POLICY;
  const newCode = deps.newCode ?? randomSixDigits;
  const now = deps.now ?? Date.now;
  const rates = deps.rates ?? new MemoryRateLimiter();
  const numberKey = (msisdn: string) => hmacHex(piiHashKey, `career-number:${msisdn}`);
  const counterKey = async (kind: 'caller' | 'matricule', value: string) => `careerproof:${kind}:${await hmacHex(piiHashKey, value)}`;
  const codeHash = (key: string, code: string) => hmacHex(piiHashKey, `career-code:${key}:${code}`);
  const matriculeKey = (matricule: string) => hmacHex(piiHashKey, `career-matricule:${matricule}`);

  /**
   * A matricule is enrolled on one number at a time. Whoever proves it (matricule, first posting,
   * then a code on their own phone) takes it over: the number that held it loses its access and is
   * told by SMS, so an enrolment made by someone who learned an agent's matricule and date does not
   * go unseen, and the agent can re-enrol from their own phone (which tells the other one in turn).
   * The number that held it is kept only sealed (`src/lib/seal.ts`), beside its keyed hash.
   */
  async function takeOver(matricule: string, key: string, msisdn: string): Promise<void> {
    const previous = await deps.enrolments.exchangeHolder(await matriculeKey(matricule), { numberKey: key, sealedNumber: await seal(piiHashKey, msisdn) });
    if (!previous || previous.numberKey === key) return;
    // A number that enrolled another matricule since keeps it, and is not told about this one.
    if (!(await deps.enrolments.unenrolIf(previous.numberKey, matricule))) return;
    const number = await unseal(piiHashKey, previous.sealedNumber);
    if (number === null) throw new Error('the previous holder of a matricule could not be unsealed (PII_HASH_KEY changed?)');
    const stored = await deps.preferences?.getLanguage(number);
    const language: Language = LANGUAGES.includes(stored as Language) ? (stored as Language) : 'fr';
    await deps.outbox.enqueue({
      to: number,
      text: renderCareerSms('career_moved', language, { date: shownDateTime(now()) }),
      // One notice per takeover: a retried confirmation cannot complete twice, so this key is never reused.
      idempotencyKey: `career-moved:${previous.numberKey}:${key}:${now()}`,
      purpose: 'career-moved',
    });
  }

  /** The matricule enrolled on the caller's number, or the outcome that says it is not. */
  async function enrolledMatricule(ctx: ServiceContext): Promise<string | null> {
    return deps.enrolments.enrolled(await numberKey(ctx.msisdn));
  }
  const call = (ctx: ServiceContext) => ({ signal: ctx.signal, userId: ctx.msisdn });

  return {
    'careers.enrolment': async (_args, ctx) => ((await enrolledMatricule(ctx)) ? { outcome: 'enrolled' } : { outcome: 'not_enrolled' }),

    'careers.enrol': guarded(async (args, ctx): Promise<ServiceOutcome> => {
      const { matricule, firstPosting } = args;
      if (!isMatricule(matricule) || !isKeypadDate(firstPosting)) return { outcome: 'denied' };
      const keys = await Promise.all([counterKey('caller', ctx.msisdn), counterKey('matricule', matricule)]);
      const at = now();
      const lockedUntil = (states: { lockedUntilMs: number }[]) => Math.max(...states.map((s) => s.lockedUntilMs));
      const locked = (until: number): ServiceOutcome => ({ outcome: 'locked', values: { retryMinutes: Math.max(1, Math.ceil((until - at) / 60_000)) } });
      const before = lockedUntil(await Promise.all(keys.map((key) => attempts.peek(key, at))));
      if (before > at) return locked(before);
      if (!(await deps.records.verifyAgent(matricule, firstPosting, call(ctx)))) {
        const after = lockedUntil(await Promise.all(keys.map((key) => attempts.fail(key, at))));
        return after > at ? locked(after) : { outcome: 'denied' };
      }
      await Promise.all(keys.map((key) => attempts.clear(key)));
      const key = await numberKey(ctx.msisdn);
      const sends = await rates.hit(`careercode:${key}`, CODE_SENDS_POLICY, at);
      if (!sends.allowed) return { outcome: 'locked', values: { retryMinutes: Math.max(1, Math.ceil(sends.retryAfterMs / 60_000)) } };
      const code = newCode();
      const hash = await codeHash(key, code);
      await deps.enrolments.startPending(key, { matricule, codeHash: hash }, policy.ttlMs, at);
      const minutes = Math.round(policy.ttlMs / 60_000);
      // A fresh idempotency key per code: asking again sends the new code, never the old one twice.
      await deps.outbox.enqueue({
        to: ctx.msisdn,
        text: renderCareerSms('career_code', ctx.language, { code, minutes }),
        idempotencyKey: `career-code:${crypto.randomUUID()}`,
        purpose: 'career-code',
      });
      return { outcome: 'sent', values: { codeMinutes: minutes } };
    }),

    'careers.confirm': async (args, ctx): Promise<ServiceOutcome> => {
      const key = await numberKey(ctx.msisdn);
      const pending = await deps.enrolments.takeAttempt(key, now());
      if (!pending) return { outcome: 'expired' };
      if (pending.attempts > policy.maxAttempts) {
        await deps.enrolments.dropPending(key);
        return { outcome: 'exhausted' };
      }
      const typed = /^\d{6}$/.test(args.otp ?? '') ? args.otp! : '';
      const given = hexToBytes(await codeHash(key, typed));
      const expected = hexToBytes(pending.codeHash);
      if (typed !== '' && given && expected && constantTimeEqual(given, expected)) {
        const matricule = await deps.enrolments.complete(key, pending.codeHash, now());
        if (!matricule) return { outcome: 'expired' };
        // The enrolment stands whatever happens to the notice: the caller proved matricule and number.
        await takeOver(matricule, key, ctx.msisdn).catch((error: unknown) => deps.onNoticeFailed?.(error));
        return { outcome: 'ok' };
      }
      const left = policy.maxAttempts - pending.attempts;
      if (left <= 0) {
        await deps.enrolments.dropPending(key);
        return { outcome: 'exhausted' };
      }
      return { outcome: 'wrong', values: { attemptsLeft: left } };
    },

    'careers.unenrol': async (_args, ctx) => {
      const key = await numberKey(ctx.msisdn);
      const matricule = await deps.enrolments.enrolled(key);
      await deps.enrolments.unenrol(key);
      if (matricule) await deps.enrolments.releaseHolder(await matriculeKey(matricule), key);
      return { outcome: 'ok' };
    },

    'careers.lastAct': guarded(async (_args, ctx): Promise<ServiceOutcome> => {
      const matricule = await enrolledMatricule(ctx);
      if (!matricule) return { outcome: 'not_enrolled' };
      const career = await deps.records.career(matricule, call(ctx));
      if (!career) return { outcome: 'not_found' };
      return { outcome: 'ok', values: { act: career.lastAct.act, actDate: shownDate(career.lastAct.date) } };
    }),

    'careers.nextStep': guarded(async (_args, ctx): Promise<ServiceOutcome> => {
      const matricule = await enrolledMatricule(ctx);
      if (!matricule) return { outcome: 'not_enrolled' };
      const career = await deps.records.career(matricule, call(ctx));
      if (!career) return { outcome: 'not_found' };
      if (career.standing === 'retired') return { outcome: 'retired', values: { retirementDate: shownDate(career.retirementDate) } };
      if (!career.nextStep) return { outcome: 'none' };
      return { outcome: 'ok', values: { echelon: career.nextStep.echelon, stepDate: shownDate(career.nextStep.date) } };
    }),

    'careers.retirement': guarded(async (_args, ctx): Promise<ServiceOutcome> => {
      const matricule = await enrolledMatricule(ctx);
      if (!matricule) return { outcome: 'not_enrolled' };
      const career = await deps.records.career(matricule, call(ctx));
      if (!career) return { outcome: 'not_found' };
      return { outcome: career.standing === 'retired' ? 'retired' : 'ok', values: { retirementDate: shownDate(career.retirementDate) } };
    }),

    'careers.pension': guarded(async (_args, ctx): Promise<ServiceOutcome> => {
      const matricule = await enrolledMatricule(ctx);
      if (!matricule) return { outcome: 'not_enrolled' };
      const file = await deps.records.pensionFile(matricule, call(ctx));
      if (!file) return { outcome: 'none' };
      return { outcome: 'ok', values: { pensionStatus: file.status, pensionUpdatedAt: shownDate(file.updatedAt) } };
    }),
  };
}
