import type { Context, Hono } from 'hono';
import { ussdDialects } from '../../../providers/index.js';
import type { ConfiguredSmsRoute, SmsRouteRuntime } from '../../../providers/manifest.js';
import { LoggerAuditLog } from '../../audit/log.js';
import { MemoryCache } from '../../cache/memory.js';
import { loadConfig, type Config } from '../../config.js';
import { MenuRegistry } from '../../engine/menu-registry.js';
import { createApp, type AppDeps } from '../../http/app.js';
import type { JobQueue } from '../../jobs/port.js';
import { MemoryAttemptLimiter } from '../../limits/memory.js';
import { IDENTITY_PROOF_POLICY } from '../../limits/port.js';
import type { Logger } from '../../observability/logger.js';
import { createEmbeddedPayments } from '../../payments/embedded-payments.js';
import { PaymentProviderDirectory } from '../../payments/provider-directory.js';
import type { PaymentStore } from '../../payments/store/port.js';
import { DurableObjectEnrolmentStore } from '../../careers/enrolment/durable-object.js';
import { MemoryEnrolmentStore } from '../../careers/enrolment/memory.js';
import { unavailableAppointmentServices } from '../../appointments/unavailable.js';
import { createServices } from '../../services/create-services.js';
import { createDeferrals, processDeferredCalls } from '../../services/deferred-calls.js';
import type { ServiceHandler } from '../../services/service-registry.js';
import { DurableObjectSessionStore, type DurableNamespace } from '../../sessions/durable-object.js';
import { recordDeliveryReport } from '../../sms/delivery-reports.js';
import { SmsDispatcher } from '../../sms/dispatcher.js';
import { handleInboundSms } from '../../sms/inbound.js';
import type { SmsRoute } from '../../sms/port.js';
import type { MessageStore } from '../../sms/store/port.js';
import { DurableObjectRateLimiter } from '../../limits/rate/durable-object.js';
import { fetchAfricasTalkingSend } from './africastalking-fetch.js';
import { bundledCcspData, bundledMenus } from './bundled-menus.js';
import { createWorkerPortal, type FetcherBinding } from './portal.js';
import type { QueueBatch } from './platform.js';

/**
 * The bindings wrangler.toml declares (Durable Objects, Queues, the mTLS certificate) and the
 * Worker's variables and secrets, which arrive on the same `env` object as strings.
 */
export interface WorkerBindings {
  SESSIONS: DurableNamespace;
  /** Rate limits (notifications per agency, USSD hops per number) shared by every isolate. */
  RATE_LIMITS?: DurableNamespace;
  /** Career enrolments shared by every isolate (`CareerEnrolmentObject`); unbound: per isolate, in memory. */
  CAREER_ENROLMENTS?: DurableNamespace;
  /** `[[mtls_certificates]]` binding: its `fetch` presents the client certificate to the security server. */
  XROAD_MTLS?: FetcherBinding;
  [name: string]: unknown;
}

/** What the Worker's stores and queue are built on: supplied by `main.ts` from the bindings (`platform.ts`). */
export interface WorkerPlatform {
  jobs: JobQueue;
  paymentStore: PaymentStore;
  messageStore: MessageStore;
  /** Hands a batch from Cloudflare Queues to the handlers registered on `jobs`. */
  handleBatch(batch: QueueBatch): Promise<void>;
}

export interface WorkerGateway {
  app: Hono;
  config: Config;
  platform: WorkerPlatform;
  /** The sweeps Node runs on timers (overdue payments, SMS past their validity): the Worker's `scheduled()` runs them. */
  sweep(): Promise<{ paymentsReconciled: number; smsExpired: number }>;
}

/** Start-up refused: the configuration asks for something a Worker cannot do. Answered on every request, logged once. */
export class WorkerStartupError extends Error {
  override name = 'WorkerStartupError';
}

/** The variables and secrets among the bindings: the strings, as `loadConfig` reads `process.env` on Node. */
export function environmentOf(bindings: Readonly<Record<string, unknown>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(bindings)) if (typeof value === 'string') env[name] = value;
  return env;
}

/**
 * What only Node can do, refused with the reason: an SMPP bind is a TCP session the gateway keeps
 * open for hours and answers on at any time, while a Worker lives for one request (or one batch).
 */
