/**
 * A short personal value (a phone number) kept so that only this deployment can read it back:
 * AES-256-GCM under a key derived (HKDF-SHA-256) from `PII_HASH_KEY`, a fresh 96-bit IV per value,
 * `base64url(iv ‖ ciphertext ‖ tag)`. Web Crypto only, so Node and Workers read each other's values.
 * Where a store must be able to reach a citizen again but should not hold the number in clear
 * (`src/careers/enrolment/`: telling the number a matricule moved away from).
 */
import { utf8 } from './bytes.js';

const IV_BYTES = 12;
type SealKey = Awaited<ReturnType<typeof crypto.subtle.deriveKey>>;
const keys = new Map<string, Promise<SealKey>>();

function sealKey(secret: string): Promise<SealKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle
      .importKey('raw', utf8(secret), 'HKDF', false, ['deriveKey'])
      .then((base) =>
        crypto.subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: utf8('guichet seal v1') }, base, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']),
      );
    keys.set(secret, key);
  }
  return key;
}

export async function seal(secret: string, text: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, await sealKey(secret), utf8(text)));
  const out = new Uint8Array(IV_BYTES + sealed.length);
  out.set(iv);
  out.set(sealed, IV_BYTES);
  return toBase64Url(out);
}

/** The value, or null when it was not sealed under this secret, or was changed. */
export async function unseal(secret: string, sealed: string): Promise<string | null> {
  const bytes = fromBase64Url(sealed);
  if (!bytes || bytes.length <= IV_BYTES + 16) return null;
  try {
    const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes.slice(0, IV_BYTES) }, await sealKey(secret), bytes.slice(IV_BYTES));
    return new TextDecoder().decode(plain);
  } catch {
    return null;
  }
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
