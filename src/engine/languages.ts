/**
 * The languages Guichet speaks, and what each needs besides its texts. Codes are ISO 639-3
 * (`fon`, `yor`) for the national languages: Fon has no ISO 639-1 code, and one scheme for both
 * keeps the codes in the menus, the SMS `LANGUE` keyword and the preference store alike. French and
 * English keep their ISO 639-1 codes (`fr`, `en`), as they had before national languages came.
 *
 * Pure (no I/O): imported by the engine, the linter, the SMS templates and the Worker.
 */

import { NATIONAL_LETTER_SPELLINGS } from '../lib/gsm7.js';

export const LANGUAGES = ['fr', 'en', 'fon', 'yor'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Per string, whether a translation was checked by a native speaker. */
export const REVIEW_STATES = ['draft', 'reviewed'] as const;
export type ReviewState = (typeof REVIEW_STATES)[number];

export interface LanguageInfo {
  /** Its own name, as the language screen and the SMS confirmation show it. */
  name: string;
  /** Words after `LANGUE` / `LANGUAGE` that choose it by SMS (compared upper-case, accents removed). */
  smsKeywords: readonly string[];
  /**
   * Every menu must carry this language's texts (lint error when one is missing). Off for the
   * national languages: a missing translation falls back to French per string (lint warning).
   */
  required: boolean;
  /**
   * Its GSM-7 spelling, for a screen that would not fit in UCS-2's budget: letters outside GSM-7
   * mapped to the nearest basic letter, and tone marks dropped. Absent: only the generic French
   * spellings (ê→e, ç→c…) apply.
   */
  gsm7?: { letters: Readonly<Record<string, string>>; dropToneMarks: boolean };
}

/**
 * Fon (Fɔngbè) and Yoruba (Èdè Yorùbá) letters with no GSM-7 counterpart. Their usual
 * "keyboard" spellings: ɛ→e, ɔ→o, ɖ→d (Fon); ẹ→e, ọ→o, ṣ→s (Yoruba, the dot below dropped —
 * handled by dropping combining marks after decomposition), ŋ→n (Fon loanwords).
 */
const OPEN_VOWELS = NATIONAL_LETTER_SPELLINGS;

export const LANGUAGE_INFO: Readonly<Record<Language, LanguageInfo>> = {
  fr: { name: 'Français', smsKeywords: ['FR', 'FRANCAIS', 'FRENCH'], required: true },
  en: { name: 'English', smsKeywords: ['EN', 'ENGLISH', 'ANGLAIS'], required: true },
  fon: { name: 'Fɔngbè', smsKeywords: ['FON', 'FONGBE'], required: false, gsm7: { letters: OPEN_VOWELS, dropToneMarks: true } },
  yor: { name: 'Yorùbá', smsKeywords: ['YOR', 'YORUBA', 'YO'], required: false, gsm7: { letters: OPEN_VOWELS, dropToneMarks: true } },
};

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/** The language an SMS `LANGUE <word>` asks for, if any (`FON`, `Fɔngbè`, `yoruba`, `EN`…). */
export function languageFromKeyword(word: string): Language | undefined {
  const folded = foldKeyword(word);
  return LANGUAGES.find((language) => LANGUAGE_INFO[language].smsKeywords.includes(folded));
}

/** Upper-case, accents and tone marks removed, Fon letters spelled in Latin: what keywords are compared on. */
export function foldKeyword(word: string): string {
  let out = '';
  for (const char of word.normalize('NFD').replace(/[\u0300-\u036f]/g, '')) out += OPEN_VOWELS[char] ?? char;
  return out.toUpperCase();
}

/**
 * A text in the language's GSM-7 spelling (`Ɖò wè` → `Do we`), or the text unchanged when the
 * language declares none. Characters the spelling cannot map are left as they are, so the
 * linter can still name them.
 */
export function gsm7SpellingOf(language: Language, text: string): string {
  const spelling = LANGUAGE_INFO[language].gsm7;
  if (!spelling) return text;
  let out = '';
  const decomposed = spelling.dropToneMarks ? text.normalize('NFD').replace(/[\u0300-\u036f]/g, '') : text;
  for (const char of decomposed) out += spelling.letters[char] ?? char;
  // Recompose what is left (nothing when every mark was dropped; kept for a spelling that keeps some).
  return out.normalize('NFC');
}

/** Texts per language where French is required and every other language may be missing. */
export type Translations<T> = { fr: T } & Partial<Record<Language, T>>;

/** The text in that language, else the French one: the per-string fallback. */
export function translated<T>(texts: Translations<T>, language: Language): T {
  return texts[language] ?? texts.fr;
}
