import { translated, type Language, type Translations } from '../engine/languages.js';

/**
 * What the survey says by SMS. Apart from `SMS_TEMPLATES` (what agencies may send through the
 * notification API): only a pending survey makes a reply a rating, so only the survey asks.
 * GSM-7 (é, à, è are in it), one segment each.
 */
export const SURVEY_SMS_TEMPLATES = {
  survey_question: {
    fr: 'Service Public: votre avis compte. Répondez 1 (mauvais) à 5 (très bien) à ce SMS, avec un mot si vous voulez. STOP pour ne plus recevoir.',
    en: 'Public Service: your opinion counts. Reply 1 (poor) to 5 (very good) to this SMS, with a word if you like. STOP to receive no more.',
  },
  // No rating in the thanks: the message store keeps what it sends with the number, and a
  // rating must never sit beside a number.
  survey_thanks: {
    fr: 'Service Public: merci pour votre réponse, elle nous aide à mieux vous servir.',
    en: 'Public Service: thank you for your answer, it helps us serve you better.',
  },
  survey_retry: {
    fr: 'Service Public: répondez par un chiffre de 1 (mauvais) à 5 (très bien).',
    en: 'Public Service: please reply with a number from 1 (poor) to 5 (very good).',
  },
} as const satisfies Record<string, Translations<string>>;

export type SurveyTemplateName = keyof typeof SURVEY_SMS_TEMPLATES;

export function renderSurveySms(template: SurveyTemplateName, language: Language, params: Readonly<Record<string, string | number>> = {}): string {
  // No Fon or Yoruba survey texts yet: those numbers get the French one (the per-string fallback).
  return translated<string>(SURVEY_SMS_TEMPLATES[template], language).replace(/\{\{(\w+)\}\}/g, (_m, name: string) => String(params[name] ?? ''));
}

/**
 * What the survey says on USSD screens (`survey: ussd`): the question rides under the service's
 * last screen (that screen then waits for input instead of closing), the word screen follows a
 * rating, the thanks close the session. Short: the question shares one screen with the answer the
 * citizen came for.
 */
export const SURVEY_USSD_TEXT = {
  question: {
    fr: 'Votre avis: 1 (mauvais) à 5 (très bien)\n0.Passer',
    en: 'Your opinion: 1 (poor) to 5 (very good)\n0.Skip',
  },
  word: {
    fr: 'Merci! Un mot pour dire pourquoi? (ex. rapide, lent)\n0.Terminer',
    en: 'Thank you! One word to say why? (e.g. fast, slow)\n0.Finish',
  },
  thanks: {
    fr: 'Merci pour votre avis, il nous aide à mieux vous servir.',
    en: 'Thank you for your opinion, it helps us serve you better.',
  },
  skipped: {
    fr: 'Merci et à bientôt.',
    en: 'Thank you, goodbye.',
  },
} as const satisfies Record<string, Translations<string>>;

/** A USSD survey text in the citizen's language; no Fon or Yoruba text yet, so French (per string). */
export function surveyUssdText(key: keyof typeof SURVEY_USSD_TEXT, language: Language): string {
  return translated<string>(SURVEY_USSD_TEXT[key], language);
}
