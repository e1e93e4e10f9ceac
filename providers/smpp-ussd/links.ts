import { z } from 'zod';
import type { EnvSchema, ProviderEnv } from '../manifest.js';

/** One SMSC link, as `SMPP_USSD_<OP>_*` or `SMPP_SMS_<OP>_*` configure it; the Node runtime opens it. */
export interface SmppLinkSettings {
  /** Sessions, metrics and routes are filed under `smpp-<operator>`. */
  provider: string;
  url: string;
  systemId: string;
  password: string;
  systemType?: string;
  window?: number;
  submitsPerSecond?: number;
  enquireLinkMs?: number;
  /** `_INTERFACE_VERSION`: 0x34 (default) or 0x50. */
  interfaceVersion?: 0x34 | 0x50;
  /** `_SESSION_INFO` (USSD links): our `its_session_info`, `sequence` (SMPP 3.4, default) or `echo`. */
  sessionInfo?: 'echo' | 'sequence';
  screenLimit: number;
  /** Sender address of SMS sent on the link (`_FROM`). */
  from: string;
}

/** `MOOV` → `smpp-moov`: the name a link's operator part gives its sessions and its SMS route. */
function smppProviderName(operator: string): string {
  return `smpp-${operator.toLowerCase().replace(/_/g, '-')}`;
}

/**
 * One SMSC link per operator: `<family><OPERATOR>_URL` (smpp://host:port), `_SYSTEM_ID`,
 * `_PASSWORD`, and optionally `_SYSTEM_TYPE`, `_WINDOW`, `_TPS`, `_ENQUIRE_LINK_MS`,
 * `_INTERFACE_VERSION` (0x34, 0x50), `_SESSION_INFO` (echo, sequence), `_SCREEN_LIMIT`, `_FROM`.
 * Every problem of every link is reported; a link with one is left out.
 */
function smppLinksEnv(family: 'SMPP_USSD_' | 'SMPP_SMS_'): EnvSchema<readonly SmppLinkSettings[]> {
  // The whole environment, whatever its variables' names: process.env is no plain object for z.record.
  const anyEnv = z.custom<ProviderEnv>((value) => typeof value === 'object' && value !== null, 'want the environment');
  return anyEnv.transform((env, ctx) => {
    const links: SmppLinkSettings[] = [];
    for (const [key, url] of Object.entries(env)) {
      const match = new RegExp(`^${family}([A-Z0-9_]+)_URL$`).exec(key);
      if (!match?.[1] || !url) continue;
      const prefix = `${family}${match[1]}_`;
      const problems: string[] = [];
      const get = (name: string) => env[prefix + name] || undefined;
      const int = (name: string, min: number, max: number) => {
        const value = get(name);
        if (value === undefined) return undefined;
        const parsed = Number(value);
        if (!Number.isInteger(parsed) || parsed < min || parsed > max) problems.push(`${prefix + name} (want ${min}..${max})`);
        return parsed;
      };
      if (!/^smpps?:\/\/[^/]+$/.test(url)) problems.push(`${key} (want smpp://host:port)`);
      const systemId = get('SYSTEM_ID');
      const password = get('PASSWORD');
      if (!systemId || password === undefined) problems.push(`${prefix}SYSTEM_ID and ${prefix}PASSWORD are required`);
      const screenLimit = int('SCREEN_LIMIT', 40, 182);
      const window = int('WINDOW', 1, 1000);
      const tps = int('TPS', 1, 10000);
      const enquire = int('ENQUIRE_LINK_MS', 1000, 600000);
      const version = get('INTERFACE_VERSION')?.toLowerCase();
      if (version !== undefined && version !== '0x34' && version !== '0x50') problems.push(`${prefix}INTERFACE_VERSION (want 0x34 or 0x50)`);
      const sessionInfo = get('SESSION_INFO');
      if (sessionInfo !== undefined && sessionInfo !== 'echo' && sessionInfo !== 'sequence') problems.push(`${prefix}SESSION_INFO (want echo or sequence)`);
      for (const message of problems) ctx.addIssue({ code: 'custom', message, path: [] });
      if (problems.length > 0 || !systemId || password === undefined) continue;
      const link: SmppLinkSettings = { provider: smppProviderName(match[1]), url, systemId, password, screenLimit: screenLimit ?? 160, from: get('FROM') ?? 'ServPublic' };
      const systemType = get('SYSTEM_TYPE');
      if (systemType) link.systemType = systemType;
      if (window) link.window = window;
      if (tps) link.submitsPerSecond = tps;
      if (enquire) link.enquireLinkMs = enquire;
      if (version !== undefined) link.interfaceVersion = version === '0x50' ? 0x50 : 0x34;
      if (sessionInfo === 'echo' || sessionInfo === 'sequence') link.sessionInfo = sessionInfo;
      links.push(link);
    }
    return links;
  });
}

/** The links carrying USSD. */
export const smppUssdLinksEnv = smppLinksEnv('SMPP_USSD_');
/** The links carrying SMS, each an SMS route named for its operator (`smpp-moov`). */
export const smppSmsLinksEnv = smppLinksEnv('SMPP_SMS_');
