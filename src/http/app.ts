import type { SecretDigester } from '../lib/secrets.js';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { UssdDialect } from '../channels/ussd/port.js';
import type { HopHandlerDeps } from '../channels/ussd/hop-handler.js';
import type { UssdProviderSettings } from '../channels/ussd/provider-settings.js';
import { registerNotificationRoutes, type AgencyCredentials, type NotificationDeps } from '../channels/sms/notifications.js';
import { registerSimulator } from '../channels/simulator/route.js';
import type { SandboxInbox } from '../sms/sandbox-inbox.js';
import { registerAdmin, type AdminDeps } from '../channels/admin/route.js';
import type { FunnelRecorder } from '../observability/funnels.js';
import type { SmsCallbackSettings } from '../channels/sms/callback-auth.js';
import { registerSmsRoutes } from '../channels/sms/routes.js';
import type { SmsDispatcher } from '../sms/dispatcher.js';
import type { UssdPushService } from '../ussd-push/push-service.js';
import type { MessageStore } from '../sms/store/port.js';
import type { SmsOutbox } from '../sms/outbox.js';
import { registerUssdRoutes, type UssdRouteDeps } from '../channels/ussd/route.js';
import { registerSurveyRoutes } from '../channels/surveys/route.js';
import type { SurveyStore } from '../surveys/port.js';
import type { SurveyService } from '../surveys/survey-service.js';
import { limitBodySize } from './body-limit.js';
import { errorResponse, httpExceptionResponse } from './errors.js';
import { healthRoutes, metricsRoute } from './health.js';
import { registerApiDocs } from './openapi.js';
import { describeRoutes } from './route-descriptor.js';
import type { AuditLog } from '../audit/port.js';
import type { RateLimiter } from '../limits/rate/port.js';
import { floodGuard } from '../channels/ussd/flood-guard.js';
import type { MenuRegistry } from '../engine/menu-registry.js';
import type { Logger } from '../observability/logger.js';
import { noMetrics, type GatewayMetrics } from '../observability/metrics.js';
import { registerPaymentCallbackRoutes, type PaymentCallbackDeps } from '../payments/callback-route.js';
import { registerPaymentReport, type PaymentReportDeps } from '../payments/report-route.js';
import { secretsMatch } from '../lib/secrets.js';
import { registerStatusEventRoutes, type StatusEventDeps } from '../reminders/status-events-route.js';
import { registerAccessLogExportRoute, type AccessLogExportDeps } from '../access-log/export-route.js';
import type { Deferrals } from '../services/deferred-calls.js';
import type { ServiceRegistry } from '../services/service-registry.js';
import type { PreferenceStore, SessionStore } from '../sessions/port.js';

