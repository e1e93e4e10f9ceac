import { spellScreen } from '../engine/engine.js';
import { translated, type Language, type Translations } from '../engine/languages.js';
import { fitsScreen } from '../lib/gsm7.js';
import { smsSpelling } from '../sms/templates.js';

/**
 * What the survey says by SMS. Apart from `SMS_TEMPLATES` (what agencies may send through the
 * notification API): only a pending survey makes a reply a rating, so only the survey asks.
 * GSM-7 (é, à, è are in it), one segment each. The Fon and Yoruba texts are DRAFTS (README
 * "National languages"), sent in the language's GSM-7 spelling when past one UCS-2 segment.
 */
export const SURVEY_SMS_TEMPLATES = {
  survey_question: {
    fr: 'Service Public: votre avis compte. Répondez 1 (mauvais) à 5 (très bien) à ce SMS, avec un mot si vous voulez. STOP pour ne plus recevoir.',
    en: 'Public Service: your opinion counts. Reply 1 (poor) to 5 (very good) to this SMS, with a word if you like. STOP to receive no more.',
    fon: 'Azɔ̌ Gbɛtɔ́: linlin towe ɖó taji. Gblɔ́n SMS elɔ kpo 1 (nyanya) jɛ 5 (ɖagbe tawun), kpo xó ɖokpo kpo nú a jló. STOP bo ma mɔ ǎ.',
    yor: 'Iṣẹ́ Ìjọba: èrò rẹ ṣe pàtàkì. Fèsì 1 (burú) sí 5 (dára gan) sí SMS yìí, pẹ̀lú ọ̀rọ̀ kan bí o bá fẹ́. STOP láti dá a dúró.',
  },
  // No rating in the thanks: the message store keeps what it sends with the number, and a
  // rating must never sit beside a number.
  survey_thanks: {
    fr: 'Service Public: merci pour votre réponse, elle nous aide à mieux vous servir.',
    en: 'Public Service: thank you for your answer, it helps us serve you better.',
    fon: 'Azɔ̌ Gbɛtɔ́: awanu nú gblɔ́ndo towe, é na d\'alɔ mǐ bo mǐ na wà azɔ̌ ɖagbe nú we.',
    yor: 'Iṣẹ́ Ìjọba: ẹ ṣé fún ìdáhùn rẹ, ó ń ràn wá lọ́wọ́ láti sìn ọ́ dáadáa.',
  },
  survey_retry: {
    fr: 'Service Public: répondez par un chiffre de 1 (mauvais) à 5 (très bien).',
    en: 'Public Service: please reply with a number from 1 (poor) to 5 (very good).',
    fon: 'Azɔ̌ Gbɛtɔ́: gblɔ́n kpo xàsinsɛ́n ɖokpo sín 1 (nyanya) jɛ 5 (ɖagbe tawun).',
    yor: 'Iṣẹ́ Ìjọba: jọ̀wọ́ fèsì pẹ̀lú nọ́mbà kan láti 1 (burú) sí 5 (dára gan).',
  },
} as const satisfies Record<string, Translations<string>>;

export type SurveyTemplateName = keyof typeof SURVEY_SMS_TEMPLATES;

export function renderSurveySms(template: SurveyTemplateName, language: Language, params: Readonly<Record<string, string | number>> = {}): string {
  return smsSpelling(language, translated<string>(SURVEY_SMS_TEMPLATES[template], language).replace(/\{\{(\w+)\}\}/g, (_m, name: string) => String(params[name] ?? '')));
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
    fon: 'Linlin towe: 1 (nyanya) jɛ 5 (ɖagbe)\n0.Jó',
    yor: 'Èrò rẹ: 1 (burú) sí 5 (dára gan)\n0.Fò ó',
  },
  word: {
    fr: 'Merci! Un mot pour dire pourquoi? (ex. rapide, lent)\n0.Terminer',
    en: 'Thank you! One word to say why? (e.g. fast, slow)\n0.Finish',
    fon: 'Awanu! Xó ɖokpo bo ɖɔ nǔ e wu? (ex. bléblé, dɛ̌nmɛ̌)\n0.Vɔ̌',
    yor: 'Ẹ ṣé! Ọ̀rọ̀ kan láti sọ ìdí? (àp. kíákíá, lọ́ra)\n0.Parí',
  },
  thanks: {
    fr: 'Merci pour votre avis, il nous aide à mieux vous servir.',
    en: 'Thank you for your opinion, it helps us serve you better.',
    fon: 'Awanu nú linlin towe, é na d\'alɔ mǐ bo mǐ na wà azɔ̌ ɖagbe nú we.',
    yor: 'Ẹ ṣé fún èrò rẹ, ó ń ràn wá lọ́wọ́ láti sìn ọ́ dáadáa.',
  },
  skipped: {
    fr: 'Merci et à bientôt.',
    en: 'Thank you, goodbye.',
    fon: 'Awanu, mǐ na mɔ mǐ.',
    yor: 'Ẹ ṣé, ó dìgbà.',
  },
} as const satisfies Record<string, Translations<string>>;

/** A USSD survey text in the citizen's language (French for a language without one, per string). */
export function surveyUssdText(key: keyof typeof SURVEY_USSD_TEXT, language: Language): string {
  return translated<string>(SURVEY_USSD_TEXT[key], language);
}

/**
 * The service's last screen with the survey question under it, or null when the two cannot share
 * one screen (then the survey is not asked). Shared by the hop handler and `menus lint`, so the
 * linter warns exactly when the gateway would not ask. Fon and Yoruba: the whole screen in the
 * language's GSM-7 spelling when only that fits, as the engine does for a screen of its own.
 */
export function surveyQuestionScreen(lastScreen: string, language: Language, limit: number): string | null {
  const screen = `${lastScreen}\n${surveyUssdText('question', language)}`;
  if (fitsScreen(screen, limit)) return screen;
  const spelled = spellScreen(language, screen);
  return fitsScreen(spelled, limit) ? spelled : null;
}