export function workerRefusals(config: Config): string[] {
  const refusals: string[] = [];
  const smppUssd = config.smppUssdLinks.map((link) => link.provider);
  if (smppUssd.length > 0) {
    refusals.push(
      `SMPP cannot run on Cloudflare Workers: USSD over SMPP (${smppUssd.join(', ')}) needs a bind held open for hours, and a Worker lives for one request. Unset the SMPP_USSD_* variables here and serve those links from the Node gateway (npm start).`,
    );
  }
  const smppSms = config.sms.routes.filter((route) => route.link === 'smpp').map((route) => route.route);
  if (smppSms.length > 0) {
    refusals.push(
      `SMPP cannot run on Cloudflare Workers: the SMS route(s) ${smppSms.join(', ')} need an SMPP bind held open, and a Worker lives for one request. Route those operators to kannel, africastalking or sandbox in SMS_ROUTES, or run the Node gateway.`,
    );
  }
  const tls = config.xroad.tls;
  if (tls.cert || tls.key) {
    refusals.push(
      'XROAD_TLS_CERT and XROAD_TLS_KEY are files read by the Node gateway; a Worker has no files: upload the client certificate (npx wrangler mtls-certificate upload) and bind it as XROAD_MTLS in wrangler.toml ([[mtls_certificates]]).',
    );
  }
  if (tls.ca) {
    refusals.push(
      "XROAD_TLS_CA cannot be honoured on Cloudflare Workers: a Worker's fetch trusts the public CAs only and cannot pin a private one. Give the security server a publicly trusted certificate (its client-side check is the mTLS binding XROAD_MTLS), or run the Node gateway.",
    );
  }
  return refusals;
}

/**
 * Wires the whole gateway on Workers, the twin of `createNodeGateway`: the same `createApp`,
 * configuration from the bindings through the same `loadConfig`, sessions in Durable Objects,
 * payments and SMS on the platform's stores and queue, the portal over `fetch`. Built once per
 * isolate, on its first request (bindings arrive with it). Throws `WorkerStartupError` for a
 * configuration a Worker cannot serve.
 */
