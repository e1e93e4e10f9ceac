import type { Language } from '../../engine/schema.js';
import type { EndReason } from './port.js';

/** What the channel itself tells a citizen when it cannot run a menu. */
export type ChannelMessage = EndReason | 'unknownServiceCode' | 'sessionExpired' | 'menuUpdated' | 'busy' | 'unavailable' | 'tooManyHops';

export const CHANNEL_MESSAGES: Record<Language, Record<ChannelMessage, string>> = {
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
};

/**
 * The screen a redial gets when its previous session on the code was cut (`resume.ts`): 1 restores
 * where the citizen was, 2 starts again. Every language the menus have.
 */
export const RESUME_OFFER: Record<Language, string> = {
  fr: "Votre session a été coupée.\n1.Reprendre où j'en étais\n2.Recommencer",
  en: 'Your session was cut off.\n1.Resume where I left off\n2.Start again',
};

/** What the citizen types on that screen. */
export const RESUME_CHOICE = { resume: '1', restart: '2' } as const;
