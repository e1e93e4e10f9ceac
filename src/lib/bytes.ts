/**
 * Bytes to text and back with the Web platform only, so the core runs where Node's `Buffer` does
 * not (Workers). Each decoder reads exactly as `Buffer#toString` did, byte for byte:
 * - UTF-8 keeps a leading byte-order mark (a plain `TextDecoder` swallows it) and replaces a bad
 *   sequence with U+FFFD, as Buffer does;
 * - Latin-1 is ISO-8859-1, every byte one code point (`TextDecoder('latin1')` is windows-1252 in
 *   the Encoding Standard, which reads 0x80-0x9F differently);
 * - UTF-16BE keeps a lone surrogate as it is (a `TextDecoder` would replace it), and not every
 *   runtime's `TextDecoder` knows UTF-16BE.
 *
 * @see https://encoding.spec.whatwg.org/#names-and-labels
 */
const encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** `ArrayBuffer`-backed, as Web Crypto's `BufferSource` requires. */
export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text);
}

export function utf8Text(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

export function latin1Text(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
}

/** Big-endian UTF-16 (SMS UCS-2); an odd trailing byte cannot be a character and is dropped. */
export function utf16beText(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) text += String.fromCharCode((bytes[i]! << 8) | bytes[i + 1]!);
  return text;
}