/** Everything the app needs from its runtime, injected: Node wires Redis, Workers wire Durable Objects. */
export interface AppDeps {
  menus: MenuRegistry;
  services: ServiceRegistry;
  sessions: SessionStore;
  preferences: PreferenceStore;
  dialects: readonly UssdDialect[];
  logger: Logger;
  /** Served at `GET /metrics` when given. */
  metrics?: GatewayMetrics;
  /** When set, `GET /metrics` needs `Authorization: Bearer <token>`. */
  metricsToken?: string;
  sessionTtlSeconds?: number;
  /** `RESUME_WINDOW_SECONDS` (the runtimes pass the configured one); absent: resuming off. */
  resumeWindowSeconds?: number;
  /** The hops' clock, for tests that move time; absent: `Date.now`. */
  now?: () => number;
  serviceDeadlineMs?: number;
  /** Per-provider settings (screen size, short codes, secret, allowed addresses), by dialect name. */
  providerSettings?: Readonly<Record<string, UssdProviderSettings>>;
  /** Where calls over their time budget finish in the background (answer by SMS). */
  deferrals?: Deferrals;
  /** The SMS channel: callbacks from SMS routes and the notification API, when wired. */
  sms?: {
    dispatcher: SmsDispatcher;
    store: MessageStore;
    agencies: Readonly<Record<string, AgencyCredentials>>;
    outbox: SmsOutbox;
    /** The secret and/or allowlist each SMS route's callbacks must show. */
    callbacks?: SmsCallbackSettings;
    /** Notifications asked as `channel: "ussd-push"`; absent: refused. */
    push?: UssdPushService;
  };
  /** Satisfaction surveys (`/v1/surveys`, ratings in SMS replies); needs `sms` for the agencies and the replies. */
  surveys?: { service: SurveyService; store: SurveyStore };
  /** Mobile-money callbacks; absent: no `/payments/*` routes. */
  payments?: PaymentCallbackDeps;
  /** The finance team's daily CSV at `/v1/payments/report`; absent: not served. */
  paymentReport?: PaymentReportDeps;
  /** Per-screen funnel counters the hops feed (`src/observability/funnels.ts`). */
  funnels?: FunnelRecorder;
  /** The operator's dashboard at `/admin` (needs `ADMIN_TOKEN`); absent: not served. */
  admin?: AdminDeps;
  /** Serve the web simulator at `/simulator` (development and agency test setups only). */
  simulator?: boolean;
  /** What the sandbox SMS route would have sent, shown beside the simulator's phone (`GET /simulator/sms`). */
  sandboxInbox?: SandboxInbox;
  /** What `/readyz` checks (Redis, links, menus); absent: ready whenever the process answers. */
  readiness?: () => Readiness;
  /** Keys the hashes that stand for what citizens typed in session records (`PII_HASH_KEY`). */
  piiHashKey?: string;
  /** The runtime's keyed hash for session records, when faster than Web Crypto's (Node). */
  hashText?: HopHandlerDeps['hashText'];
  /** SHA-256 for agency API keys (`NotificationDeps.digestSecret`); default Web Crypto's. */
  digestSecret?: SecretDigester;
  /** The caller's address as the runtime sees it, for provider allowlists. */
  clientIp?: (c: Context) => string | undefined;
  /** Where every notification and report call is recorded (`src/audit/`); absent: not audited. */
  audit?: AuditLog;
  /**
   * Rates counted over every instance (`src/limits/rate/`: Redis on Node with `REDIS_URL`, memory
   * otherwise): notifications per agency, USSD hops per caller number (0: no flood guard).
   * Absent: no rate limit.
   */
  rateLimits?: { limiter: RateLimiter; notificationsPerMinute: number; ussdHopsPerMinute: number };
  /** Who looked at my file: the agencies' export (`POST /v1/access-log/export`); absent: not served. */
  accessLog?: Omit<AccessLogExportDeps, 'audit' | 'logger'>;
  /** Reminders and the agencies' status-event API (`POST /v1/requests/status-events`); absent: not served. */
  reminders?: Omit<StatusEventDeps, 'audit' | 'logger'>;
}

/**
 * On every answer: no MIME sniffing (a screen or a CSV is never run as a page), and nothing kept by a
 * browser or a proxy cache (screens carry request statuses, API answers carry ids, the CSV money).
 * A route that wants caching says so itself.
 */
const securityHeaders: MiddlewareHandler = async function securityHeaders(c, next) {
  // Set on the context before the route runs: every response the route builds with `c.*` carries
  // them (a route's own Cache-Control replaces this one), without rebuilding its headers afterwards.
  c.header('x-content-type-options', 'nosniff');
  c.header('referrer-policy', 'no-referrer');
  c.header('cache-control', 'no-store');
  await next();
  // A response built outside the context (a middleware's own Response) still gets them.
  if (!c.res.headers.has('x-content-type-options')) {
    c.res.headers.set('x-content-type-options', 'nosniff');
    c.res.headers.set('referrer-policy', 'no-referrer');
    if (!c.res.headers.has('cache-control')) c.res.headers.set('cache-control', 'no-store');
  }
};

/** Each dependency by name, `ok` or what is wrong with it; ready only when every part is `ok`. */
export interface Readiness {
  ready: boolean;
  parts: Record<string, string>;
}

/** No provider sends more than a few hundred bytes per hop; anything larger is refused unread. */
export const MAX_BODY_BYTES = 8 * 1024;

/** What the hop handler needs, with defaults: shared by the HTTP routes and the SMPP channel. */
export function hopHandlerDeps(deps: AppDeps): HopHandlerDeps {
  return {
    menus: deps.menus,
    services: deps.services,
    sessions: deps.sessions,
    preferences: deps.preferences,
    logger: deps.logger,
    metrics: deps.metrics ?? noMetrics,
    sessionTtlSeconds: deps.sessionTtlSeconds ?? 180,
    serviceDeadlineMs: deps.serviceDeadlineMs ?? 2000,
    ...(deps.deferrals ? { deferrals: deps.deferrals } : {}),
    ...(deps.piiHashKey ? { piiHashKey: deps.piiHashKey } : {}),
    ...(deps.hashText ? { hashText: deps.hashText } : {}),
    ...(deps.funnels ? { funnels: deps.funnels } : {}),
    ...(deps.rateLimits && deps.rateLimits.ussdHopsPerMinute > 0
      ? { floodGuard: floodGuard(deps.rateLimits.limiter, { limit: deps.rateLimits.ussdHopsPerMinute, windowMs: 60_000 }, deps.logger) }
      : {}),
    ...(deps.resumeWindowSeconds ? { resumeWindowSeconds: deps.resumeWindowSeconds } : {}),
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.surveys ? { menuSurveys: deps.surveys.service } : {}),
  };
}

