import { z } from 'zod';
import { paymentApis, smsCallbackRoutes, smsRouteParts, ussdPushParts, ussdRegistry } from '../providers/index.js';
import type { UssdPushRoute } from './ussd-push/port.js';
import { configurationProblem, readEnv, type ConfiguredSmsRoute, type PaymentApiRuntime, type ProviderEnv, type SmsRoutePart } from '../providers/manifest.js';
import type { SmppLinkSettings } from '../providers/smpp-ussd/links.js';
import type { UssdProviderSettings } from './channels/ussd/provider-settings.js';
import type { PaymentProvider } from './payments/port.js';
import { BENIN_OPERATORS } from './lib/msisdn.js';
import type { SmsCallbackProtection, SmsCallbackSettings } from './channels/sms/callback-auth.js';
import { parseProxyTrust, parseRanges, type ProxyTrust } from './lib/ip-address.js';

/**
 * The gateway's own settings from the environment; secrets never live in files. Each provider reads
 * its own variables with the schema in its folder (`providers/<name>/`), asked by `loadConfig`.
 */
const Env = z.object({
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Sessions in Redis when set; in memory (embedded default) otherwise. */
  REDIS_URL: z.string().url().optional(),
  /** A Redis Cluster instead: some of its nodes, `host:port,host:port` (the rest are discovered). */
  REDIS_CLUSTER_NODES: z.string().trim().min(1, 'is set but empty').optional(),
  /** Redis behind Sentinel instead: the sentinels, `host:port,…`, and the master's name (REDIS_SENTINEL_NAME). */
  REDIS_SENTINELS: z.string().trim().min(1, 'is set but empty').optional(),
  REDIS_SENTINEL_NAME: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'want the master name the sentinels monitor, e.g. guichet').optional(),
  /**
   * Namespace of this deployment's keys, so two deployments (staging and production) can share a
   * Redis: `guichet-staging:`. Letters, digits, `.`, `_`, `-`, ending in `:`.
   */
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}:$/, 'want letters, digits, . _ - ending in ":", e.g. guichet-staging:').default('guichet:'),
  MENUS_DIR: z.string().default('menus'),
  /** `demo`: the built-in portal; `xroad`: the portal over X-Road/UXP; `xroad-fake`: the same client against an in-process fake security server. */
  PORTAL: z.enum(['demo', 'xroad', 'xroad-fake']).default('demo'),
  XROAD_SECURITY_SERVER_URL: z.string().url().optional(),
  XROAD_DIALECT: z.enum(['xroad-r1', 'uxp']).default('xroad-r1'),
  /** UXP only: where the security server serves REST services (`{server}/restapi{path}` on Benin's platform). */
  XROAD_UXP_PATH_PREFIX: z.string().regex(/^(\/[A-Za-z0-9._~-]+)*$/, 'want a path such as /restapi').default('/restapi'),
  XROAD_CLIENT: z.string().default('BJ/GOV/GUICHET/ussd'),
  XROAD_SERVICE_REQUEST_STATUS: z.string().default('BJ/GOV/PORTAIL/eservices/requestStatus'),
  XROAD_SERVICE_FEE_DUE: z.string().default('BJ/GOV/PORTAIL/eservices/feeDue'),
  XROAD_SERVICE_CATALOGUE: z.string().default('BJ/GOV/PORTAIL/eservices/catalogue'),
  XROAD_SERVICE_IDENTITY: z.string().default('BJ/GOV/ANIP/identite/verifyHolder'),
  XROAD_SERVICE_PAYMENTS: z.string().default('BJ/GOV/PORTAIL/eservices/payments'),
  /** Career and pension (menu `carriere`): the ministry's agent check and career, the pension fund's files. */
  XROAD_SERVICE_AGENT_VERIFY: z.string().default('BJ/GOV/MTFP/carriere/verifyAgent'),
  XROAD_SERVICE_AGENT_CAREER: z.string().default('BJ/GOV/MTFP/carriere/careerStatus'),
  XROAD_SERVICE_PENSION_FILE: z.string().default('BJ/GOV/FNRB/pensions/pensionFile'),
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
  /** A message sent but without a delivery receipt is `expired` after this (the routes' validity period). */
  SMS_VALIDITY_HOURS: z.coerce.number().int().min(1).max(720).default(48),
  /** `0` keeps French accents that force UCS-2 (ê ç ô …) instead of their GSM-7 spelling. */
  SMS_TRANSLITERATE: z.enum(['0', '1']).default('1'),
  /** A text needing more segments is refused at the API (422); Kannel's `max-messages` must allow as many. */
  SMS_MAX_SEGMENTS: z.coerce.number().int().min(1).max(20).default(6),
  /** How Kannel (and other routes with callbacks) reach Guichet. */
  PUBLIC_URL: z.string().url().optional(),
  /** Agencies allowed to send notifications: `portail:key1,anip:key2`. */
  NOTIFY_API_KEYS: z.string().default(''),
  /** Agencies signing with HMAC instead: `portail:secret1`. */
  NOTIFY_HMAC_SECRETS: z.string().default(''),
  /**
   * Notifications each agency may post per minute, over every instance sharing the Redis (10 a
   * second: a national portal's status changes, with room for a morning's backlog).
   */
  NOTIFY_RATE_PER_MINUTE: z.coerce.number({ message: 'want a whole number of notifications per minute' }).int().min(1).max(1_000_000).default(600),
  /**
   * USSD hops one caller number may make per minute (flood guard; 0 turns it off). A citizen
   * walking a menu makes a hop every few seconds; 60 is never reached by hand.
   */
  USSD_HOP_RATE_PER_MINUTE: z.coerce.number({ message: 'want a whole number of hops per minute (0: no limit)' }).int().min(0).max(100_000).default(60),
  /** Payment API by registry name (`providers/index.ts`); its own variables are read by the schema in its folder. */
  PAYMENT_PROVIDER: z.string().default('sandbox'),
  /** Per payer operator, e.g. `MTN=mtn-momo,MOOV=moov-money,CELTIIS=fedapay`; others use PAYMENT_PROVIDER. */
  PAYMENT_ROUTES: z.string().default(''),
  /** Payment jobs (collect, poll, tell the portal) run at once per process, per queue. */
  PAYMENT_JOB_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(32),
  /**
   * Callback hints confirmed at once per process (`src/payments/hint-confirmations.ts`). Each waits on
   * two calls (the provider's status API, then the portal). Measured on a burst of a thousand (issue 18
   * part 2, README "Fourth pass"): 32 kept the portal's acknowledgement waiting (p99 1.2–1.4 s); 128 and
   * 256 brought it to 0.4–0.7 s but made the callbacks' own answers wait behind the confirmations; 64
   * answers callbacks at the bare floor's rate, p99 0.75–0.87 s.
   */
  PAYMENT_HINT_CONCURRENCY: z.coerce.number().int().min(1).max(2000).default(64),
  /** Agencies (names from NOTIFY_API_KEYS / NOTIFY_HMAC_SECRETS) that may export a holder's access log: `apdp,justice`. */
  ACCESS_LOG_EXPORT_AGENCIES: z.string().default(''),
  /** Who may read the daily payments report: `finance:key1,audit:key2`. */
  REPORT_API_KEYS: z.string().default(''),
  /**
   * The web simulator: unset serves it only while the gateway listens on loopback (a person trying it
   * on their own machine); `1` serves it on any address, on purpose; `0` never.
   */
  SIMULATOR: z.enum(['0', '1']).optional(),
  /** `GET /metrics`: unset serves it on loopback only; `1` everywhere; `0` never. With `METRICS_TOKEN` set it needs `Authorization: Bearer <token>`. */
  METRICS: z.enum(['0', '1']).optional(),
  METRICS_TOKEN: z.string().optional(),
  /** The operator's dashboard at `/admin`: served only when set, to whoever shows it (Bearer, or Basic `admin:<token>`). */
  ADMIN_TOKEN: z.string().min(16, 'want at least 16 characters').optional(),
  /** Slow or idle clients: a whole request within this, its headers within that (Node's http server). */
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(300000).default(10000),
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1000).max(60000).default(5000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).max(120000).default(5000),
  /** Open connections at most; more are refused by the kernel's backlog, not by a crash. */
  HTTP_MAX_CONNECTIONS: z.coerce.number().int().min(10).max(100000).default(4096),
  /** `0` turns off reloading menus when their files change (SIGHUP still reloads). */
  MENUS_WATCH: z.enum(['0', '1']).default('1'),
  SESSION_TTL_SECONDS: z.coerce.number().int().min(10).max(3600).default(180),
  /** A caller who redials within this after a cut session may resume it (README "Resuming a dropped session"); 0 turns it off. */
  RESUME_WINDOW_SECONDS: z.coerce.number({ message: 'want a number of seconds (0 turns resuming off)' }).int().min(0).max(3600).default(120),
  SERVICE_DEADLINE_MS: z.coerce.number().int().min(50).max(15000).default(2000),
  /** Per-provider screen size, e.g. `africastalking=160,mtn-madapi=182`. */
  SCREEN_LIMITS: z.string().default(''),
  /**
   * Who may say where a request came from (for allowlists): `0` nobody, `1` (or `2`…) that many
   * reverse proxies in front, each appending to X-Forwarded-For, or a comma list of the proxies' CIDR ranges.
   */
  TRUST_PROXY: z.string().default('0'),
  /** SIGTERM: in-flight hops answered, workers closed within this; past it the process exits 1. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(500).max(120000).default(10000),
  /** Keys the hashes that stand for phone numbers and NPIs in stored counters (same on every instance). */
  /** USSD push route per operator: `MOOV=smpp-moov,MTN=mtn-madapi` (an operator left out gets SMS only). */
  USSD_PUSH_ROUTES: z.string().default(''),
  /** Pushes per second per push route: `smpp-moov=20,mtn-madapi=10` (default 10 each). */
  USSD_PUSH_RATES: z.string().default(''),
  /** How long an SMPP push waits for the handset's USSN confirm before the SMS goes instead. */
  USSD_PUSH_CONFIRM_TIMEOUT_MS: z.coerce.number().int().min(1000).max(120000).default(20000),
  /** Our short code as the pushes' sender (SMPP `source_addr`, MADAPI `serviceCode`). */
  USSD_PUSH_FROM: z.string().regex(/^[0-9*#]{2,15}$/, 'want the short code, e.g. 123').default('123'),
  PII_HASH_KEY: z.string().min(16, 'want at least 16 characters').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** The audit log (notification and report calls, admin actions), one JSON line each; unset: the log stream, marked `audit: true`. */
  AUDIT_LOG_FILE: z.string().trim().min(1, 'is set but empty').optional(),
  /** Reminders (`menus/reminders/`): at most this many to one number in any 24 hours, and in any 7 days. */
  REMINDERS_PER_DAY: z.coerce.number({ error: 'want a whole number of reminders' }).int().min(0).max(20).default(1),
  REMINDERS_PER_WEEK: z.coerce.number({ error: 'want a whole number of reminders' }).int().min(0).max(100).default(3),
});

