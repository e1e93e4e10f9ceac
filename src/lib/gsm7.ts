/**
 * GSM 03.38 character accounting. A USSD screen and an SMS segment are sized in GSM-7 septets;
 * one character outside the basic set (plus its extension table) switches the whole text to
 * UCS-2, where the same payload holds fewer characters.
 *
 * @see https://en.wikipedia.org/wiki/GSM_03.38
 */

/** The GSM-7 basic character set, in table order (the ESC slot 0x1B is left out). */
const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** Characters reached through the escape to the extension table: two septets each. */
const GSM7_EXTENSION = '\f^{}\\[~]|€';

const basicSet = new Set(GSM7_BASIC);
const extensionSet = new Set(GSM7_EXTENSION);

export type TextEncoding = 'GSM-7' | 'UCS-2';

export interface TextMeasure {
  encoding: TextEncoding;
  /** Septets for GSM-7, UTF-16 code units for UCS-2. */
  units: number;
  /** Characters that forced UCS-2, each once, in order of appearance. */
  nonGsmCharacters: string[];
}

export function isGsm7Char(char: string): boolean {
  return basicSet.has(char) || extensionSet.has(char);
}

export function measureText(text: string): TextMeasure {
  let septets = 0;
  const nonGsm: string[] = [];
  for (const char of text) {
    if (basicSet.has(char)) septets += 1;
    else if (extensionSet.has(char)) septets += 2;
    else if (!nonGsm.includes(char)) nonGsm.push(char);
  }
  if (nonGsm.length === 0) return { encoding: 'GSM-7', units: septets, nonGsmCharacters: [] };
  return { encoding: 'UCS-2', units: text.length, nonGsmCharacters: nonGsm };
}

/**
 * How many units a screen may hold in the given encoding. Limits are configured in GSM-7
 * characters (160 or 182 per provider); UCS-2 spends 16 bits where GSM-7 spends 7, so the
 * same payload holds 7/16 of the characters (160 → 70).
 */
export function unitLimit(gsm7Limit: number, encoding: TextEncoding): number {
  return encoding === 'GSM-7' ? gsm7Limit : Math.floor((gsm7Limit * 7) / 16);
}

/** True when the text fits a screen of `gsm7Limit` GSM-7 characters once encoded. */
export function fitsScreen(text: string, gsm7Limit: number): boolean {
  const measure = measureText(text);
  return measure.units <= unitLimit(gsm7Limit, measure.encoding);
}

/** Spellings that keep French text inside GSM-7 (é è à ù are in the basic set and stay). */
const GSM7_SPELLINGS: Record<string, string> = {
  ê: 'e', ë: 'e', â: 'a', î: 'i', ï: 'i', ô: 'o', û: 'u', ç: 'c', œ: 'oe',
  Ê: 'E', Ë: 'E', Â: 'A', Î: 'I', Ï: 'I', Ô: 'O', Û: 'U', È: 'E', À: 'A', Œ: 'OE',
  '’': "'", '‘': "'", '«': '"', '»': '"', '“': '"', '”': '"', '–': '-', '—': '-', '°': 'o',
  '\u00a0': ' ', '\u202f': ' ', '…': '...',
};

/** The GSM-7 spelling suggested for a character that forces UCS-2, if one is known. */
export function gsm7Spelling(char: string): string | undefined {
  return GSM7_SPELLINGS[char];
}

/** Rewrites what has a known GSM-7 spelling; characters without one are left as they are. */
export function transliterateToGsm7(text: string): string {
  let out = '';
  for (const char of text) out += isGsm7Char(char) ? char : (GSM7_SPELLINGS[char] ?? char);
  return out;
}

/**
 * Letters of Benin's national languages (Fon, Yoruba, …) with no GSM-7 counterpart, and their
 * usual keyboard spelling. The dots and tone marks (ẹ, ọ, ṣ, á, ɔ́) are combining marks once
 * decomposed, dropped by `spellEverythingInGsm7`.
 */
export const NATIONAL_LETTER_SPELLINGS: Readonly<Record<string, string>> = {
  ɛ: 'e', Ɛ: 'E', ɔ: 'o', Ɔ: 'O', ɖ: 'd', Ɖ: 'D', ŋ: 'n', Ŋ: 'N', ƒ: 'f', Ƒ: 'F', ʋ: 'v', Ʋ: 'V',
};

/**
 * For a route that cannot carry UCS-2 at all: the French spellings, then any letter with marks
 * GSM-7 lacks written without them (ɔ́→o, á→a, ẹ→e), and only what is still left becomes '?', as
 * the network would show it anyway.
 */
export function spellEverythingInGsm7(text: string): string {
  let out = '';
  for (const char of transliterateToGsm7(text)) {
    if (isGsm7Char(char)) {
      out += char;
      continue;
    }
    let bare = '';
    for (const part of char.normalize('NFD').replace(/[\u0300-\u036f]/g, '')) bare += NATIONAL_LETTER_SPELLINGS[part] ?? part;
    out += [...bare].every(isGsm7Char) ? bare : '?';
  }
  return out;
}
