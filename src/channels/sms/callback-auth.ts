import type { Context } from 'hono';
import { errorResponse } from '../../http/errors.js';
import { ipAllowed, type IpRange } from '../../lib/ip-address.js';
import { secretsMatch } from '../../lib/secrets.js';
import type { SmsStatus } from '../../sms/store/port.js';

/**
 * What a route's callbacks (inbound and delivery reports) must show: `SMS_<ROUTE>_CALLBACK_SECRET`
 * and/or `SMS_<ROUTE>_ALLOW_IPS`. Neither set: the route's callbacks are open (loopback only; the
 * configuration refuses a configured route without either on any other address).
 */
export interface SmsCallbackProtection {
  secret?: string;
  allowedIps?: readonly IpRange[];
}

/**
 * By route name, for the routes whose manifests declare HTTP callbacks (`providers/index.ts`
 * `smsCallbackRoutes`). SMPP routes are authenticated by their bind.
 */
export type SmsCallbackSettings = Readonly<Partial<Record<string, SmsCallbackProtection>>>;

/**
 * Where the secret is read: Kannel's `get-url`/`dlr-url` and Africa's Talking's callback URLs are
 * fixed strings in their configuration, so the query is the one place both can carry it; a proxy
 * or a provider that can set headers may use the header instead.
 */
export const CALLBACK_SECRET_PARAMETER = 'secret';
export const CALLBACK_SECRET_HEADER = 'x-guichet-secret';

/**
 * 403 for a caller outside the allowlist, 401 for a missing or wrong secret, null when the request
 * may go on. Checked before the body is read, so a refused request changes nothing.
 */
export async function checkSmsCallback(
  c: Context,
  protection: SmsCallbackProtection | undefined,
  clientIp: ((c: Context) => string | undefined) | undefined,
): Promise<Response | null> {
  if (!protection) return null;
  if (protection.allowedIps && protection.allowedIps.length > 0) {
    // No way to know the caller (no clientIp wired): refused, never assumed allowed.
    if (!ipAllowed(clientIp?.(c), protection.allowedIps)) return errorResponse(c, 'forbidden', 'source address not allowed for this SMS route');
  }
  if (protection.secret !== undefined) {
    const given = secretFromQuery(c.req.url) ?? c.req.header(CALLBACK_SECRET_HEADER) ?? '';
    if (!(await secretsMatch(given, protection.secret))) return errorResponse(c, 'unauthorized', `missing or wrong callback secret (the ${CALLBACK_SECRET_PARAMETER} query parameter or the ${CALLBACK_SECRET_HEADER} header)`);
  }
  return null;
}

/**
 * The `secret` parameter read from the raw query: Kannel's query may hold raw UTF-16 bytes that a
 * UTF-8 form parser would choke on, so only this one parameter is decoded. Repeated: the first wins.
 */
function secretFromQuery(url: string): string | undefined {
  const start = url.indexOf('?');
  if (start < 0) return undefined;
  for (const pair of url.slice(start + 1).split('&')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq) !== CALLBACK_SECRET_PARAMETER) continue;
    try {
      return decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' '));
    } catch {
      return '';
    }
  }
  return undefined;
}

/**
 * A provider's status word looked up in its table by own keys only: `__proto__` or `constructor`
 * from a forged report would otherwise read Object.prototype's members and be stored as a status.
 */
export function ownStatus(table: Readonly<Record<string, SmsStatus>>, key: string): SmsStatus | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
