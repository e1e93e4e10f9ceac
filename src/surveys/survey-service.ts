import { isLanguage, type Language } from '../engine/languages.js';
import { maskMsisdn } from '../lib/mask.js';
import { hmacHex } from '../lib/secrets.js';
import type { Logger } from '../observability/logger.js';
import type { PreferenceStore } from '../sessions/port.js';
import type { SmsOutbox } from '../sms/outbox.js';
import { DEFAULT_PII_HASH_KEY } from '../services/holder-proof.js';
import { parseSurveyAnswer } from './answer.js';
import { SURVEY_TIMING, USSD_SURVEY_TIMING, checkTiming, type PendingSurvey, type SurveyRating, type SurveyStore, type SurveyTiming } from './port.js';
import { renderSurveySms } from './templates.js';

export interface SurveyServiceDeps {
  store: SurveyStore;
  outbox: SmsOutbox;
  preferences: PreferenceStore;
  logger: Logger;
  /** Keys the hash that names a number's pending survey (`PII_HASH_KEY`, the same on every instance). */
  piiHashKey?: string;
  /** The SMS survey's timing (default `SURVEY_TIMING`). */
  timing?: SurveyTiming;
  /** The USSD question's (default `USSD_SURVEY_TIMING`: it waits as long as a dialogue lasts). */
  ussdTiming?: SurveyTiming;
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

/** The short USSD question (`survey: ussd`), asked on the session's last screen. */
export interface UssdSurveyAsk {
  /** E.164: the session's caller. */
  msisdn: string;
  agency: string;
  service: string;
  ccsp: string;
  language: Language;
  /** Unique to the session: the same key again (a hop retried) asks the same question. */
  offerKey: string;
}

export interface SurveyService {
  offer(offer: SurveyOffer): Promise<SurveyOfferResult>;
  /**
   * Takes an inbound SMS as the answer to the citizen's pending survey; `false` when it is not one
   * (no survey pending, or not shaped like a rating), so the keyword commands answer it instead.
   */
  answerSms(reply: SurveyReply): Promise<boolean>;
  /**
   * Whether the USSD question may be shown now: `asked` records it (the week's marker, shared with
   * the SMS survey, and the question waiting for this session's next input).
   */
  askUssd(ask: UssdSurveyAsk): Promise<'asked' | 'recently_surveyed' | 'opted_out'>;
  /**
   * Counts a rating typed on the question's screen (one atomic step with taking the question); the
   * answer may then get its word (`addUssdWord`). Null: no question waits (expired, already answered).
   */
  answerUssd(msisdn: string, rating: SurveyRating): Promise<PendingSurvey | null>;
  /** Counts the word typed after the rating, once. */
  addUssdWord(msisdn: string, answered: PendingSurvey, word: string): Promise<boolean>;
}

/** How long after the rating its word may come: the word screen is the very next hop. */
const USSD_WORD_WINDOW_MS = USSD_SURVEY_TIMING.pendingTtlMs;

/** `YYYY-MM` in Benin (UTC+1 all year). */
export function surveyMonth(atMs: number): string {
  return new Date(atMs + 3600_000).toISOString().slice(0, 7);
}

export function createSurveyService(deps: SurveyServiceDeps): SurveyService {
  const timing = deps.timing ?? SURVEY_TIMING;
  const ussdTiming = deps.ussdTiming ?? USSD_SURVEY_TIMING;
  checkTiming(timing);
  checkTiming(ussdTiming);
  const now = deps.now ?? Date.now;
  const hashKey = deps.piiHashKey ?? DEFAULT_PII_HASH_KEY;
  // The number never names a key: a keyed hash does, distinct from the other counters' hashes.
  const numberKey = (e164: string) => hmacHex(hashKey, `survey:${e164}`);

  return {
    async offer(offer) {
      if (await deps.preferences.isOptedOut(offer.to)) return { status: 'not_sent', reason: 'opted_out' };
      const stored = await deps.preferences.getLanguage(offer.to);
      const language: Language = offer.language ?? (isLanguage(stored) ? stored : 'fr');
      const pending: PendingSurvey = { channel: 'sms', agency: offer.agency, service: offer.service, ccsp: offer.ccsp, month: surveyMonth(now()), language };
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
        const pending = await deps.store.peek(key, 'sms');
        if (!pending) return false;
        await answerBack(renderSurveySms('survey_retry', pending.language));
        deps.logger.info({ from: maskMsisdn(reply.from), agency: pending.agency }, 'survey answer out of range: asked again');
        return true;
      }
      // Taken and counted in one step: a failure leaves the survey waiting for the redelivery.
      const pending = await deps.store.answer(key, 'sms', { rating: parsed.rating, ...(parsed.word ? { word: parsed.word } : {}) });
      if (!pending) return false;
      await answerBack(renderSurveySms('survey_thanks', pending.language));
      deps.logger.info({ agency: pending.agency, service: pending.service }, 'survey answered');
      return true;
    },

    async askUssd(ask) {
      // STOP is about messages, but a citizen who asked to be left alone is not asked on screens either.
      if (await deps.preferences.isOptedOut(ask.msisdn)) return 'opted_out';
      const pending: PendingSurvey = { channel: 'ussd', agency: ask.agency, service: ask.service, ccsp: ask.ccsp, month: surveyMonth(now()), language: ask.language };
      const outcome = await deps.store.offer(await numberKey(ask.msisdn), ask.offerKey, pending, ussdTiming);
      return outcome.outcome === 'offered' ? 'asked' : 'recently_surveyed';
    },

    async answerUssd(msisdn, rating) {
      const answered = await deps.store.answer(await numberKey(msisdn), 'ussd', { rating }, { wordWindowMs: USSD_WORD_WINDOW_MS });
      if (answered) deps.logger.info({ agency: answered.agency, service: answered.service }, 'survey answered on USSD');
      return answered;
    },

    async addUssdWord(msisdn, answered, word) {
      return deps.store.addWord(await numberKey(msisdn), answered, word);
    },
  };
}
