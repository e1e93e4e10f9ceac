import { createHash, createHmac, createSecretKey } from 'node:crypto';
import type { Sha256Hex } from '../../access-log/chain.js';

/**
 * The access log's two hashes with Node's synchronous crypto: the same digests as the WebCrypto
 * ones (`sha256Hex`, `accessLogHolderKey`), without a hop through the crypto thread pool on every
 * lookup (`npm run bench -- access-log` shows what that costs).
 */
export const nodeSha256Hex: Sha256Hex = async (text) => createHash('sha256').update(text, 'utf8').digest('hex');

export function nodeAccessLogHolderKey(piiHashKey: string): (holderMsisdn: string) => Promise<string> {
  // The key object is made once: passing the secret string to every createHmac re-imports it.
  const key = createSecretKey(Buffer.from(piiHashKey, 'utf8'));
  return async (holderMsisdn) => createHmac('sha256', key).update(`accesslog:${holderMsisdn}`, 'utf8').digest('hex');
}
