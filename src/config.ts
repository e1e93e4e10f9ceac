import { z } from 'zod';
import type { UssdProviderSettings } from './channels/ussd/provider-settings.js';
import { BENIN_OPERATORS } from './phone/msisdn.js';

/** Settings from the environment; secrets never live in files. */
const Env = z.object({
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Sessions in Redis when set; in memory (embedded default) otherwise. */
  REDIS_URL: z.string().url().optional(),
  MENUS_DIR: z.string().default('menus'),
  /** `demo`: the built-in portal; `xroad`: the portal over X-Road/UXP; `xroad-fake`: the same client against an in-process fake security server. */
  PORTAL: z.enum(['demo', 'xroad', 'xroad-fake']).default('demo'),
  XROAD_SECURITY_SERVER_URL: z.string().url().optional(),
  XROAD_DIALECT: z.enum(['xroad-r1', 'uxp']).default('xroad-r1'),
  XROAD_CLIENT: z.string().default('BJ/GOV/GUICHET/ussd'),
  XROAD_SERVICE_REQUEST_STATUS: z.string().default('BJ/GOV/PORTAIL/eservices/requestStatus'),
  XROAD_SERVICE_FEE_DUE: z.string().default('BJ/GOV/PORTAIL/eservices/feeDue'),
  XROAD_SERVICE_CATALOGUE: z.string().default('BJ/GOV/PORTAIL/eservices/catalogue'),
  XROAD_SERVICE_IDENTITY: z.string().default('BJ/GOV/ANIP/identite/verifyHolder'),
  XROAD_SERVICE_PAYMENTS: z.string().default('BJ/GOV/PORTAIL/eservices/payments'),
  XROAD_TIMEOUT_MS: z.coerce.number().int().min(100).max(60000).default(5000),
  /** Per service, by its SERVICE name: `requestStatus=1500,verifyHolder=3000`. */
  XROAD_SERVICE_TIMEOUTS: z.string().default(''),
  /** Mutual TLS with the security server: PEM files. */
  XROAD_TLS_CERT: z.string().optional(),
  XROAD_TLS_KEY: z.string().optional(),
  XROAD_TLS_CA: z.string().optional(),
  /** SMS route per destination operator: `MTN=kannel,MOOV=smpp-moov,CELTIIS=africastalking,default=sandbox`. */
  SMS_ROUTES: z.string().default('default=sandbox'),
  /** Messages per second per route: `kannel=50,smpp-moov=30`. */
  SMS_RATES: z.string().default(''),
  /** `0` keeps French accents that force UCS-2 (ê ç ô …) instead of their GSM-7 spelling. */
  SMS_TRANSLITERATE: z.enum(['0', '1']).default('1'),
  /** A text needing more segments is refused at the API (422); Kannel's `max-messages` must allow as many. */
  SMS_MAX_SEGMENTS: z.coerce.number().int().min(1).max(20).default(6),
  /** How Kannel (and other routes with callbacks) reach Guichet. */
  PUBLIC_URL: z.string().url().optional(),
  KANNEL_SENDSMS_URL: z.string().url().optional(),
  KANNEL_USERNAME: z.string().optional(),
  KANNEL_PASSWORD: z.string().optional(),
  KANNEL_FROM: z.string().default('ServPublic'),
  AT_USERNAME: z.string().optional(),
  AT_API_KEY: z.string().optional(),
  AT_SMS_FROM: z.string().optional(),
  /** Agencies allowed to send notifications: `portail:key1,anip:key2`. */
  NOTIFY_API_KEYS: z.string().default(''),
  /** Agencies signing with HMAC instead: `portail:secret1`. */
  NOTIFY_HMAC_SECRETS: z.string().default(''),
  /** Payment API by registry name (`providers/index.ts`); its own secrets come from env too. */
  PAYMENT_PROVIDER: z.string().default('sandbox'),
  /** Per payer operator, e.g. `MTN=mtn-momo,MOOV=moov-money,CELTIIS=fedapay`; others use PAYMENT_PROVIDER. */
  PAYMENT_ROUTES: z.string().default(''),
  /** Payment jobs (collect, poll, tell the portal) run at once per process, per queue. */
  PAYMENT_JOB_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(32),
  /** Who may read the daily payments report: `finance:key1,audit:key2`. */
  REPORT_API_KEYS: z.string().default(''),
  /** `0` turns the web simulator off (do so in production). */
  SIMULATOR: z.enum(['0', '1']).default('1'),
  /** `0` turns off reloading menus when their files change (SIGHUP still reloads). */
  MENUS_WATCH: z.enum(['0', '1']).default('1'),
  SESSION_TTL_SECONDS: z.coerce.number().int().min(10).max(3600).default(180),
  SERVICE_DEADLINE_MS: z.coerce.number().int().min(50).max(15000).default(2000),
  /** Per-provider screen size, e.g. `africastalking=160,mtn-madapi=182`. */
  SCREEN_LIMITS: z.string().default(''),
  /** Set to `1` when a reverse proxy in front sets X-Forwarded-For (for provider allowlists). */
  TRUST_PROXY: z.enum(['0', '1']).default('0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface SmppUssdLinkConfig {
  /** Sessions and metrics are filed under `smpp-<operator>`. */
  provider: string;
  url: string;
  systemId: string;
  password: string;
  systemType?: string;
  window?: number;
  submitsPerSecond?: number;
  enquireLinkMs?: number;
  screenLimit: number;
  /** Sender address of SMS sent on the link (`_FROM`). */
  from: string;
}

export interface Config {
  host: string;
  port: number;
  redisUrl: string | undefined;
  menusDir: string;
  watchMenus: boolean;
  simulator: boolean;
  sessionTtlSeconds: number;
  serviceDeadlineMs: number;
  /** By provider name, from SCREEN_LIMITS and `USSD_<PROVIDER>_*` variables. */
  providerSettings: Record<string, UssdProviderSettings>;
  trustProxy: boolean;
  portal: 'demo' | 'xroad' | 'xroad-fake';
  paymentProvider: string;
  /** Operator (`MTN`, `MOOV`, `CELTIIS`) → payment provider registry name. */
  paymentRoutes: Record<string, string>;
  paymentJobConcurrency: number;
  /** The raw environment, for each payment provider's own variables (its secrets stay out of logs). */
  providerEnv: Readonly<Record<string, string | undefined>>;
  reportApiKeys: Record<string, string>;
  xroad: {
    securityServerUrl: string | undefined;
    dialect: 'xroad-r1' | 'uxp';
    client: string;
    services: { requestStatus: string; feeDue: string; catalogue: string; identity: string; payments: string };
    timeoutMs: number;
    serviceTimeoutsMs: Record<string, number>;
    tls: { cert?: string; key?: string; ca?: string };
  };
  sms: {
    routing: Record<string, string>;
    rates: Record<string, number>;
    transliterate: boolean;
    maxSegments: number;
    publicUrl: string | undefined;
    kannel: { sendsmsUrl: string; username: string; password: string; from: string } | undefined;
    africasTalking: { username: string; apiKey: string; from?: string } | undefined;
    smppLinks: SmppUssdLinkConfig[];
    agencies: Record<string, { apiKey?: string; hmacSecret?: string }>;
  };
  /** Operators' SMSC links carrying USSD, from `SMPP_USSD_<OPERATOR>_*` variables. */
  smppUssdLinks: SmppUssdLinkConfig[];
  logLevel: z.infer<typeof Env>['LOG_LEVEL'];
}

export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  if (e.PORTAL === 'xroad' && !e.XROAD_SECURITY_SERVER_URL) throw new Error('invalid configuration: PORTAL=xroad needs XROAD_SECURITY_SERVER_URL');
  return {
    host: e.HOST,
    port: e.PORT,
    redisUrl: e.REDIS_URL,
    menusDir: e.MENUS_DIR,
    watchMenus: e.MENUS_WATCH === '1',
    simulator: e.SIMULATOR === '1',
    sessionTtlSeconds: e.SESSION_TTL_SECONDS,
    serviceDeadlineMs: e.SERVICE_DEADLINE_MS,
    providerSettings: providerSettingsFrom(env, pairs(e.SCREEN_LIMITS, 'SCREEN_LIMITS', integerIn(40, 182))),
    trustProxy: e.TRUST_PROXY === '1',
    smppUssdLinks: smppUssdLinksFrom(env),
    sms: smsFrom(e, env),
    portal: e.PORTAL,
    paymentProvider: e.PAYMENT_PROVIDER,
    paymentJobConcurrency: e.PAYMENT_JOB_CONCURRENCY,
    providerEnv: env,
    paymentRoutes: operatorRoutes(pairs(e.PAYMENT_ROUTES, 'PAYMENT_ROUTES', (v) => v)),
    reportApiKeys: pairs(e.REPORT_API_KEYS.replace(/:/g, '='), 'REPORT_API_KEYS', (v) => v),
    xroad: {
      securityServerUrl: e.XROAD_SECURITY_SERVER_URL,
      dialect: e.XROAD_DIALECT,
      client: e.XROAD_CLIENT,
      services: {
        requestStatus: e.XROAD_SERVICE_REQUEST_STATUS,
        feeDue: e.XROAD_SERVICE_FEE_DUE,
        catalogue: e.XROAD_SERVICE_CATALOGUE,
        identity: e.XROAD_SERVICE_IDENTITY,
        payments: e.XROAD_SERVICE_PAYMENTS,
      },
      timeoutMs: e.XROAD_TIMEOUT_MS,
      serviceTimeoutsMs: pairs(e.XROAD_SERVICE_TIMEOUTS, 'XROAD_SERVICE_TIMEOUTS', integerIn(100, 60000)),
      tls: {
        ...(e.XROAD_TLS_CERT ? { cert: e.XROAD_TLS_CERT } : {}),
        ...(e.XROAD_TLS_KEY ? { key: e.XROAD_TLS_KEY } : {}),
        ...(e.XROAD_TLS_CA ? { ca: e.XROAD_TLS_CA } : {}),
      },
    },
    logLevel: e.LOG_LEVEL,
  };
}

/**
 * `USSD_<PROVIDER>_SECRET`, `_SECRET_HEADER`, `_ALLOW_IPS` (comma list), `_SCREEN_LIMIT`,
 * `_SERVICE_CODES` (comma list), `_ENCODING` (auto, gsm7), where PROVIDER is the dialect name upper-cased with `-` as `_`
 * (`USSD_MTN_MADAPI_SECRET`). Secrets come from the environment only.
 */
function providerSettingsFrom(env: Record<string, string | undefined>, screenLimits: Record<string, number>): Record<string, UssdProviderSettings> {
  const settings: Record<string, UssdProviderSettings> = {};
  const entry = (name: string) => (settings[name] ??= {});
  for (const [name, limit] of Object.entries(screenLimits)) entry(name).screenLimit = limit;
  const list = (value: string) => value.split(',').map((v) => v.trim()).filter(Boolean);
  for (const [key, value] of Object.entries(env)) {
    const match = /^USSD_([A-Z0-9_]+?)_(SECRET|SECRET_HEADER|ALLOW_IPS|SCREEN_LIMIT|SERVICE_CODES|ENCODING)$/.exec(key);
    if (!match?.[1] || value === undefined || value === '') continue;
    const name = match[1].toLowerCase().replace(/_/g, '-');
    const target = entry(name);
    switch (match[2]) {
      case 'SECRET':
        target.secret = value;
        break;
      case 'SECRET_HEADER':
        target.secretHeader = value.toLowerCase();
        break;
      case 'ALLOW_IPS':
        target.allowedIps = list(value);
        break;
      case 'SCREEN_LIMIT': {
        const limit = Number(value);
        if (!Number.isInteger(limit) || limit < 40 || limit > 182) throw new Error(`invalid configuration: ${key} (want 40..182)`);
        target.screenLimit = limit;
        break;
      }
      case 'SERVICE_CODES':
        target.serviceCodes = list(value);
        break;
      case 'ENCODING':
        if (value !== 'auto' && value !== 'gsm7') throw new Error(`invalid configuration: ${key} (want auto or gsm7)`);
        target.encoding = value;
        break;
    }
  }
  return settings;
}

/**
 * One SMSC link per operator: `SMPP_USSD_<OPERATOR>_URL` (or `SMPP_SMS_…` for SMS links)
 * (smpp://host:port), `_SYSTEM_ID`, `_PASSWORD`, and optionally `_SYSTEM_TYPE`, `_WINDOW`, `_TPS`,
 * `_ENQUIRE_LINK_MS`, `_SCREEN_LIMIT`, `_FROM`.
 */
function smppUssdLinksFrom(env: Record<string, string | undefined>, family = 'SMPP_USSD_'): SmppUssdLinkConfig[] {
  const links: SmppUssdLinkConfig[] = [];
  for (const [key, url] of Object.entries(env)) {
    const match = new RegExp(`^${family}([A-Z0-9_]+)_URL$`).exec(key);
    if (!match?.[1] || !url) continue;
    const prefix = `${family}${match[1]}_`;
    const get = (name: string) => env[prefix + name] || undefined;
    const int = (name: string, min: number, max: number) => {
      const value = get(name);
      if (value === undefined) return undefined;
      const parsed = Number(value);
      if (!Number.isInteger(parsed) || parsed < min || parsed > max) throw new Error(`invalid configuration: ${prefix + name} (want ${min}..${max})`);
      return parsed;
    };
    if (!/^smpps?:\/\/[^/]+$/.test(url)) throw new Error(`invalid configuration: ${key} (want smpp://host:port)`);
    const systemId = get('SYSTEM_ID');
    const password = get('PASSWORD');
    if (!systemId || password === undefined) throw new Error(`invalid configuration: ${prefix}SYSTEM_ID and ${prefix}PASSWORD are required`);
    const link: SmppUssdLinkConfig = {
      provider: `smpp-${match[1].toLowerCase().replace(/_/g, '-')}`,
      url,
      systemId,
      password,
      screenLimit: int('SCREEN_LIMIT', 40, 182) ?? 160,
      from: get('FROM') ?? 'ServPublic',
    };
    const systemType = get('SYSTEM_TYPE');
    if (systemType) link.systemType = systemType;
    const window = int('WINDOW', 1, 1000);
    if (window) link.window = window;
    const tps = int('TPS', 1, 10000);
    if (tps) link.submitsPerSecond = tps;
    const enquire = int('ENQUIRE_LINK_MS', 1000, 600000);
    if (enquire) link.enquireLinkMs = enquire;
    links.push(link);
  }
  return links;
}

/**
 * The SMS settings, checked as a whole: a mistake stops the gateway at start, naming the
 * variable, instead of surfacing as a 500 (or a silent sandbox) when the first message is sent.
 */
function smsFrom(e: z.infer<typeof Env>, env: Record<string, string | undefined>): Config['sms'] {
  const fail = (reason: string): never => {
    throw new Error(`invalid configuration: ${reason}`);
  };
  const routing = pairs(e.SMS_ROUTES, 'SMS_ROUTES', (v) => v);
  for (const operator of Object.keys(routing)) {
    if (operator !== 'default' && !(BENIN_OPERATORS as readonly string[]).includes(operator)) fail(`SMS_ROUTES operator "${operator}" (want ${BENIN_OPERATORS.join(', ')} or default)`);
  }
  if (!routing.default) fail('SMS_ROUTES has no default route (add default=<route> for numbers of no listed operator)');

  if ((e.KANNEL_USERNAME || e.KANNEL_PASSWORD) && !e.KANNEL_SENDSMS_URL) fail('KANNEL_USERNAME/KANNEL_PASSWORD are set but KANNEL_SENDSMS_URL is not');
  if (e.KANNEL_SENDSMS_URL && (!e.KANNEL_USERNAME || !e.KANNEL_PASSWORD)) fail('KANNEL_SENDSMS_URL needs KANNEL_USERNAME and KANNEL_PASSWORD (its sendsms-user)');
  if (e.KANNEL_SENDSMS_URL && !e.PUBLIC_URL) fail('KANNEL_SENDSMS_URL needs PUBLIC_URL: Kannel sends delivery reports to PUBLIC_URL/sms/kannel/dlr');
  if (Boolean(e.AT_USERNAME) !== Boolean(e.AT_API_KEY)) fail('AT_USERNAME and AT_API_KEY go together');

  const smppLinks = smppUssdLinksFrom(env, 'SMPP_SMS_');
  /** Route name → the variable that configures it. */
  const configured: Record<string, string> = { sandbox: '(built in)' };
  if (e.KANNEL_SENDSMS_URL) configured.kannel = 'KANNEL_SENDSMS_URL';
  if (e.AT_USERNAME && e.AT_API_KEY) configured.africastalking = 'AT_USERNAME';
  for (const link of smppLinks) configured[link.provider] = `SMPP_SMS_${link.provider.slice('smpp-'.length).toUpperCase().replace(/-/g, '_')}_URL`;
  const needs: Record<string, string> = { kannel: 'KANNEL_SENDSMS_URL', africastalking: 'AT_USERNAME and AT_API_KEY' };
  for (const [operator, route] of Object.entries(routing)) {
    if (!configured[route]) {
      const hint = needs[route] ?? (route.startsWith('smpp-') ? `SMPP_SMS_${route.slice(5).toUpperCase().replace(/-/g, '_')}_URL` : `one of ${Object.keys(configured).join(', ')}`);
      fail(`SMS_ROUTES sends ${operator} to "${route}", which is not configured (set ${hint})`);
    }
  }
  const used = new Set(Object.values(routing));
  for (const [route, variable] of Object.entries(configured)) {
    if (route !== 'sandbox' && !used.has(route)) fail(`${variable} configures the "${route}" route but SMS_ROUTES sends nothing to it (SMS_ROUTES=${e.SMS_ROUTES})`);
  }
  const rates = pairs(e.SMS_RATES, 'SMS_RATES', integerIn(1, 10000));
  for (const route of Object.keys(rates)) {
    if (!configured[route]) fail(`SMS_RATES names "${route}", which is not a configured route (${Object.keys(configured).join(', ')})`);
  }
  return {
    routing,
    rates,
    transliterate: e.SMS_TRANSLITERATE === '1',
    maxSegments: e.SMS_MAX_SEGMENTS,
    publicUrl: e.PUBLIC_URL,
    kannel: e.KANNEL_SENDSMS_URL && e.KANNEL_USERNAME && e.KANNEL_PASSWORD ? { sendsmsUrl: e.KANNEL_SENDSMS_URL, username: e.KANNEL_USERNAME, password: e.KANNEL_PASSWORD, from: e.KANNEL_FROM } : undefined,
    africasTalking: e.AT_USERNAME && e.AT_API_KEY ? { username: e.AT_USERNAME, apiKey: e.AT_API_KEY, ...(e.AT_SMS_FROM ? { from: e.AT_SMS_FROM } : {}) } : undefined,
    smppLinks,
    agencies: agenciesFrom(e.NOTIFY_API_KEYS, e.NOTIFY_HMAC_SECRETS),
  };
}

/** A parser for `pairs` accepting whole numbers in a range. */
function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`want ${min}..${max}`);
    return n;
  };
}

