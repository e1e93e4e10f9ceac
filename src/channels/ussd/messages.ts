import type { Language, Translations } from '../../engine/languages.js';
import type { EndReason } from './port.js';

/** What the channel itself tells a citizen when it cannot run a menu. */
export type ChannelMessage = EndReason | 'unknownServiceCode' | 'sessionExpired' | 'menuUpdated' | 'busy' | 'unavailable' | 'tooManyHops';

/** Fon and Yoruba: drafts for native speakers to review; a missing message falls back to French. */
export const CHANNEL_MESSAGES: Translations<Partial<Record<ChannelMessage, string>>> & { fr: Record<ChannelMessage, string> } = {
  fr: {
    inputTooLong: 'Saisie trop longue. Merci de recomposer le code.',
    notBeninNumber: 'Ce service est réservé aux numéros du Bénin.',
    unknownServiceCode: "Ce code n'est pas reconnu. Vérifiez le numéro composé.",
    sessionExpired: 'Votre session a expiré. Merci de recomposer le code.',
    menuUpdated: 'Le service vient d\'être mis à jour. Merci de recomposer le code.',
    busy: 'Service très sollicité. Merci de réessayer dans un instant.',
    unavailable: 'Service momentanément indisponible. Merci de réessayer plus tard.',
    tooManyHops: 'Trop de tentatives. Merci de réessayer dans une minute.',
  },
  en: {
    inputTooLong: 'Entry too long. Please dial the code again.',
    notBeninNumber: 'This service is for Benin phone numbers only.',
    unknownServiceCode: 'This code is not recognised. Please check the number you dialled.',
    sessionExpired: 'Your session has expired. Please dial the code again.',
    menuUpdated: 'The service has just been updated. Please dial the code again.',
    busy: 'The service is busy. Please try again in a moment.',
    unavailable: 'Service temporarily unavailable. Please try again later.',
    tooManyHops: 'Too many attempts. Please try again in a minute.',
  },
  fon: {
    sessionExpired: 'Hwenu towe ko vɔ. Vɔ́ kɔ́dù ɔ́ zìn.',
    unavailable: 'Azɔ̌ ɔ ma ɖò gbɛ̀ dìn ǎ. Vɔ́ tɛ́n kpɔ́n ɖò godo.',
    busy: 'Mɛ gègě ɖò azɔ̌ ɔ jí. Vɔ́ tɛ́n kpɔ́n kpɛɖé godo.',
  },
  yor: {
    sessionExpired: 'Àkókò rẹ ti parí. Jọ̀wọ́ tẹ kóòdù náà lẹ́ẹ̀kan sí i.',
    unavailable: 'Iṣẹ́ kò sí fún ìgbà díẹ̀. Jọ̀wọ́ gbìyànjú lẹ́yìn náà.',
    busy: 'Ọ̀pọ̀ ènìyàn ló ń lò ó. Jọ̀wọ́ gbìyànjú láìpẹ́.',
  },
};

/** A channel message in a language, French where that language has none. */
export function channelMessage(message: ChannelMessage, language: Language): string {
  return CHANNEL_MESSAGES[language]?.[message] ?? CHANNEL_MESSAGES.fr[message];
}

/**
 * The screen a redial gets when its previous session on the code was cut (`resume.ts`): 1 restores
 * where the citizen was, 2 starts again. Every language the menus have.
 */
export const RESUME_OFFER: Record<Language, string> = {
  fr: "Votre session a été coupée.\n1.Reprendre où j'en étais\n2.Recommencer",
  en: 'Your session was cut off.\n1.Resume where I left off\n2.Start again',
  fon: 'Hwenu towe ɖo ta.\n1.Bɛ́ ɖò fí e a ɖè\n2.Bɛ́ sín bɛ̌mɛ',
  yor: 'Ìpè rẹ já.\n1.Tẹ̀síwájú níbi tí o dé\n2.Bẹ̀rẹ̀ lẹ́ẹ̀kan sí i',
};

/** What the citizen types on that screen. */
export const RESUME_CHOICE = { resume: '1', restart: '2' } as const;