/** What the USSD routes get: the hop handler's deps with the dialects, provider settings and caller address. */
export function ussdRouteDeps(deps: AppDeps): UssdRouteDeps {
  return { ...deps, ...hopHandlerDeps(deps) };
}

/**
 * What the notification API gets (`/v1/notifications`), or undefined without the SMS channel: the
 * Hono route and the Node runtime's direct listener are built from this one set.
 */
export function notificationDeps(deps: AppDeps): NotificationDeps | undefined {
  if (!deps.sms) return undefined;
  return {
    dispatcher: deps.sms.dispatcher,
    store: deps.sms.store,
    preferences: deps.preferences,
    agencies: deps.sms.agencies,
    ...(deps.sms.push ? { push: deps.sms.push } : {}),
    ...(deps.audit ? { audit: deps.audit } : {}),
    logger: deps.logger,
    ...(deps.rateLimits ? { rateLimit: { limiter: deps.rateLimits.limiter, policy: { limit: deps.rateLimits.notificationsPerMinute, windowMs: 60_000 } } } : {}),
    ...(deps.digestSecret ? { digestSecret: deps.digestSecret } : {}),
  };
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();

  app.use('*', securityHeaders);
  app.use('*', limitBodySize(MAX_BODY_BYTES));

  app.get('/health', (c) => c.json({ status: 'ok' }));
  // Liveness: the process answers. Readiness: it can serve (a load balancer stops sending while not).
  app.get('/livez', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', (c) => {
    const readiness = deps.readiness?.() ?? { ready: true, parts: {} };
    return c.json({ status: readiness.ready ? 'ready' : 'not_ready', parts: readiness.parts }, readiness.ready ? 200 : 503);
  });
  describeRoutes(app, ...healthRoutes);
  const metrics = deps.metrics;
  if (metrics) {
    const token = deps.metricsToken;
    app.get('/metrics', async (c) => {
      if (token !== undefined && !(await secretsMatch(c.req.header('authorization') ?? '', `Bearer ${token}`))) {
        return errorResponse(c, 'unauthorized', 'metrics need Authorization: Bearer <METRICS_TOKEN>', { headers: { 'www-authenticate': 'Bearer' } });
      }
      const exposition = await metrics.render();
      return c.body(exposition.body, 200, { 'content-type': exposition.contentType });
    });
    describeRoutes(app, metricsRoute);
  }

  registerUssdRoutes(app, ussdRouteDeps(deps));
  if (deps.simulator) registerSimulator(app, deps);
  if (deps.admin) registerAdmin(app, deps.admin);
  if (deps.payments) registerPaymentCallbackRoutes(app, deps.payments);
  const audit = { ...(deps.audit ? { audit: deps.audit } : {}), logger: deps.logger };
  if (deps.paymentReport) registerPaymentReport(app, { ...deps.paymentReport, ...audit });
  if (deps.sms) {
    registerSmsRoutes(app, {
      services: deps.services,
      preferences: deps.preferences,
      outbox: deps.sms.outbox,
      logger: deps.logger,
      store: deps.sms.store,
      ...(deps.sms.callbacks ? { callbacks: deps.sms.callbacks } : {}),
      ...(deps.clientIp ? { clientIp: deps.clientIp } : {}),
      ...(deps.surveys ? { surveys: deps.surveys.service } : {}),
    });
    if (deps.surveys) registerSurveyRoutes(app, { surveys: deps.surveys.service, store: deps.surveys.store, agencies: deps.sms.agencies, ...audit });
    registerNotificationRoutes(app, notificationDeps(deps)!);
  }
  if (deps.reminders) registerStatusEventRoutes(app, { ...deps.reminders, ...audit });
  if (deps.accessLog) registerAccessLogExportRoute(app, { ...deps.accessLog, ...audit });
  registerApiDocs(app);

  app.notFound((c) => errorResponse(c, 'not_found', `no route for ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => {
    if (error instanceof HTTPException) return httpExceptionResponse(c, error);
    // A client that hangs up mid-upload is not our failure: nothing was read, nothing changed.
    if (c.req.raw.signal.aborted) {
      deps.logger.info({ path: c.req.path }, 'request aborted by the client');
      return errorResponse(c, 'bad_request', 'request aborted');
    }
    deps.logger.error({ path: c.req.path, err: error.message }, 'unhandled error');
    // What reaches here failed before anything was recorded (a store or queue away, mostly): a 503
    // with a retry hint makes a provider deliver the callback again rather than drop it.
    return errorResponse(c, 'unavailable', 'temporarily unavailable, retry later', { headers: { 'retry-after': '5' } });
  });
  return app;
}