/** One Redis (a URL), a Redis Cluster (some of its nodes) or a master found through Sentinel. */
export type RedisTarget =
  | { kind: 'url'; url: string }
  | { kind: 'cluster'; nodes: RedisNode[] }
  | { kind: 'sentinel'; sentinels: RedisNode[]; name: string };
export interface RedisNode {
  host: string;
  port: number;
}

/** The one Redis the gateway uses: two ways of naming it at once is a mistake, said at start. */
function redisTargetFrom(e: z.infer<typeof Env>): RedisTarget | undefined {
  const named = (['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'] as const).filter((name) => e[name] !== undefined);
  if (named.length > 1) throw new Error(`invalid configuration: ${named.join(' and ')} are both set; set only one (one Redis, a cluster, or Sentinel)`);
  if (e.REDIS_SENTINEL_NAME !== undefined && e.REDIS_SENTINELS === undefined) throw new Error('invalid configuration: REDIS_SENTINEL_NAME is set without REDIS_SENTINELS');
  if (e.REDIS_URL !== undefined) return { kind: 'url', url: e.REDIS_URL };
  if (e.REDIS_CLUSTER_NODES !== undefined) return { kind: 'cluster', nodes: redisNodes(e.REDIS_CLUSTER_NODES, 'REDIS_CLUSTER_NODES') };
  if (e.REDIS_SENTINELS !== undefined) {
    if (e.REDIS_SENTINEL_NAME === undefined) throw new Error('invalid configuration: REDIS_SENTINELS needs REDIS_SENTINEL_NAME (the master name the sentinels monitor)');
    return { kind: 'sentinel', sentinels: redisNodes(e.REDIS_SENTINELS, 'REDIS_SENTINELS'), name: e.REDIS_SENTINEL_NAME };
  }
  return undefined;
}

