import { describe, expect, it } from 'vitest';
import { fitsScreen, measureText, transliterateToGsm7 } from '../../src/lib/gsm7.js';

describe('GSM-7 accounting', () => {
  const cases: [string, 'GSM-7' | 'UCS-2', number][] = [
    ['Bonjour', 'GSM-7', 7],
    ['é è à ù É Ç ü', 'GSM-7', 13],
    ['Prix: 10€', 'GSM-7', 10], // € is in the extension table: two septets
    ['[1]', 'GSM-7', 5],
    ['Prête', 'UCS-2', 5],
    ['Français', 'UCS-2', 8],
    ['« citation »', 'UCS-2', 12],
  ];
  it.each(cases)('%j is %s, %i units', (text, encoding, units) => {
    expect(measureText(text)).toMatchObject({ encoding, units });
  });

  it('names the characters that force UCS-2', () => {
    expect(measureText('Prête à être reçue').nonGsmCharacters).toEqual(['ê', 'ç']);
  });

  it('a UCS-2 screen holds 70 where GSM-7 holds 160', () => {
    expect(fitsScreen('a'.repeat(160), 160)).toBe(true);
    expect(fitsScreen('a'.repeat(161), 160)).toBe(false);
    expect(fitsScreen('ê' + 'a'.repeat(69), 160)).toBe(true);
    expect(fitsScreen('ê' + 'a'.repeat(70), 160)).toBe(false);
  });

  it('transliterates French to GSM-7 keeping é è à ù', () => {
    const text = transliterateToGsm7('Votre pièce est prête à être reçue, l’équipe «CCSP» — merci');
    expect(text).toBe('Votre pièce est prete à etre recue, l\'équipe "CCSP" - merci');
    expect(measureText(text).encoding).toBe('GSM-7');
  });
});
