import type { MiddlewareHandler } from 'hono';
import { errorResponse } from '../../http/errors.js';
import { secretsMatch } from '../../lib/secrets.js';

/** The user name HTTP Basic must give: the token is the password. */
export const ADMIN_USER = 'admin';

/**
 * Lets through a request that shows the admin token, as `Authorization: Bearer <token>` (scripts)
 * or HTTP Basic `admin:<token>` (a browser, which asks for it once and then sends it with every
 * request of the page). Anything else gets a 401 that makes a browser ask.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7617 (Basic) and https://www.rfc-editor.org/rfc/rfc6750 (Bearer)
 */
export function adminAuth(token: string): MiddlewareHandler {
  return async function requireAdminToken(c, next) {
    if (await showsToken(c.req.header('authorization') ?? '', token)) return next();
    return errorResponse(c, 'unauthorized', 'the admin token is required', { headers: { 'www-authenticate': `Basic realm="Guichet admin", charset="UTF-8"` } });
  };
}

async function showsToken(header: string, token: string): Promise<boolean> {
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const credentials = space < 0 ? '' : header.slice(space + 1).trim();
  // Both comparisons hash their inputs first (`secretsMatch`): no timing says how close a guess was.
  if (scheme === 'bearer') return secretsMatch(credentials, token);
  if (scheme === 'basic') return secretsMatch(decodeBasic(credentials) ?? '', `${ADMIN_USER}:${token}`);
  return false;
}

/** `user:password` from Basic credentials (base64 of UTF-8), or null when they are not that. */
function decodeBasic(credentials: string): string | null {
  try {
    const binary = atob(credentials);
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (ch) => ch.charCodeAt(0)));
  } catch {
    return null;
  }
}