function redisNodes(list: string, variable: string): RedisNode[] {
  return list.split(',').map((entry) => {
    const match = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(entry.trim());
    const port = Number(match?.[2]);
    if (!match?.[1] || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid configuration: ${variable}: "${entry.trim()}" is not host:port`);
    return { host: match[1].replace(/^\[|\]$/g, ''), port };
  });
}

/** A payment API `PAYMENT_PROVIDER` or `PAYMENT_ROUTES` names, its own variables read and checked. */
export interface ConfiguredPaymentApi {
  name: string;
  /** `runtime`: what the runtime supplies (Node: its keep-alive HTTP client); absent, the global `fetch`. */
  create(runtime?: PaymentApiRuntime): PaymentProvider;
}

export interface Config {
  host: string;
  port: number;
  redisUrl: string | undefined;
  /** Where Redis is, from REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS (at most one); undefined: no Redis. */
  redis: RedisTarget | undefined;
  /** `REDIS_PREFIX` (default `guichet:`): every Redis key of this deployment starts with it. */
  redisPrefix: string;
  menusDir: string;
  watchMenus: boolean;
  simulator: boolean;
  /** `GET /metrics` served, and the bearer token it then needs (undefined: none). */
  metrics: { served: boolean; token: string | undefined };
  /** `ADMIN_TOKEN`: the dashboard is served only when set. */
  adminToken: string | undefined;
  http: { requestTimeoutMs: number; headersTimeoutMs: number; keepAliveTimeoutMs: number; maxConnections: number };
  sessionTtlSeconds: number;
  /** `RESUME_WINDOW_SECONDS`; 0: resuming off. */
  resumeWindowSeconds: number;
  serviceDeadlineMs: number;
  /** By provider name, from SCREEN_LIMITS and `USSD_<PROVIDER>_*` variables. */
  providerSettings: Record<string, UssdProviderSettings>;
  trustProxy: ProxyTrust;
  portal: 'demo' | 'xroad' | 'xroad-fake';
  paymentProvider: string;
  /** Operator (`MTN`, `MOOV`, `CELTIIS`) → payment provider registry name. */
  paymentRoutes: Record<string, string>;
  paymentJobConcurrency: number;
  paymentHintConcurrency: number;
  /** Every payment API named by `PAYMENT_PROVIDER` or `PAYMENT_ROUTES`, once each. */
  paymentApis: readonly ConfiguredPaymentApi[];
  reportApiKeys: Record<string, string>;
  /** `ACCESS_LOG_EXPORT_AGENCIES`: who may export an access log (`POST /v1/access-log/export`). */
  accessLogExportAgencies: readonly string[];
  xroad: {
    securityServerUrl: string | undefined;
    dialect: 'xroad-r1' | 'uxp';
    uxpPathPrefix: string;
    client: string;
    services: { requestStatus: string; feeDue: string; catalogue: string; identity: string; payments: string };
    /** The career menu's agencies (`XROAD_SERVICE_AGENT_VERIFY`, `_AGENT_CAREER`, `_PENSION_FILE`). */
    careerServices: { verify: string; career: string; pension: string };
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
    /** Every route the providers' variables configure (the sandbox always), for the runtime to build. */
    routes: readonly ConfiguredSmsRoute[];
    agencies: Record<string, { apiKey?: string; hmacSecret?: string }>;
    /** `SMS_<ROUTE>_CALLBACK_SECRET` / `SMS_<ROUTE>_ALLOW_IPS` for the routes that call back over HTTP. */
    callbacks: SmsCallbackSettings;
    validityHours: number;
  };
  /** Operators' SMSC links carrying USSD, from `SMPP_USSD_<OPERATOR>_*` variables. */
  smppUssdLinks: SmppLinkSettings[];
  /** Notifications asked as `channel: "ussd-push"` (`src/ussd-push/`). */
  ussdPush: {
    /** Operator (or `default`) → push route; empty: every push goes by SMS. */
    routing: Record<string, string>;
    rates: Record<string, number>;
    confirmTimeoutMs: number;
    from: string;
    /** SMPP USSD links push too, each under its provider name (`smpp-moov`). */
    onSmppLinks: boolean;
    /** Portable push routes their variables configure (MADAPI), to build. */
    routes: readonly { route: string; create(): UssdPushRoute }[];
  };
  logLevel: z.infer<typeof Env>['LOG_LEVEL'];
  /** `AUDIT_LOG_FILE`: where audit entries are appended; undefined: the gateway's log stream. */
  auditLogFile: string | undefined;
  piiHashKey: string | undefined;
  shutdownTimeoutMs: number;
  /** `NOTIFY_RATE_PER_MINUTE`, `USSD_HOP_RATE_PER_MINUTE` (0: no flood guard): shared by every instance on one Redis. */
  rateLimits: { notificationsPerMinute: number; ussdHopsPerMinute: number };
  /** Frequency caps per number for reminders (`REMINDERS_PER_DAY`, `REMINDERS_PER_WEEK`). */
  reminders: { perDay: number; perWeek: number };
}

/**
 * Reads the whole configuration and reports every problem at once, one per line (a person fixing a
 * deployment should not discover them one restart at a time): the gateway's own variables, then
 * each provider's, read by the schema in its folder.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = Env.safeParse(env);
  const problems: string[] = parsed.success ? [] : parsed.error.issues.map(configurationProblem);
  /** Runs one derived check; a failure is noted and the rest still run. */
  const checked = <T>(fallback: T, build: () => T): T => {
    try {
      return build();
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
      return fallback;
    }
  };
  // The providers' variables do not depend on the gateway's: read even when those have problems.
  const smsRoutes = smsRoutesFrom(env, problems);
  const smppUssdLinks = smppUssdLinksFrom(env, problems);
  // Raw, as the schema's defaults would give them, so a payment API's problems are reported with the rest.
  const paymentProvider = env.PAYMENT_PROVIDER ?? 'sandbox';
  const paymentRoutes = checked({}, () => operatorRoutes(pairs(env.PAYMENT_ROUTES ?? '', 'PAYMENT_ROUTES', (v) => v)));
  const paymentApis = paymentApisFrom([paymentProvider, ...Object.values(paymentRoutes)], env, problems);
  if (!parsed.success) throw new Error(problems.join('\n'));
  const e = parsed.data;
  if (e.PORTAL === 'xroad' && !e.XROAD_SECURITY_SERVER_URL) problems.push('invalid configuration: PORTAL=xroad needs XROAD_SECURITY_SERVER_URL');
  const config = {
    host: e.HOST,
    port: e.PORT,
    redisUrl: e.REDIS_URL,
    redis: checked<RedisTarget | undefined>(undefined, () => redisTargetFrom(e)),
    redisPrefix: e.REDIS_PREFIX,
    menusDir: e.MENUS_DIR,
    watchMenus: e.MENUS_WATCH === '1',
    simulator: e.SIMULATOR === undefined ? isLoopbackHost(e.HOST) : e.SIMULATOR === '1',
    metrics: checked({ served: false, token: undefined }, () => metricsSetting(e.METRICS, e.METRICS_TOKEN, e.HOST)),
    adminToken: e.ADMIN_TOKEN,
    http: { requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS, headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS, keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS, maxConnections: e.HTTP_MAX_CONNECTIONS },
    sessionTtlSeconds: e.SESSION_TTL_SECONDS,
    resumeWindowSeconds: e.RESUME_WINDOW_SECONDS,
    serviceDeadlineMs: e.SERVICE_DEADLINE_MS,
    providerSettings: checked({}, () => providerSettingsFrom(env, pairs(e.SCREEN_LIMITS, 'SCREEN_LIMITS', integerIn(40, 182)))),
    trustProxy: checked<ProxyTrust>({ kind: 'none' }, () => parseProxyTrust(e.TRUST_PROXY)),
    smppUssdLinks,
    ussdPush: checked<Config['ussdPush']>({ routing: {}, rates: {}, confirmTimeoutMs: 20000, from: '123', onSmppLinks: false, routes: [] }, () => ussdPushFrom(e, env, smppUssdLinks)),
    sms: checked<Config['sms'] | undefined>(undefined, () => smsFrom(e, env, smsRoutes)),
    portal: e.PORTAL,
    paymentProvider,
    paymentJobConcurrency: e.PAYMENT_JOB_CONCURRENCY,
    paymentHintConcurrency: e.PAYMENT_HINT_CONCURRENCY,
    paymentApis,
    paymentRoutes,
    reportApiKeys: checked({}, () => pairs(e.REPORT_API_KEYS, 'REPORT_API_KEYS', (v) => v, SECRET_LIST)),
    accessLogExportAgencies: e.ACCESS_LOG_EXPORT_AGENCIES.split(',').map((name) => name.trim()).filter(Boolean),
    xroad: {
      securityServerUrl: e.XROAD_SECURITY_SERVER_URL,
      dialect: e.XROAD_DIALECT,
      uxpPathPrefix: e.XROAD_UXP_PATH_PREFIX,
      client: e.XROAD_CLIENT,
      services: {
        requestStatus: e.XROAD_SERVICE_REQUEST_STATUS,
        feeDue: e.XROAD_SERVICE_FEE_DUE,
        catalogue: e.XROAD_SERVICE_CATALOGUE,
        identity: e.XROAD_SERVICE_IDENTITY,
        payments: e.XROAD_SERVICE_PAYMENTS,
      },
      careerServices: { verify: e.XROAD_SERVICE_AGENT_VERIFY, career: e.XROAD_SERVICE_AGENT_CAREER, pension: e.XROAD_SERVICE_PENSION_FILE },
      timeoutMs: e.XROAD_TIMEOUT_MS,
      serviceTimeoutsMs: checked({}, () => pairs(e.XROAD_SERVICE_TIMEOUTS, 'XROAD_SERVICE_TIMEOUTS', integerIn(100, 60000))),
      tls: {
        ...(e.XROAD_TLS_CERT ? { cert: e.XROAD_TLS_CERT } : {}),
        ...(e.XROAD_TLS_KEY ? { key: e.XROAD_TLS_KEY } : {}),
        ...(e.XROAD_TLS_CA ? { ca: e.XROAD_TLS_CA } : {}),
      },
    },
    logLevel: e.LOG_LEVEL,
    auditLogFile: e.AUDIT_LOG_FILE,
    piiHashKey: e.PII_HASH_KEY,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    rateLimits: { notificationsPerMinute: e.NOTIFY_RATE_PER_MINUTE, ussdHopsPerMinute: e.USSD_HOP_RATE_PER_MINUTE },
    reminders: { perDay: e.REMINDERS_PER_DAY, perWeek: e.REMINDERS_PER_WEEK },
  };
  if (problems.length > 0 || config.sms === undefined) throw new Error(problems.join('\n'));
  return { ...config, sms: config.sms };
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
    if (!match?.[1] || value === undefined) continue;
    // A secret variable that is set but empty is a failed injection from the vault, not "no secret":
    // taking it as unset would open the route to anyone.
    if (match[2] === 'SECRET' && value.trim() === '') throw new Error(`invalid configuration: ${key} is set but empty`);
    if (value === '') continue;
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

/** The operators' SMSC links carrying USSD, read by each SMPP dialect's own schema. */
function smppUssdLinksFrom(env: ProviderEnv, problems: string[]): SmppLinkSettings[] {
  const links: SmppLinkSettings[] = [];
  for (const part of ussdRegistry) {
    if (part.transport !== 'smpp') continue;
    const read = readEnv(part.env, env);
    if (read.ok) links.push(...read.value);
    else problems.push(...read.problems);
  }
  return links;
}

/**
 * `USSD_PUSH_ROUTES` and `USSD_PUSH_RATES` against the push routes the providers configure: an SMPP
 * USSD link's name (`smpp-moov`), or a portable part whose variables are set (`mtn-madapi` with
 * `MADAPI_API_KEY`). A route named but not configured stops the start, naming what to set.
 */
function ussdPushFrom(e: z.infer<typeof Env>, env: ProviderEnv, smppUssdLinks: readonly SmppLinkSettings[]): Config['ussdPush'] {
  const problems: string[] = [];
  const onSmppLinks = ussdPushParts.some((part) => part.link === 'smpp');
  const available = new Map<string, (() => UssdPushRoute) | undefined>();
  if (onSmppLinks) for (const link of smppUssdLinks) available.set(link.provider, undefined);
  for (const part of ussdPushParts) {
    if (part.link !== 'none') continue;
    const read = readEnv(part.env, env);
    if (!read.ok) problems.push(...read.problems);
    else if (read.value !== undefined) {
      const settings = read.value;
      available.set(part.route, () => part.create(settings, { from: e.USSD_PUSH_FROM }));
    }
  }
  const routing = pairs(e.USSD_PUSH_ROUTES, 'USSD_PUSH_ROUTES', (v) => v);
  const rates = pairs(e.USSD_PUSH_RATES, 'USSD_PUSH_RATES', integerIn(1, 1000));
  const names = () => [...available.keys()].join(', ') || 'none: set SMPP_USSD_<OP>_URL or MADAPI_API_KEY';
  for (const [operator, route] of Object.entries(routing)) {
    if (operator !== 'default' && !(BENIN_OPERATORS as readonly string[]).includes(operator)) problems.push(`invalid configuration: USSD_PUSH_ROUTES operator "${operator}" (want ${BENIN_OPERATORS.join(', ')} or default)`);
    if (!available.has(route)) problems.push(`invalid configuration: USSD_PUSH_ROUTES sends ${operator} to "${route}", which is not a configured push route (${names()})`);
  }
  for (const route of Object.keys(rates)) {
    if (!available.has(route)) problems.push(`invalid configuration: USSD_PUSH_RATES names "${route}", which is not a configured push route (${names()})`);
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
  const used = new Set(Object.values(routing));
  const routes = [...available].flatMap(([route, create]) => (create && used.has(route) ? [{ route, create }] : []));
  return { routing, rates, confirmTimeoutMs: e.USSD_PUSH_CONFIRM_TIMEOUT_MS, from: e.USSD_PUSH_FROM, onSmppLinks, routes };
}

/**
 * Payment APIs by registry name, each built from its own variables (`MOMO_*`, `FEDAPAY_*`…): a
 * missing secret stops the gateway at start, naming the variable, instead of at the first payment.
 */
function paymentApisFrom(names: readonly string[], env: ProviderEnv, problems: string[]): ConfiguredPaymentApi[] {
  const apis: ConfiguredPaymentApi[] = [];
  for (const name of new Set(names)) {
    const api = Object.hasOwn(paymentApis, name) ? paymentApis[name] : undefined;
    if (!api) {
      problems.push(`invalid configuration: payment provider "${name}" is not in providers/index.ts (${Object.keys(paymentApis).join(', ')})`);
      continue;
    }
    const read = readEnv(api.env, env);
    if (!read.ok) {
      problems.push(...read.problems);
      continue;
    }
    apis.push({ name, create: (runtime) => api.create(read.value, runtime) });
  }
  return apis;
}

/** What the SMS routes' own variables configure. */
interface SmsRoutesFound {
  routes: ConfiguredSmsRoute[];
  /** Route name → the variable that configures it (undefined: built in). */
  configured: Map<string, string | undefined>;
  /** Parts whose variables have a problem (reported already): their routes are neither configured nor "not configured". */
  failed: Set<SmsRoutePart>;
}

function smsRoutesFrom(env: ProviderEnv, problems: string[]): SmsRoutesFound {
  const found: SmsRoutesFound = { routes: [], configured: new Map(), failed: new Set() };
  for (const part of smsRouteParts) {
    const read = readSmsRoutePart(part, env);
    if (!read.ok) {
      problems.push(...read.problems);
      found.failed.add(part);
      continue;
    }
    for (const { route, variable } of read.routes) {
      if (found.configured.has(route.route)) {
        problems.push(`invalid configuration: two SMS routes are named "${route.route}"${variable ? ` (${variable})` : ''}`);
        continue;
      }
      found.configured.set(route.route, variable);
      found.routes.push(route);
    }
  }
  return found;
}

/** One part's routes, each with its settings bound to the part's factory. */
function readSmsRoutePart(part: SmsRoutePart, env: ProviderEnv): { ok: true; routes: { route: ConfiguredSmsRoute; variable: string | undefined }[] } | { ok: false; problems: string[] } {
  switch (part.link) {
    case 'none': {
      const read = readEnv(part.env, env);
      if (!read.ok) return read;
      return { ok: true, routes: read.value.map((i) => ({ variable: i.variable, route: { route: i.route, link: 'none', create: (runtime) => part.create(i.settings, runtime) } })) };
    }
    case 'smpp': {
      const read = readEnv(part.env, env);
      if (!read.ok) return read;
      return { ok: true, routes: read.value.map((i) => ({ variable: i.variable, route: { route: i.route, link: 'smpp', settings: i.settings } })) };
    }
    case 'africastalking-sdk': {
      const read = readEnv(part.env, env);
      if (!read.ok) return read;
      return {
        ok: true,
        routes: read.value.map((i) => ({ variable: i.variable, route: { route: i.route, link: 'africastalking-sdk', settings: i.settings, create: (runtime, send) => part.create(i.settings, runtime, send) } })),
      };
    }
  }
}

/** Listening on loopback only: nobody but this machine's users reach the gateway. */
function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function metricsSetting(metrics: '0' | '1' | undefined, token: string | undefined, host: string): Config['metrics'] {
  if (token !== undefined && token.trim() === '') throw new Error('invalid configuration: METRICS_TOKEN is set but empty');
  if (metrics === '0') return { served: false, token: undefined };
  return { served: metrics === '1' || token !== undefined || isLoopbackHost(host), token };
}

/**
 * The SMS settings, checked as a whole: a mistake stops the gateway at start, naming the
 * variable, instead of surfacing as a 500 (or a silent sandbox) when the first message is sent.
 */
function smsFrom(e: z.infer<typeof Env>, env: ProviderEnv, found: SmsRoutesFound): Config['sms'] {
  const problems: string[] = [];
  const fail = (reason: string) => void problems.push(`invalid configuration: ${reason}`);
  const collect = <T>(fallback: T, build: () => T): T => {
    try {
      return build();
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
      return fallback;
    }
  };
  const { configured } = found;
  const names = () => [...configured.keys()].join(', ');
  /** The part a route name belongs to, had its variables been set. */
  const owner = (route: string) => smsRouteParts.find((part) => part.variablesFor(route) !== undefined);
  /** A route whose part's variables have a problem: that problem is reported, not a second one about the route. */
  const failedRoute = (route: string) => {
    const part = owner(route);
    return part !== undefined && found.failed.has(part);
  };

  const routing = collect<Record<string, string>>({ default: 'sandbox' }, () => pairs(e.SMS_ROUTES, 'SMS_ROUTES', (v) => v));
  for (const operator of Object.keys(routing)) {
    if (operator !== 'default' && !(BENIN_OPERATORS as readonly string[]).includes(operator)) fail(`SMS_ROUTES operator "${operator}" (want ${BENIN_OPERATORS.join(', ')} or default)`);
  }
  if (!routing.default) fail('SMS_ROUTES has no default route (add default=<route> for numbers of no listed operator)');
  for (const [operator, route] of Object.entries(routing)) {
    if (configured.has(route) || failedRoute(route)) continue;
    fail(`SMS_ROUTES sends ${operator} to "${route}", which is not configured (set ${owner(route)?.variablesFor(route) ?? `one of ${names()}`})`);
  }
  const used = new Set(Object.values(routing));
  for (const [route, variable] of configured) {
    // A built-in route (the sandbox) is there whether or not anything goes to it.
    if (variable !== undefined && !used.has(route)) fail(`${variable} configures the "${route}" route but SMS_ROUTES sends nothing to it (SMS_ROUTES=${e.SMS_ROUTES})`);
  }
  const rates = collect({}, () => pairs(e.SMS_RATES, 'SMS_RATES', integerIn(1, 10000)));
  for (const route of Object.keys(rates)) {
    if (!configured.has(route) && !failedRoute(route)) fail(`SMS_RATES names "${route}", which is not a configured route (${names()})`);
  }
  const agencies = collect({}, () => agenciesFrom(e.NOTIFY_API_KEYS, e.NOTIFY_HMAC_SECRETS));
  const callbacks = collect({}, () => smsCallbacksFrom(env, e.HOST, new Set(configured.keys())));
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return {
    routing,
    rates,
    transliterate: e.SMS_TRANSLITERATE === '1',
    maxSegments: e.SMS_MAX_SEGMENTS,
    publicUrl: e.PUBLIC_URL,
    routes: found.routes,
    agencies,
    callbacks,
    validityHours: e.SMS_VALIDITY_HOURS,
  };
}

/**
 * `SMS_<ROUTE>_CALLBACK_SECRET` and `SMS_<ROUTE>_ALLOW_IPS` (comma list of addresses or CIDR ranges)
 * for the routes whose inbound messages and delivery reports come over HTTP (their manifests'
 * `callbacks`: Kannel, Africa's Talking). An empty secret is a failed injection from the vault, not
 * "no secret": refused. A route that is configured (it really sends) while Guichet listens beyond
 * loopback must have one or the other: refusing to start, rather than warning, because a forged
 * callback there opts citizens out, changes their language, marks messages delivered and makes the
 * gateway send SMS to any number, and a warning in a log is read after the harm. The embedded
 * default (sandbox only) sends nothing, so its open callbacks are allowed there.
 */
function smsCallbacksFrom(env: ProviderEnv, host: string, configuredRoutes: ReadonlySet<string>): SmsCallbackSettings {
  const callbacks: Record<string, SmsCallbackProtection> = {};
  const problems: string[] = [];
  const stem = (route: string) => route.toUpperCase().replace(/-/g, '_');
  const routeOf = new Map(smsCallbackRoutes.map((route) => [stem(route), route]));
  for (const [key, value] of Object.entries(env)) {
    const match = /^SMS_([A-Z0-9_]+)_(CALLBACK_SECRET|ALLOW_IPS)$/.exec(key);
    if (!match?.[1] || value === undefined) continue;
    const route = routeOf.get(match[1]);
    if (route === undefined) {
      problems.push(
        `invalid configuration: ${key} names no SMS route with HTTP callbacks (want ${smsCallbackRoutes.map((r) => `SMS_${stem(r)}_${match[2]}`).join(' or ')}; SMPP routes are authenticated by their bind)`,
      );
      continue;
    }
    const protection = (callbacks[route] ??= {});
    if (match[2] === 'CALLBACK_SECRET') {
      if (value.trim() === '') problems.push(`invalid configuration: ${key} is set but empty`);
      // Written verbatim into Kannel's get-url/dlr-url and AT's callback URL: a `%` or `&` there would
      // be read by Kannel as an escape or split the query, and a short secret can be guessed.
      else if (!/^[A-Za-z0-9._~-]{16,}$/.test(value)) problems.push(`invalid configuration: ${key} must be at least 16 characters of A-Z a-z 0-9 . _ ~ - (it is written as is into callback URLs)`);
      else protection.secret = value;
    } else {
      try {
        const ranges = parseRanges(value, key);
        if (ranges.length === 0) problems.push(`invalid configuration: ${key} is set but lists no address`);
        else protection.allowedIps = ranges;
      } catch (error) {
        problems.push(error instanceof Error ? error.message : String(error));
      }
    }
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
  if (!isLoopbackHost(host)) {
    for (const route of smsCallbackRoutes) {
      if (configuredRoutes.has(route) && !callbacks[route]) {
        const name = stem(route);
        problems.push(
          `invalid configuration: the ${route} SMS route is configured and HOST=${host} is not loopback, but its callbacks are open to anyone: set SMS_${name}_CALLBACK_SECRET (and put it in the callback URLs) and/or SMS_${name}_ALLOW_IPS`,
        );
      }
    }
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return callbacks;
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

/**
 * `name=value,name=value` lists (or `name:value` where the README documents a colon). Each entry is
 * split at its first separator only, so a value keeps every `=` and `:` of its own (base64 padding,
 * `user:secret`). An entry with an empty name or value, or a name given twice, stops start-up: an empty
 * key would let a request without any key in. Values of secret lists never appear in the error.
 */
function pairs<T>(spec: string, variable: string, parse: (value: string) => T, options: { separator?: '=' | ':'; secret?: boolean } = {}): Record<string, T> {
  const separator = options.separator ?? '=';
  // A null prototype: a name such as `__proto__` or `constructor` is an ordinary entry, never an inherited one.
  const result = Object.create(null) as Record<string, T>;
  for (const entry of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const at = entry.indexOf(separator);
    const name = at < 0 ? entry : entry.slice(0, at).trim();
    const value = at < 0 ? '' : entry.slice(at + 1).trim();
    const shown = !options.secret ? entry : at < 0 ? '…' : `${name}${separator}…`;
    if (at < 0 || !name || !value) throw new Error(`invalid configuration: ${variable} entry "${shown}" (want name${separator}value, neither empty)`);
    if (Object.hasOwn(result, name)) throw new Error(`invalid configuration: ${variable} names "${name}" twice`);
    try {
      result[name] = parse(value);
    } catch (error) {
      throw new Error(`invalid configuration: ${variable} entry "${shown}": ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return result;
}

function agenciesFrom(keys: string, secrets: string): Record<string, { apiKey?: string; hmacSecret?: string }> {
  const agencies = Object.create(null) as Record<string, { apiKey?: string; hmacSecret?: string }>;
  for (const [agency, key] of Object.entries(pairs(keys, 'NOTIFY_API_KEYS', (v) => v, SECRET_LIST))) (agencies[agency] ??= {}).apiKey = key;
  for (const [agency, secret] of Object.entries(pairs(secrets, 'NOTIFY_HMAC_SECRETS', (v) => v, SECRET_LIST))) (agencies[agency] ??= {}).hmacSecret = secret;
  return agencies;
}

/** `agency:secret` lists, as the README documents them. */
const SECRET_LIST = { separator: ':', secret: true } as const;
