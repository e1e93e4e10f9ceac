/** What configuration says about one USSD provider: limits, short codes, and how it proves who it is. */
export interface UssdProviderSettings {
  /** Screen size in GSM-7 characters (160, or 182 where the operator passes it). */
  screenLimit?: number;
  /**
   * `gsm7`: the route cannot carry UCS-2 (some operators show `?` or drop the session), so every
   * screen is rewritten to its GSM-7 spelling (ê→e, ç→c, ’→') before it leaves. Default `auto`.
   */
  encoding?: 'auto' | 'gsm7';
  /** Short codes this provider may open sessions on; any served code when absent. */
  serviceCodes?: readonly string[];
  /** Shared secret the provider sends in `secretHeader`; no secret check when absent. */
  secret?: string;
  /** Header carrying the secret (default `x-guichet-secret`). */
  secretHeader?: string;
  /** Source addresses allowed to call; any when absent. */
  allowedIps?: readonly string[];
}

export const DEFAULT_SECRET_HEADER = 'x-guichet-secret';

/** IPv4-mapped IPv6 (`::ffff:127.0.0.1`) is the IPv4 address for an allowlist. */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}
