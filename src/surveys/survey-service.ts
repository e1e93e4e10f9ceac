import { isLanguage, type Language } from '../engine/languages.js';
import { maskMsisdn } from '../lib/mask.js';
import { hmacHex } from '../lib/secrets.js';
import type { Logger } from '../observability/logger.js';
import type { PreferenceStore } from '../sessions/port.js';
import type { SmsOutbox } from '../sms/outbox.js';
import { DEFAULT_PII_HASH_KEY } from '../services/holder-proof.js';
import { parseSurveyAnswer } from './answer.js';
import { SURVEY_TIMING, type SurveyStore, type SurveyTiming } from './port.js';
import { renderSurveySms } from './templates.js';

export interface SurveyServiceDeps {
  store: SurveyStore;
  outbox: SmsOutbox;
  preferences: PreferenceStore;
  logger: Logger;
  /** Keys the hash that names a number's pending survey (`PII_HASH_KEY`, the same on every instance). */
  piiHashKey?: string;
  timing?: SurveyTiming;
  now?: () => number;
}

export interface SurveyOffer {
  /** E.164, already normalised. */
  to: string;
  agency: string;
  service: string;
  /** `-` when not known. */
  ccsp: string;
  /** Default: the citizen's own choice, else French. */
  language?: Language;
  /** Unique to this offer: the same key again is a replay (same answer, one SMS). */
  offerKey: string;
}

export type SurveyOfferResult = { status: 'sent'; replay: boolean; messageId: string } | { status: 'not_sent'; reason: 'recently_surveyed' | 'opted_out' };

export interface SurveyReply {
  /** E.164. */
  from: string;
  text: string;
  /** The route the SMS came in on and the short code it was sent to: the reply goes back the same way. */
  route: string;
  to?: string;
  /** The idempotency key of the reply to this inbound message (one reply however often it is redelivered). */
  replyKey: string;
}

export interface SurveyService {
  offer(offer: SurveyOffer): Promise<SurveyOfferResult>;
  /**
   * Takes an inbound SMS as the answer to the citizen's pending survey; `false` when it is not one
   * (no survey pending, or not shaped like a rating), so the keyword commands answer it instead.
   */
  answerSms(reply: SurveyReply): Promise<boolean>;
}

/** `YYYY-MM` in Benin (UTC+1 all year). */
export function surveyMonth(atMs: number): string {
  return new Date(atMs + 3600_000).toISOString().slice(0, 7);
}

export function createSurveyService(deps: SurveyServiceDeps): SurveyService {
  const timing = deps.timing ?? SURVEY_TIMING;
  const now = deps.now ?? Date.now;
  const hashKey = deps.piiHashKey ?? DEFAULT_PII_HASH_KEY;
  // The number never names a key: a keyed hash does, distinct from the other counters' hashes.
  const numberKey = (e164: string) => hmacHex(hashKey, `survey:${e164}`);

  return {
    async offer(offer) {
      if (await deps.preferences.isOptedOut(offer.to)) return { status: 'not_sent', reason: 'opted_out' };
      const stored = await deps.preferences.getLanguage(offer.to);
      const language: Language = offer.language ?? (isLanguage(stored) ? stored : 'fr');
      const pending = { agency: offer.agency, service: offer.service, ccsp: offer.ccsp, month: surveyMonth(now()), language };
      const outcome = await deps.store.offer(await numberKey(offer.to), offer.offerKey, pending, timing);
      if (outcome.outcome === 'recent') return { status: 'not_sent', reason: 'recently_surveyed' };
      // A replay queues again under the same key: nothing new is sent, and an offer recorded just
      // before a crash gets its SMS when the agency retries.
      const { messageId } = await deps.outbox.enqueue({ to: offer.to, text: renderSurveySms('survey_question', language), idempotencyKey: `survey:${offer.offerKey}`, purpose: 'survey' });
      deps.logger.info({ to: maskMsisdn(offer.to), agency: offer.agency, service: offer.service, replay: outcome.replay }, 'survey sent');
      return { status: 'sent', replay: outcome.replay, messageId };
    },

    async answerSms(reply) {
      const parsed = parseSurveyAnswer(reply.text);
      if (!parsed) return false;
      const key = await numberKey(reply.from);
      const answerBack = (text: string) =>
        deps.outbox.enqueue({ to: reply.from, text, idempotencyKey: reply.replyKey, purpose: 'reply', viaRoute: reply.route, ...(reply.to ? { from: reply.to } : {}) });
      if (parsed.kind === 'out_of_range') {
        // Not counted; the survey keeps waiting for a real rating.
        const pending = await deps.store.peek(key);
        if (!pending) return false;
        await answerBack(renderSurveySms('survey_retry', pending.language));
        deps.logger.info({ from: maskMsisdn(reply.from), agency: pending.agency }, 'survey answer out of range: asked again');
        return true;
      }
      const pending = await deps.store.take(key);
      if (!pending) return false;
      await deps.store.record({ agency: pending.agency, service: pending.service, ccsp: pending.ccsp, month: pending.month, rating: parsed.rating, ...(parsed.word ? { word: parsed.word } : {}) });
      await answerBack(renderSurveySms('survey_thanks', pending.language));
      deps.logger.info({ agency: pending.agency, service: pending.service }, 'survey answered');
      return true;
    },
  };
}
