import { translated, type Language, type Translations } from './languages.js';

/** The engine's own words, around the agency's texts: navigation and errors. */
export interface UiText {
  back: string;
  home: string;
  more: string;
  invalidChoice: string;
  invalidInput: string;
  serviceError: string;
}

/**
 * Per language, the words it has; a missing one falls back to French word by word (`uiText`).
 * Fon and Yoruba: drafts, to be reviewed by native speakers (README "National languages").
 */
export const UI_TEXT: Translations<Partial<UiText>> & { fr: UiText } = {
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
  fon: {
    back: '0.Lɛkɔ',
    home: '00.Xwé',
    more: '98.Ɖevo',
    invalidChoice: 'Nǔ e a sɔ́ ɔ́ ma sɔgbe ǎ.',
    invalidInput: 'Nǔ e a wlan ɔ́ ma sɔgbe ǎ.',
    serviceError: 'Azɔ̌ ɔ ma ɖò gbɛ̀ dìn ǎ. Vɔ́ tɛ́n kpɔ́n ɖò godo.',
  },
  yor: {
    back: '0.Padà',
    home: '00.Ilé',
    more: '98.Síwájú',
    invalidChoice: 'Àṣàyàn kò tọ́.',
    invalidInput: 'Ohun tí o tẹ̀ kò tọ́.',
    serviceError: 'Iṣẹ́ kò sí fún ìgbà díẹ̀. Jọ̀wọ́ gbìyànjú lẹ́yìn náà.',
  },
};

/** The engine's words in a language, each one falling back to French where it has none. */
export function uiText(language: Language): UiText {
  let words = merged.get(language);
  if (!words) merged.set(language, (words = { ...UI_TEXT.fr, ...UI_TEXT[language] }));
  return words;
}
/** Merged once per language: asked on every hop. */
const merged = new Map<Language, UiText>();

/** Languages whose engine words are drafts (README "National languages"): shown so in the simulator. */
export const DRAFT_UI_LANGUAGES: readonly Language[] = ['fon', 'yor'];
