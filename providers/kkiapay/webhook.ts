import { utf8 } from '../../src/lib/bytes.js';
import { constantTimeEqual } from '../../src/lib/secrets.js';
import type { WebhookCheck } from '../fedapay/webhook.js';

/** `x-kkiapay-secret` carries the shared secret itself: compared in constant time. */
export function verifyKkiapaySecret(header: string | undefined, secret: string): WebhookCheck {
  if (!header) return { ok: false, httpStatus: 401, reason: 'missing x-kkiapay-secret' };
  if (!constantTimeEqual(utf8(header), utf8(secret))) return { ok: false, httpStatus: 403, reason: 'bad secret' };
  return { ok: true };
}
