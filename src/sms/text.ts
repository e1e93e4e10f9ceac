import { measureText, transliterateToGsm7, type TextEncoding } from '../lib/gsm7.js';

/** A message as it will travel: its final text, encoding and how many segments it costs. */
export interface PreparedSms {
  text: string;
  encoding: TextEncoding;
  /** Septets (GSM-7) or UTF-16 units (UCS-2). */
  units: number;
  segments: number;
}

/** Single-segment capacity, and per-segment capacity once a UDH header takes its 6 octets. */
const CAPACITY: Record<TextEncoding, { single: number; concatenated: number }> = {
  'GSM-7': { single: 160, concatenated: 153 },
  'UCS-2': { single: 70, concatenated: 67 },
};

/**
 * Measures a text and, where the agency allows it, rewrites it in its GSM-7 spelling first
 * (ê→e, ç→c, ’→'; é è à ù stay) so that a French notification costs one segment where it can.
 */
export function prepareSms(text: string, options: { transliterate: boolean }): PreparedSms {
  const candidate = options.transliterate ? transliterateToGsm7(text) : text;
  const measure = measureText(candidate);
  const capacity = CAPACITY[measure.encoding];
  // Counted by the real split: an escape pair or a surrogate pair never straddles two parts, so a
  // part can hold one unit less than the plain division assumes.
  const segments = measure.units <= capacity.single ? 1 : splitSegments(candidate, measure.encoding).length;
  return { text: candidate, encoding: measure.encoding, units: measure.units, segments };
}

/**
 * Splits a text into the parts of a concatenated SMS, never cutting a GSM-7 escape pair
 * (€, [, ], … take two septets) nor a UTF-16 surrogate pair.
 */
export function splitSegments(text: string, encoding: TextEncoding): string[] {
  const capacity = CAPACITY[encoding];
  if (measureText(text).units <= capacity.single) return [text];
  const parts: string[] = [];
  let current = '';
  let units = 0;
  for (const char of text) {
    const cost = encoding === 'GSM-7' ? measureText(char).units : char.length;
    if (units + cost > capacity.concatenated) {
      parts.push(current);
      current = '';
      units = 0;
    }
    current += char;
    units += cost;
  }
  if (current) parts.push(current);
  return parts;
}
