import { createHmac } from 'node:crypto';
import { DEFAULT_KEY, DIGEST_BYTES, type TextHasher } from '../channels/ussd/pii-hash.js';

/**
 * The session records' keyed hash with Node's synchronous HMAC: the same digests as the Web Crypto
 * one (`textHasher`), without its per-call hop through the crypto thread pool, which profiling put
 * at 18% of a hop's CPU.
 */
export function nodeTextHasher(secret: string = DEFAULT_KEY): TextHasher {
  return async (text) => createHmac('sha256', secret).update(text, 'utf8').digest('hex').slice(0, DIGEST_BYTES * 2);
}