function operatorRoutes(routes: Record<string, string>): Record<string, string> {
  for (const operator of Object.keys(routes)) {
    if (!(BENIN_OPERATORS as readonly string[]).includes(operator)) {
      throw new Error(`invalid configuration: PAYMENT_ROUTES operator "${operator}" (want ${BENIN_OPERATORS.join(', ')})`);
    }
  }
  return routes;
}

/** `name=value,name=value` lists. */
function pairs<T>(spec: string, variable: string, parse: (value: string) => T): Record<string, T> {
  const result: Record<string, T> = {};
  for (const pair of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [name, value] = pair.split('=');
    if (!name || value === undefined) throw new Error(`invalid configuration: ${variable} entry "${pair}" (want name=value)`);
    try {
      result[name] = parse(value);
    } catch (error) {
      throw new Error(`invalid configuration: ${variable} entry "${pair}": ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return result;
}

function agenciesFrom(keys: string, secrets: string): Record<string, { apiKey?: string; hmacSecret?: string }> {
  const agencies: Record<string, { apiKey?: string; hmacSecret?: string }> = {};
  for (const [agency, key] of Object.entries(pairs(keys.replace(/:/g, '='), 'NOTIFY_API_KEYS', (v) => v))) (agencies[agency] ??= {}).apiKey = key;
  for (const [agency, secret] of Object.entries(pairs(secrets.replace(/:/g, '='), 'NOTIFY_HMAC_SECRETS', (v) => v))) (agencies[agency] ??= {}).hmacSecret = secret;
  return agencies;
}
