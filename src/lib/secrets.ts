/**
 * Comparing secrets and signatures without leaking where they differ, with Web Crypto only, so it
 * runs on Node and Workers alike. One place for every check: provider secrets, agency API keys and
 * HMAC signatures, payment webhooks.
 */
import { utf8 } from './bytes.js';

/** Byte equality whose duration does not depend on where the inputs differ. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/**
 * Whether a presented secret equals the expected one. Both are hashed first, so not even their
 * lengths show in the timing; then the digests are compared in constant time.
 */
export async function secretsMatch(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([crypto.subtle.digest('SHA-256', utf8(given)), crypto.subtle.digest('SHA-256', utf8(expected))]);
  return constantTimeEqual(new Uint8Array(a), new Uint8Array(b));
}

/**
 * The digest `secretsMatch` compares, for callers that check one presented secret against the
 * same configured ones on every request: each configured secret is digested once (`digestOnce`),
 * the presented one once per request, then compared with `constantTimeEqual` (same timing rules).
 */
export async function secretDigest(secret: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(secret)));
}

/** SHA-256 of a secret: Web Crypto's (`secretDigest`) by default; the Node runtime gives a synchronous one. */
export type SecretDigester = (secret: string) => Uint8Array | Promise<Uint8Array>;

export async function hmacSha256(secret: string, message: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', utf8(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, utf8(message)));
}

export async function hmacHex(secret: string, message: string): Promise<string> {
  return [...(await hmacSha256(secret, message))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export function hexToBytes(hex: string): Uint8Array | null {
  if (!/^(?:[0-9a-f]{2})*$/i.test(hex)) return null;
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}
