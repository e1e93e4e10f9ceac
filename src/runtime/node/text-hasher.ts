import { createHash, createHmac, createSecretKey } from 'node:crypto';
import type { SecretDigester } from '../../lib/secrets.js';
import { DEFAULT_KEY, DIGEST_BYTES, type TextHasher } from '../../channels/ussd/pii-hash.js';

/**
 * The session records' keyed hash with Node's synchronous HMAC: the same digests as the Web Crypto
 * one (`textHasher`), without its per-call hop through the crypto thread pool, which profiling put
 * at 18% of a hop's CPU.
 */
export function nodeTextHasher(secret: string = DEFAULT_KEY): TextHasher {
  // The key object is made once: passing the secret string to every createHmac re-imports it.
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  return async (text) => createHmac('sha256', key).update(text, 'utf8').digest('hex').slice(0, DIGEST_BYTES * 2);
}

/** SHA-256 for secret comparisons with Node's synchronous hash: Web Crypto's `secretDigest`, without the thread-pool hop. */
export const nodeSecretDigest: SecretDigester = (secret) => createHash('sha256').update(secret, 'utf8').digest();
