import type { Language } from '../engine/schema.js';

/**
 * The satisfaction survey's storage: the one survey waiting for a citizen's answer, the week's
 * marker that keeps a number from being asked twice, and the anonymous tallies. A pending survey
 * and its marker are keyed by a keyed hash of the number (`PII_HASH_KEY`), never the number; a
 * tally knows the service, agency, CCSP and month, never who answered.
 */
/** How the question went out, so how it may be answered: an SMS reply, or the next input of the same USSD session. */
export type SurveyChannel = 'sms' | 'ussd';
export const SURVEY_CHANNELS: readonly SurveyChannel[] = ['sms', 'ussd'];

export interface PendingSurvey {
  /** A USSD question waits only for its own session: an SMS `4` days later is no answer to it. */
  channel: SurveyChannel;
  agency: string;
  service: string;
  /** The CCSP (citizens' service centre) where the request was collected; `-` when the agency did not say. */
  ccsp: string;
  /** `YYYY-MM`, Benin time, when the survey was sent: the month its answer is counted in. */
  month: string;
  /** The language the question went out in: the thanks follow it. */
  language: Language;
}

/** What the citizen answered: counted under the pending survey's service, agency, CCSP and month. */
export interface SurveyReplyContent {
  /** 1 to 5. */
  rating: SurveyRating;
  /** One word the citizen added, lower case, letters only; absent when none was given. */
  word?: string;
}

export type SurveyRating = 1 | 2 | 3 | 4 | 5;
export const SURVEY_RATINGS: readonly SurveyRating[] = [1, 2, 3, 4, 5];

/** One line of results: the answers about one service of one agency at one CCSP in one month. */
export interface SurveyResultRow {
  month: string;
  agency: string;
  service: string;
  ccsp: string;
  /** Answers per rating, `"1"` to `"5"`. */
  ratings: Record<`${SurveyRating}`, number>;
  answers: number;
  /** Mean rating, two decimals; null with no answer. */
  mean: number | null;
  /** Words given with the ratings, with how many times each. */
  words: Record<string, number>;
}

export interface SurveyTiming {
  /** How long a survey waits for its answer before it is forgotten. At most `quietMs`: the week's marker says where the answer is counted. */
  pendingTtlMs: number;
  /** How long after one survey a number is not asked again. */
  quietMs: number;
}

/** A week between two surveys of one number; three days to answer (an SMS can wait on a switched-off phone). */
export const SURVEY_TIMING: SurveyTiming = { pendingTtlMs: 3 * 24 * 3600_000, quietMs: 7 * 24 * 3600_000 };

/**
 * A question asked on a USSD screen waits no longer than a USSD dialogue lasts (networks close
 * theirs within 3 minutes; 10 is far beyond, as `MAX_DIALOGUE_SECONDS`): a dropped session loses
 * its survey, and the week still counts.
 */
export const USSD_SURVEY_TIMING: SurveyTiming = { pendingTtlMs: 10 * 60_000, quietMs: SURVEY_TIMING.quietMs };

/** Throws when a timing would let a survey wait longer than its week's marker lives. */
export function checkTiming(timing: SurveyTiming): void {
  if (!(timing.pendingTtlMs > 0 && timing.pendingTtlMs <= timing.quietMs)) throw new Error('survey timing: pendingTtlMs must be > 0 and at most quietMs');
}

/**
 * `offered`: the survey waits for its answer (and `replay`: this very offer, by its key, was made
 * before); `recent`: this number had a survey within the quiet period, nothing was changed.
 */
export type OfferOutcome = { outcome: 'offered'; replay: boolean } | { outcome: 'recent' };

export interface SurveyStore {
  /**
   * When the number (by its hash) had no survey within `timing.quietMs`, records the marker
   * (holding `offerKey`) and the pending survey; the same `offerKey` again answers `offered` with
   * `replay` and changes nothing (a survey already answered is not asked again); any other offer
   * within the period is `recent`, whichever channel asked.
   */
  offer(numberKey: string, offerKey: string, pending: PendingSurvey, timing: SurveyTiming): Promise<OfferOutcome>;
  /** The pending survey of that channel, left in place. */
  peek(numberKey: string, channel: SurveyChannel): Promise<PendingSurvey | null>;
  /**
   * The one atomic step of an answer: takes the number's pending survey of that channel and counts
   * `reply` under it (rating, word), all or nothing. Of concurrent answers exactly one is counted;
   * an answer is never taken without being counted (a failure leaves the survey pending). Null:
   * no such survey waits (none, expired, answered, other channel).
   *
   * `wordWindowMs`: the answer may still get its word within that time (`addWord`), once.
   */
  answer(numberKey: string, channel: SurveyChannel, reply: SurveyReplyContent, options?: { wordWindowMs?: number }): Promise<PendingSurvey | null>;
  /**
   * Counts `word` with the answer just given with `wordWindowMs` (`answered`: what `answer`
   * returned), at most once; false when no answer waits for its word.
   */
  addWord(numberKey: string, answered: PendingSurvey, word: string): Promise<boolean>;
  /** Every row of a month, sorted by agency, service, CCSP. */
  results(month: string): Promise<SurveyResultRow[]>;
}

/** Service, agency and CCSP ids as stored: short, no separator characters (`:`, `|`, `{`). */
export const SURVEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
export const MONTH_PATTERN = /^\d{4}-(0[1-9]|1[0-2])$/;

/** The row for a month's counters, from `rating` → count and `word` → count. */
export function resultRow(month: string, agency: string, service: string, ccsp: string, ratingCounts: ReadonlyMap<number, number>, words: Record<string, number>): SurveyResultRow {
  const ratings = { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 } as SurveyResultRow['ratings'];
  let answers = 0;
  let sum = 0;
  for (const rating of SURVEY_RATINGS) {
    const count = ratingCounts.get(rating) ?? 0;
    ratings[`${rating}`] = count;
    answers += count;
    sum += rating * count;
  }
  return { month, agency, service, ccsp, ratings, answers, mean: answers ? Math.round((sum / answers) * 100) / 100 : null, words };
}

export function compareRows(a: SurveyResultRow, b: SurveyResultRow): number {
  return a.agency.localeCompare(b.agency) || a.service.localeCompare(b.service) || a.ccsp.localeCompare(b.ccsp);
}
