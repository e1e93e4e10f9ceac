import type { Language } from './schema.js';

/** The engine's own words, around the agency's texts: navigation and errors. */
export interface UiText {
  back: string;
  home: string;
  more: string;
  invalidChoice: string;
  invalidInput: string;
  serviceError: string;
}

export const UI_TEXT: Record<Language, UiText> = {
  fr: {
    back: '0.Retour',
    home: '00.Accueil',
    more: '98.Suite',
    invalidChoice: 'Choix invalide.',
    invalidInput: 'Saisie invalide.',
    serviceError: 'Service momentanément indisponible. Merci de réessayer plus tard.',
  },
  en: {
    back: '0.Back',
    home: '00.Home',
    more: '98.More',
    invalidChoice: 'Invalid choice.',
    invalidInput: 'Invalid entry.',
    serviceError: 'Service temporarily unavailable. Please try again later.',
  },
};
