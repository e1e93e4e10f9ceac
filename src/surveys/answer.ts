import type { SurveyRating } from './port.js';

/**
 * What a citizen's SMS says as a survey answer: a rating 1–5, maybe after a keyword (`note 3`,
 * `avis 4`, `rating 5`) and maybe followed by a word (`5 merci`, `note 3 lent`). `out_of_range`:
 * shaped like a rating but not one (`7`, `0`, `10`); `null`: not shaped like an answer at all
 * (`STATUT …`, `STOP`, a request number), left to the keyword commands.
 */
export type ParsedAnswer = { kind: 'rating'; rating: SurveyRating; word?: string } | { kind: 'out_of_range' } | null;

/** Longer than this is a message, not an answer: nobody writes a paragraph after a rating. */
const MAX_ANSWER_LENGTH = 80;
/** The word kept with a rating: letters only (never digits: no number or NPI can be kept), at most 20 of them. */
const WORD = /^[a-z]{2,20}$/;

export function parseSurveyAnswer(text: string): ParsedAnswer {
  if (text.length > MAX_ANSWER_LENGTH) return null;
  const plain = plainText(text);
  const match = /^(?:(?:note|avis|rating|score)\s*:?\s*)?(\d{1,3})(?:\s*\/\s*5)?(?:[\s,.;:!-]+(.*))?$/.exec(plain);
  if (!match) return null;
  const rating = Number(match[1]);
  if (rating < 1 || rating > 5) return { kind: 'out_of_range' };
  const word = match[2] === undefined ? undefined : firstWord(match[2]);
  return { kind: 'rating', rating: rating as SurveyRating, ...(word ? { word } : {}) };
}

/**
 * The word typed on the USSD survey's second screen, kept as the SMS one is (`lent`, `Très
 * rapide` → `tres`); null when it holds none (digits only, one letter, a paragraph).
 */
export function parseSurveyWord(text: string): string | null {
  if (text.length > MAX_ANSWER_LENGTH) return null;
  return firstWord(plainText(text)) ?? null;
}

/** Lower case, accents dropped (`é` → `e`), trimmed. */
function plainText(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').trim().toLowerCase();
}

function firstWord(plain: string): string | undefined {
  return plain.split(/[^a-z]+/).find((w) => WORD.test(w));
}