export function createWorkerGateway(bindings: WorkerBindings, platform: WorkerPlatform, logger: Logger): WorkerGateway {
  const config = loadConfig({ MENUS_WATCH: '0', ...environmentOf(bindings) });
  const refusals = workerRefusals(config);
  if (refusals.length > 0) throw new WorkerStartupError(refusals.join('\n'));

  const sessions = new DurableObjectSessionStore(bindings.SESSIONS);
  const { jobs, paymentStore, messageStore } = platform;
  // Per isolate: the catalogue cache and the attempt counters (identity proofs, payment prompts).
  // The counters are per isolate on Workers, not shared (issue 15 part 2 moves them to a shared store).
  const cache = new MemoryCache();
  const attempts = new MemoryAttemptLimiter(IDENTITY_PROOF_POLICY);
  const { portal, agents } = createWorkerPortal(config, cache, logger, bindings.XROAD_MTLS);

  // As on Node: the SMS channel answers STATUT from this registry, filled once payments exist.
  const services: Record<string, ServiceHandler> = {};
  const routes: Record<string, SmsRoute> = {};
  let dispatcher: SmsDispatcher | undefined;
  const build = (configured: ConfiguredSmsRoute, runtime: SmsRouteRuntime): SmsRoute => {
    switch (configured.link) {
      case 'none':
        return configured.create(runtime);
      case 'africastalking-sdk':
        // The SDK is axios on Node's http; its one call (SMS.send) is a form POST, made here with fetch.
        return configured.create(runtime, fetchAfricasTalkingSend(configured.settings));
      case 'smpp':
        // Refused above (workerRefusals); kept exhaustive for the compiler.
        throw new WorkerStartupError(`SMPP cannot run on Cloudflare Workers (route ${configured.route})`);
    }
  };
  for (const configured of config.sms.routes) {
    routes[configured.route] = build(configured, {
      logger,
      callbacks: config.sms.callbacks[configured.route],
      recordReport: (report) => recordDeliveryReport(messageStore, report, logger),
      receive: (sms) => handleInboundSms({ services, preferences: sessions, outbox: dispatcher!, logger, claims: messageStore }, sms),
    });
  }
  dispatcher = new SmsDispatcher({
    store: messageStore,
    preferences: sessions,
    queue: jobs,
    routes,
    routing: config.sms.routing,
    transliterate: config.sms.transliterate,
    maxSegments: config.sms.maxSegments,
    ratePerSecond: config.sms.rates,
    validityHours: config.sms.validityHours,
    logger,
  });
  // Registers each route's queue handler; its expiry timer is Node's business (the Worker's sweep is scheduled()).
  dispatcher.start();
  dispatcher.stop();

  const payments = createEmbeddedPayments(portal, {
    logger,
    providers: new PaymentProviderDirectory(
      config.paymentApis.map((api) => api.create()),
      config.paymentRoutes,
      config.paymentProvider,
    ),
    concurrency: config.paymentJobConcurrency,
    jobs,
    sms: dispatcher,
    preferences: sessions,
    holderProof: { attempts, ...(config.piiHashKey ? { piiHashKey: config.piiHashKey } : {}) },
    store: paymentStore,
  });
  // No shared appointment book on Workers yet (a Durable Object adapter is the missing piece): the
  // appointment menu answers "Service momentanément indisponible" instead of booking per isolate.
  // Career enrolments in Durable Objects when bound (every isolate sees them); per isolate otherwise.
  const careers = {
    records: agents,
    enrolments: bindings.CAREER_ENROLMENTS ? new DurableObjectEnrolmentStore(bindings.CAREER_ENROLMENTS) : new MemoryEnrolmentStore(),
    outbox: dispatcher,
    preferences: sessions,
    onNoticeFailed: (error: unknown) => logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'career file takeover: the previous number was not told'),
    ...(bindings.RATE_LIMITS ? { rates: new DurableObjectRateLimiter(bindings.RATE_LIMITS) } : {}),
  };
  Object.assign(services, createServices({ portal, attempts, piiHashKey: config.piiHashKey, ccsp: bundledCcspData(), payments, careers, appointments: { services: unavailableAppointmentServices() } }));
  // The job handlers only: the overdue sweep is the Worker's scheduled() (a timer does not outlive a request).
  payments.start();

  const menus = new MenuRegistry(bundledMenus(services));
  processDeferredCalls(jobs, { menus, services, outbox: dispatcher, logger });

  const appDeps: AppDeps = {
    menus,
    services,
    sessions,
    preferences: sessions,
    dialects: ussdDialects,
    logger,
    sessionTtlSeconds: config.sessionTtlSeconds,
    serviceDeadlineMs: config.serviceDeadlineMs,
    resumeWindowSeconds: config.resumeWindowSeconds,
    providerSettings: config.providerSettings,
    // Off unless SIMULATOR=1: a Worker is always on a public address (HOST means nothing here).
    simulator: environmentOf(bindings).SIMULATOR === '1',
    deferrals: createDeferrals(jobs),
    sms: { dispatcher, store: messageStore, agencies: config.sms.agencies, outbox: dispatcher, callbacks: config.sms.callbacks },
    payments: { providers: payments.providers, store: payments.store, apply: payments.apply, enqueueHintConfirmation: payments.enqueueHintConfirmation, logger },
    ...(Object.keys(config.reportApiKeys).length > 0 ? { paymentReport: { store: payments.store, apiKeys: config.reportApiKeys } } : {}),
    ...(config.piiHashKey ? { piiHashKey: config.piiHashKey } : {}),
    clientIp: workerClientIp,
    audit: new LoggerAuditLog(logger),
    // The same limits as Node; without the binding (an older wrangler.toml) there are none rather than per-isolate ones that would not hold.
    ...(bindings.RATE_LIMITS
      ? { rateLimits: { limiter: new DurableObjectRateLimiter(bindings.RATE_LIMITS), notificationsPerMinute: config.rateLimits.notificationsPerMinute, ussdHopsPerMinute: config.rateLimits.ussdHopsPerMinute } }
      : {}),
    readiness: () => {
      const parts = { menus: menus.all().length > 0 ? 'ok' : 'no menus loaded' };
      return { ready: parts.menus === 'ok', parts };
    },
  };
  const app = createApp(appDeps);
  const smsDispatcher = dispatcher;
  return {
    app,
    config,
    platform,
    async sweep() {
      const paymentsReconciled = await payments.reconcileOverdue();
      const smsExpired = await smsDispatcher.expireOverdue();
      return { paymentsReconciled, smsExpired };
    },
  };
}

/**
 * The caller's address for provider allowlists: Cloudflare's edge sets `CF-Connecting-IP` itself
 * (a client's own copy of the header is replaced), so unlike `X-Forwarded-For` it can be believed.
 */
function workerClientIp(c: Context): string | undefined {
  return c.req.header('cf-connecting-ip') ?? undefined;
}
