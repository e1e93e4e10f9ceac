import { constantTimeEqual, hexToBytes, hmacSha256 } from '../../src/security/secrets.js';

/** FedaPay rejects replays older than this; so do we. */
export const FEDAPAY_TOLERANCE_SECONDS = 300;

export type WebhookCheck = { ok: true } | { ok: false; httpStatus: 401 | 403; reason: string };

/**
 * `X-FEDAPAY-SIGNATURE: t=<unix>,s=<hex>` with `s = HMAC-SHA256(secret, "<t>.<raw body>")`.
 * Verifies over the raw bytes as received; a timestamp outside the tolerance is a replay.
 */
export async function verifyFedapaySignature(header: string | undefined, rawBody: string, secret: string, nowMs: number): Promise<WebhookCheck> {
  if (!header) return { ok: false, httpStatus: 401, reason: 'missing X-FEDAPAY-SIGNATURE' };
  const parts = new Map(header.split(',').map((part) => part.trim().split('=', 2) as [string, string]));
  const t = parts.get('t');
  const s = parts.get('s');
  if (!t || !/^\d+$/.test(t) || !s) return { ok: false, httpStatus: 401, reason: 'malformed signature header' };
  if (Math.abs(nowMs / 1000 - Number(t)) > FEDAPAY_TOLERANCE_SECONDS) return { ok: false, httpStatus: 403, reason: 'timestamp outside tolerance' };
  const given = hexToBytes(s);
  const expected = await hmacSha256(secret, `${t}.${rawBody}`);
  if (!given || !constantTimeEqual(given, expected)) return { ok: false, httpStatus: 403, reason: 'bad signature' };
  return { ok: true };
}
