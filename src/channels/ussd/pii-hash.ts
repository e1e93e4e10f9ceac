import { utf8 } from '../../lib/bytes.js';

/**
 * Keyed hashes of what a citizen typed, for the session record: enough to recognise the same text
 * again (a retransmitted hop, the history Africa's Talking resends), never enough to read it back
 * (an NPI or a birth date typed at a prompt or in a dial-through). HMAC-SHA-256 with the
 * deployment's `PII_HASH_KEY`, so every instance sharing a Redis computes the same value.
 */
export type TextHasher = (text: string) => Promise<string>;

/** Only for the embedded default and tests; production passes `PII_HASH_KEY`. */
export const DEFAULT_KEY = 'guichet-embedded-default';

/** 128 bits: no collision between the texts of one session in practice, half the bytes of the full digest. */
export const DIGEST_BYTES = 16;

type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

const keys = new Map<string, Promise<HmacKey>>();

export function textHasher(secret: string = DEFAULT_KEY): TextHasher {
  let key = keys.get(secret);
  if (!key) {
    // Imported once per key: importKey costs more than the HMAC of a short text.
    key = crypto.subtle.importKey('raw', utf8(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    keys.set(secret, key);
  }
  const imported = key;
  return async (text) => {
    const digest = new Uint8Array(await crypto.subtle.sign('HMAC', await imported, utf8(text)));
    let hex = '';
    for (let i = 0; i < DIGEST_BYTES; i++) hex += digest[i]!.toString(16).padStart(2, '0');
    return hex;
  };
}
