import { describe, expect, it } from 'vitest';
import { latin1Text, utf16beText, utf8, utf8Text } from '../../src/lib/bytes.js';

/** The Web-only decoders read every byte as Node's Buffer did (Kannel's inbound SMS depend on it). */
describe('bytes ↔ text without Buffer', () => {
  const samples: number[][] = [
    [],
    [0xef, 0xbb, 0xbf, 0x41], // a UTF-8 byte-order mark is kept
    [0xc3, 0xa9, 0xe2, 0x82, 0xac], // é €
    [0xc0, 0x80, 0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80, 0xe0], // overlong, surrogate, too high, cut short
    [0x80, 0x9f, 0xa0, 0xff], // 0x80-0x9F are not windows-1252 in Latin-1
    [0xd8, 0x3d, 0xde, 0x00, 0xd8, 0x00, 0x00, 0x41, 0x42], // a pair, a lone surrogate, an odd trailing byte
  ];

  it.each(samples)('%j reads as Buffer#toString reads it', (...bytes) => {
    const input = Uint8Array.from(bytes);
    expect(utf8Text(input)).toBe(Buffer.from(input).toString('utf8'));
    expect(latin1Text(input)).toBe(Buffer.from(input).toString('latin1'));
    const even = Buffer.from(input.subarray(0, input.length - (input.length % 2)));
    expect(utf16beText(input)).toBe(even.swap16().toString('utf16le'));
  });

  it('encodes UTF-8 as Buffer does, on an ArrayBuffer Web Crypto accepts', () => {
    const text = 'Prête à être reçue € \u{1F600}';
    expect([...utf8(text)]).toEqual([...Buffer.from(text, 'utf8')]);
    expect(utf8(text).buffer).toBeInstanceOf(ArrayBuffer);
  });
});
