import { constantTimeEqual, hexToBytes, hmacSha256 } from '../../src/lib/secrets.js';

/** FedaPay rejects replays older than this; so do we. */
export const FEDAPAY_TOLERANCE_SECONDS = 300;

export type WebhookCheck = { ok: true } | { ok: false; httpStatus: 401 | 403; reason: string };

/**
 * `X-FEDAPAY-SIGNATURE: t=<unix>,s=<hex>[,s=<hex>…]` with `s = HMAC-SHA256(secret, "<t>.<raw body>")`
 * (fedapay/fedapay-php `lib/WebhookSignature.php`, fedapay/fedapay-node `src/Webhook.ts`): any
 * matching `s` is valid, so a header may carry signatures under an old and a new secret while one
 * is rotated. Verifies over the raw bytes as received; a timestamp outside the tolerance is a replay.
 */
export async function verifyFedapaySignature(header: string | undefined, rawBody: string, secret: string, nowMs: number): Promise<WebhookCheck> {
  if (!header) return { ok: false, httpStatus: 401, reason: 'missing X-FEDAPAY-SIGNATURE' };
  const items = header.split(',').map((part) => {
    const at = part.indexOf('=');
    return at < 0 ? ['', ''] : [part.slice(0, at).trim(), part.slice(at + 1).trim()];
  });
  const t = items.find(([name]) => name === 't')?.[1];
  const signatures = items.filter(([name, value]) => name === 's' && value).map(([, value]) => value!);
  if (!t || !/^\d+$/.test(t) || signatures.length === 0) return { ok: false, httpStatus: 401, reason: 'malformed signature header' };
  if (Math.abs(nowMs / 1000 - Number(t)) > FEDAPAY_TOLERANCE_SECONDS) return { ok: false, httpStatus: 403, reason: 'timestamp outside tolerance' };
  const expected = await hmacSha256(secret, `${t}.${rawBody}`);
  let matched = false;
  // Every candidate is compared (no early exit), each in constant time.
  for (const signature of signatures) {
    const given = hexToBytes(signature);
    if (given && constantTimeEqual(given, expected)) matched = true;
  }
  if (!matched) return { ok: false, httpStatus: 403, reason: 'bad signature' };
  return { ok: true };
}
