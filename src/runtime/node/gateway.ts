import { getConnInfo } from '@hono/node-server/conninfo';
import type { RedisOptions } from 'ioredis';
import { bullMqPrefixFor, createRedisClient, type RedisClient } from './redis-client.js';
import { pino } from 'pino';
import type { Hono } from 'hono';
import { ussdDialects } from '../../../providers/index.js';
import { createEmbeddedPayments } from '../../payments/embedded-payments.js';
import { PaymentProviderDirectory } from '../../payments/provider-directory.js';
import { RedisPaymentStore } from '../../payments/store/redis.js';
import { MemoryPaymentStore } from '../../payments/store/memory.js';
import { InProcessFunnels } from '../../observability/funnels.js';
import { CountingPaymentStore } from '../../observability/counting-stores.js';
import { storedSessionInspector } from '../../observability/ussd-funnel.js';
import { loadChartLibrary } from './admin-assets.js';
import { PAYMENT_PROMPT_POLICY } from '../../payments/menu-services.js';
import { MemorySessionStore } from '../../sessions/memory.js';
import { RedisSessionStore } from '../../sessions/redis.js';
import { WriteThroughSessionStore } from '../../sessions/write-through.js';
import { createApp, hopHandlerDeps, MAX_BODY_BYTES, notificationDeps, ussdRouteDeps, type AppDeps, type Readiness } from '../../http/app.js';
import type { RequestListener } from 'node:http';
import { ussdHttp } from '../../channels/ussd/route.js';
import { ussdFirst } from './ussd-listener.js';
import { notificationsFirst } from './notification-listener.js';
import { paymentCallbacksFirst } from './payment-callback-listener.js';
import { PaymentCallbackHttp, type PaymentCallbackDeps } from '../../payments/callback-route.js';
import { NotificationHttp } from '../../channels/sms/notifications.js';
import type { Config } from '../../config.js';
import { MenuRegistry } from '../../engine/menu-registry.js';
import type { Logger } from '../../observability/logger.js';
import { MemoryAttemptLimiter } from '../../limits/memory.js';
import { IDENTITY_PROOF_POLICY, type AttemptLimiter } from '../../limits/port.js';
import { clientAddress } from '../../lib/ip-address.js';
import { createServices } from '../../services/create-services.js';
import type { ServiceHandler } from '../../services/service-registry.js';
import { MemoryCache } from '../../cache/memory.js';
import type { Cache } from '../../cache/port.js';
import { BullMqJobQueue } from '../../jobs/bullmq.js';
import type { JobQueue } from '../../jobs/port.js';
import { MemoryJobQueue } from '../../jobs/memory.js';
import { createDeferrals, processDeferredCalls } from '../../services/deferred-calls.js';
import { loadAppointmentsConfig, loadCcspData, loadMenuFiles } from './menu-files.js';
import { createPortal } from './portal-wiring.js';
import { nodeSecretDigest, nodeTextHasher } from './text-hasher.js';
import { RedisAttemptLimiter } from '../../limits/redis.js';
import type { RateLimiter } from '../../limits/rate/port.js';
import { MemoryRateLimiter } from '../../limits/rate/memory.js';
import { RedisRateLimiter } from '../../limits/rate/redis.js';
import { RedisBreakerStore } from '../../limits/breaker/redis.js';
import { RedisCache } from '../../cache/redis.js';
import { createSmsChannel } from './sms-wiring.js';
import { watchMenuDir } from './menu-watch.js';
import { createPrometheusMetrics } from './prometheus-metrics.js';
import { FileAuditLog } from './audit-file.js';
import { LoggerAuditLog } from '../../audit/log.js';
import { SmppLink } from './smpp/smpp-link.js';
import { MemorySurveyStore } from '../../surveys/memory.js';
import { RedisSurveyStore } from '../../surveys/redis.js';
import { createSurveyService, type SurveyService } from '../../surveys/survey-service.js';
import { serveUssdOverSmpp } from './smpp/smpp-ussd-channel.js';
import { createSmppUssdPushRoute } from './smpp/smpp-ussd-push.js';
import { UssdPushService } from '../../ussd-push/push-service.js';
import type { UssdPushRoute } from '../../ussd-push/port.js';
import { loadReminderFiles } from './reminder-files.js';
import { AppointmentCalendar } from '../../appointments/calendar.js';
import { AppointmentService } from '../../appointments/appointment-service.js';
import { MemoryAppointmentBook } from '../../appointments/memory.js';
import { RedisAppointmentBook } from '../../appointments/redis.js';
import { ReminderService, capsFrom } from '../../reminders/reminders.js';
import { PaymentEventsStore } from '../../reminders/payment-events.js';
import { RedisReminderStore } from '../../reminders/store/redis.js';
import { RedisAccessLogStore } from '../../access-log/redis.js';
import { MemoryAccessLogStore } from '../../access-log/memory.js';
import { withAccessLog } from '../../access-log/recorder.js';
import { seedDemoAccessLog } from '../../access-log/demo.js';
import { nodeAccessLogHolderKey, nodeSha256Hex } from './access-log-hashing.js';
import { DEFAULT_PII_HASH_KEY } from '../../services/holder-proof.js';
import { MemoryReminderStore } from '../../reminders/store/memory.js';
import { MemoryEnrolmentStore } from '../../careers/enrolment/memory.js';
import { RedisEnrolmentStore } from '../../careers/enrolment/redis.js';
import { keepAliveFetch } from './http-client.js';

export interface Gateway {
  app: Hono;
  /** What `/readyz` reports: each dependency, `ok` or why not. */
  readiness(): Readiness;
  menus: MenuRegistry;
  logger: Logger;
  /**
   * The `node:http` listener to serve: USSD hops answered directly (`ussd-listener.ts`), every
   * other request handed to `honoListener` (@hono/node-server's listener for `app.fetch`).
   */
  requestListener(honoListener: RequestListener): RequestListener;
  /** Re-reads the menu files; on a bad file, keeps serving the current menus and says why. */
  reloadMenus(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * ioredis as hops need it: a command never waits for Redis to come back (no offline queue, one
 * retry) and never waits on a frozen Redis longer than the hop's budget for it (`commandTimeout`),
 * so a citizen gets "Service momentanément indisponible" in a fixed time; reconnection goes on in
 * the background, at most a second apart.
 */
export function redisOptionsForHops(): RedisOptions {
  return {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    commandTimeout: REDIS_COMMAND_BUDGET_MS,
    connectTimeout: 2_000,
    enableAutoPipelining: true,
    lazyConnect: true,
    retryStrategy: (attempt) => Math.min(100 * attempt, 1_000),
  };
}

/** How long one Redis command may take inside a hop before the hop gives up on it. */
export const REDIS_COMMAND_BUDGET_MS = 300;

/**
 * Wires the Node runtime (`options.now`: the clock quiet hours are read on, for tests): the one place
 * that knows about the file system, ioredis and pino. Without Redis (`REDIS_URL`, `REDIS_CLUSTER_NODES`
 * or `REDIS_SENTINELS`) it is the embedded default: in-memory sessions and the demo portal.
 */
export async function createNodeGateway(
  config: Config,
  logger: Logger = pino({ level: config.logLevel }),
  /** `now`: the clock of hops, in-memory sessions and quiet hours, for tests and transcripts that let time pass (`guichet menus test`). */
  options: {
    now?: () => number;
    /**
     * The career enrolment codes (`guichet menus test` replays transcripts with a known code; the
     * loopback-SMSC test reads the real one off the wire). Default: six random digits.
     */
    careerCode?: () => string;
  } = {},
): Promise<Gateway> {
  // AUDIT_LOG_FILE (opened first: a path it cannot write stops the start before anything runs), else the log stream.
  const audit = config.auditLogFile ? await FileAuditLog.open(config.auditLogFile) : new LoggerAuditLog(logger);
  let redis: RedisClient | undefined;
  let store: MemorySessionStore | RedisSessionStore;
  let cache: Cache;
  let jobs: JobQueue;
  let attempts: AttemptLimiter;
  // Rates and breakers: in Redis, every instance counts into one state; in memory, this process's own.
  let rates: RateLimiter;
  let breakerStore: RedisBreakerStore | undefined;
  const redisTarget = config.redis;
  if (redisTarget) {
    redis = createRedisClient(redisTarget, redisOptionsForHops());
    let lastRedisError = '';
    redis.on('error', (err: Error) => {
      // One line per distinct failure, not one per reconnection attempt.
      if (err.message !== lastRedisError) logger.warn({ err: err.message }, 'redis connection error');
      lastRedisError = err.message;
    });
    redis.on('ready', () => {
      if (lastRedisError) logger.info({}, 'redis connection back');
      lastRedisError = '';
    });
    // Not awaited: a gateway started while Redis is down serves polite ENDs, reports not-ready on
    // /readyz and connects by itself when Redis comes back.
    redis.connect().catch(() => {});
    // REDIS_PREFIX names every key, so two deployments can share a Redis.
    store = new RedisSessionStore(redis, { prefix: config.redisPrefix });
    cache = new RedisCache(redis, `${config.redisPrefix}cache:`);
    const prefix = bullMqPrefixFor(redisTarget, config.redisPrefix);
    jobs = new BullMqJobQueue(
      redisTarget.kind === 'url'
        ? { redisUrl: redisTarget.url, prefix }
        : // Workers block on Redis and must wait it out; producers inside HTTP handlers fail fast.
          { connect: (forWorker) => createRedisClient(redisTarget, { maxRetriesPerRequest: forWorker ? null : 1, connectTimeout: 2_000 }), prefix },
    );
    attempts = new RedisAttemptLimiter(redis, IDENTITY_PROOF_POLICY, `${config.redisPrefix}attempts:`);
    rates = new RedisRateLimiter(redis, `${config.redisPrefix}rate:`);
    breakerStore = new RedisBreakerStore(redis, `${config.redisPrefix}breaker:`);
    if (!config.piiHashKey) logger.warn({}, 'PII_HASH_KEY is not set: attempt counters are keyed with the built-in key; set one per deployment');
  } else {
    store = new MemorySessionStore(options.now);
    cache = new MemoryCache();
    jobs = new MemoryJobQueue();
    attempts = new MemoryAttemptLimiter();
    rates = new MemoryRateLimiter();
  }

  // Funnels, sessions, payments and SMS, counted in this process's memory (nothing on a hop goes to
  // Redis for them); a session due to expire is read back once, to leave it to another instance
  // that carried it on.
  const funnels = new InProcessFunnels({ sessionTtlSeconds: config.sessionTtlSeconds, inspect: (key, tracked) => inspectSession(key, tracked) });
  const funnelSweep = setInterval(() => void funnels.sweep().catch(() => {}), 1000);
  funnelSweep.unref();

  const upstream = await createPortal(config, cache, logger, breakerStore);
  const { agents, breakers: portalBreakers, close: closePortal } = upstream;
  // Who looked at my file: every lookup through the portal port is written to its holder's log,
  // in Redis when configured (every instance appends to one chain), else in this process's memory.
  const accessLog = redis ? new RedisAccessLogStore(redis, { prefix: config.redisPrefix, sha256: nodeSha256Hex }) : new MemoryAccessLogStore(undefined, nodeSha256Hex);
  const piiHashKey = config.piiHashKey ?? DEFAULT_PII_HASH_KEY;
  if (!redis && config.portal === 'demo') await seedDemoAccessLog(accessLog, piiHashKey, (options.now ?? Date.now)());
  const portal = withAccessLog(upstream.portal, { store: accessLog, piiHashKey, holderKey: nodeAccessLogHolderKey(piiHashKey), logger, ...(options.now ? { now: options.now } : {}) });
  const ccsp = await loadCcspData(config.menusDir);
  // The SMS channel answers STATUT from this registry, and payments send through the channel: the
  // channel is handed the registry object now, filled by createServices once payments exist, in
  // the same synchronous stretch (no SMS can be read in between).
  const services: Record<string, ServiceHandler> = {};
  const surveysForSms: { current?: SurveyService } = {};
  const sms = createSmsChannel({ config, redis, queue: jobs, preferences: store, services, logger, funnels, surveys: surveysForSms });
  // Satisfaction surveys: questions leave through the SMS channel, answers come back through it.
  const surveyStore = redis ? new RedisSurveyStore(redis, `${config.redisPrefix}surveys:`) : new MemorySurveyStore();
  const surveys = createSurveyService({ store: surveyStore, outbox: sms.dispatcher, preferences: store, logger, ...(config.piiHashKey ? { piiHashKey: config.piiHashKey } : {}) });
  surveysForSms.current = surveys;
  // USSD pushes (USSD_PUSH_ROUTES): MADAPI's now, each SMPP link's once it exists (below); started then.
  const pushRoutes: Record<string, UssdPushRoute> = Object.fromEntries(config.ussdPush.routes.map((route) => [route.route, route.create()]));
  const push = new UssdPushService({ dispatcher: sms.dispatcher, store: sms.store, queue: jobs, routes: pushRoutes, routing: config.ussdPush.routing, ratePerSecond: config.ussdPush.rates, logger, ...(options.now ? { now: options.now } : {}) });

  // Reminders (menus/reminders/<agency>.yaml): delayed jobs on the same queue, SMS through the dispatcher.
  const reminders = new ReminderService({
    rules: await loadReminderFiles(config.menusDir),
    store: redis ? new RedisReminderStore(redis, config.redisPrefix) : new MemoryReminderStore(),
    queue: jobs,
    outbox: sms.dispatcher,
    preferences: store,
    logger,
    caps: capsFrom(config.reminders),
  });
  reminders.start();

  // Payments: the sandbox and memory by default; with Redis, the Redis store and durable BullMQ
  // jobs, so a crash between "paid" and "portal told" loses nothing.
  // Every payment API named by PAYMENT_PROVIDER or PAYMENT_ROUTES (its variables checked by loadConfig).
  const paymentDirectory = new PaymentProviderDirectory(
    // Their HTTP calls go over the keep-alive client (the Worker's keep the global fetch).
    config.paymentApis.map((api) => api.create({ fetch: keepAliveFetch })),
    config.paymentRoutes,
    config.paymentProvider,
  );
  const payments = createEmbeddedPayments(portal, {
    logger,
    providers: paymentDirectory,
    concurrency: config.paymentJobConcurrency,
    // This process runs the payment jobs: callback hints are confirmed here, the durable job behind.
    hintsInProcess: { concurrency: config.paymentHintConcurrency },
    jobs,
    sms: sms.dispatcher,
    // Receipts in each citizen's language, as chosen by SMS or in the menu.
    preferences: store,
    // The pay path's NPI proof counts with tracking's; its prompt counters are shared by every instance.
    holderProof: { attempts, ...(config.piiHashKey ? { piiHashKey: config.piiHashKey } : {}) },
    // Created and succeeded payments are told to reminders ("payment not finished").
    store: new CountingPaymentStore(new PaymentEventsStore(redis ? new RedisPaymentStore(redis, config.redisPrefix) : new MemoryPaymentStore(), reminders, logger), funnels),
    ...(redis ? { prompts: new RedisAttemptLimiter(redis, PAYMENT_PROMPT_POLICY, `${config.redisPrefix}payprompts:`) } : {}),
  });
  // CCSP appointments (menus/rendez-vous.yaml): the book in Redis when configured, its SMS through
  // the dispatcher, reminders the day before as delayed jobs on the same queue.
  // A menus directory without data/appointments.yaml takes no appointments.
  const appointmentsConfig = await loadAppointmentsConfig(config.menusDir);
  let appointments: AppointmentService | undefined;
  if (appointmentsConfig) {
    const appointmentCalendar = new AppointmentCalendar(ccsp, appointmentsConfig);
    appointments = new AppointmentService({
      calendar: appointmentCalendar,
      book: redis ? new RedisAppointmentBook(redis, appointmentCalendar, { prefix: `${config.redisPrefix}appt:` }) : new MemoryAppointmentBook(appointmentCalendar, options.now),
      outbox: sms.dispatcher,
      queue: jobs,
      preferences: store,
      logger,
      attempts,
      ...(config.piiHashKey ? { piiHashKey: config.piiHashKey } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
    appointments.start();
  }
    // Career and pension (menu carriere): enrolments shared by every instance when Redis is there;
  // the codes leave through the SMS dispatcher, on the caller's operator route.
  const careers = {
    records: agents,
    enrolments: redis ? new RedisEnrolmentStore(redis, `${config.redisPrefix}careers:`) : new MemoryEnrolmentStore(),
    outbox: sms.dispatcher,
    rates,
    preferences: store,
    onNoticeFailed: (error: unknown) => logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'career file takeover: the previous number was not told'),
    ...(options.careerCode ? { newCode: options.careerCode } : {}),
    ...(options.now ? { now: options.now } : {}),
  };
  Object.assign(services, createServices({ portal, attempts, piiHashKey: config.piiHashKey, ccsp, payments, accessLog, careers, ...(appointments ? { appointments } : {}) }));
  // This process runs the payment jobs, and sweeps overdue payments every minute.
  const stopPaymentSweep = payments.start({ reconcileEveryMs: 60_000 });

  const menus = new MenuRegistry(await loadMenuFiles(config.menusDir, services));
  const inspectSession = storedSessionInspector(store, menus);
  processDeferredCalls(jobs, { menus, services, outbox: sms.dispatcher, logger });

  // The payment callback route's parts: the Hono route and the direct listener are built from this one set.
  const paymentCallbackDeps: PaymentCallbackDeps = { providers: payments.providers, store: payments.store, apply: payments.apply, enqueueHintConfirmation: payments.enqueueHintConfirmation, logger };
  const appDeps: AppDeps = {
    menus,
    services,
    // With Redis, the records this process saved last are kept beside it: the next hop of a
    // session answered here saves without loading first (`write-through.ts`).
    sessions: store instanceof RedisSessionStore ? new WriteThroughSessionStore(store) : store,
    preferences: store,
    dialects: ussdDialects,
    logger,
    ...(config.metrics.served
      ? {
          metrics: createPrometheusMetrics({
            ...(redis ? { redisUp: () => redis?.status === 'ready' } : {}),
            smppLinks: () => smppLinks.map((link, i) => ({ link: config.smppUssdLinks[i]!.provider, bound: link.isBound })),
            breakers: portalBreakers,
            ...(jobs instanceof BullMqJobQueue ? { queueDepths: () => (jobs as BullMqJobQueue).depths() } : {}),
            funnels,
            accessLog: () => portal.counts(),
            paymentHints: () => payments.hintsPending(),
          }),
        }
      : {}),
    ...(config.metrics.token ? { metricsToken: config.metrics.token } : {}),
    sessionTtlSeconds: config.sessionTtlSeconds,
    resumeWindowSeconds: config.resumeWindowSeconds,
    ...(options.now ? { now: options.now } : {}),
    serviceDeadlineMs: config.serviceDeadlineMs,
    providerSettings: config.providerSettings,
    simulator: config.simulator,
    ...(sms.sandboxInbox ? { sandboxInbox: sms.sandboxInbox } : {}),
    funnels,
    ...(config.adminToken
      ? {
          admin: {
            token: config.adminToken,
            funnels,
            menus,
            chartLibrary: loadChartLibrary(),
            payments: payments.store,
            smppLinks: () => smppLinks.map((link, i) => ({ link: config.smppUssdLinks[i]!.provider, bound: link.isBound })),
            breakers: portalBreakers,
            surveys: surveyStore,
          },
        }
      : {}),
    deferrals: createDeferrals(jobs),
    sms: { dispatcher: sms.dispatcher, store: sms.store, agencies: config.sms.agencies, outbox: sms.dispatcher, callbacks: config.sms.callbacks, push },
    surveys: { service: surveys, store: surveyStore },
    payments: paymentCallbackDeps,
    ...(Object.keys(config.reportApiKeys).length > 0 ? { paymentReport: { store: payments.store, apiKeys: config.reportApiKeys } } : {}),
    ...(config.piiHashKey ? { piiHashKey: config.piiHashKey } : {}),
    hashText: nodeTextHasher(config.piiHashKey),
    digestSecret: nodeSecretDigest,
    clientIp: (c) => clientAddress(getConnInfo(c).remote.address, c.req.header('x-forwarded-for'), config.trustProxy),
    audit,
    rateLimits: { limiter: rates, notificationsPerMinute: config.rateLimits.notificationsPerMinute, ussdHopsPerMinute: config.rateLimits.ussdHopsPerMinute },
    reminders: { reminders, agencies: config.sms.agencies },
    accessLog: { store: accessLog, agencies: config.sms.agencies, exportAgencies: config.accessLogExportAgencies, piiHashKey },
  };
  const app = createApp({ ...appDeps, readiness: () => readiness() });
  const ussd = ussdHttp(ussdRouteDeps(appDeps));
  // The notification API's POST, answered straight from node:http like the USSD hops (issue 18 part 3).
  // Without an SMS part the app has no such route either: Hono answers it (404), as before.
  const notificationRoute = notificationDeps(appDeps);
  const notifications = notificationRoute ? new NotificationHttp(notificationRoute) : undefined;
  // Payment providers' callbacks too (issue 18 part 2): the app always has that route here.
  const callbacks = new PaymentCallbackHttp(paymentCallbackDeps);
  const requestListener = (honoListener: RequestListener): RequestListener => {
    const behind = paymentCallbacksFirst(callbacks, honoListener, { maxBodyBytes: MAX_BODY_BYTES, logger });
    return ussdFirst(
      ussd,
      notifications ? notificationsFirst(notifications, behind, { maxBodyBytes: MAX_BODY_BYTES, audit: { audit, logger } }) : behind,
      {
        maxBodyBytes: MAX_BODY_BYTES,
        clientIp: (socketAddress, forwardedFor) => clientAddress(socketAddress, forwardedFor, config.trustProxy),
        logger,
      },
    );
  };

  // Operators' SMSC links carrying USSD: long-lived connections owned by this process.
  const smppLinks = config.smppUssdLinks.map((linkConfig) => {
    const link = new SmppLink(linkConfig, logger);
    // The same provider settings as an HTTP provider (USSD_SMPP_<OP>_SERVICE_CODES, _ENCODING, _SCREEN_LIMIT).
    const settings = config.providerSettings[linkConfig.provider];
    serveUssdOverSmpp(hopHandlerDeps(appDeps), link, {
      provider: linkConfig.provider,
      screenLimit: linkConfig.screenLimit,
      ...(linkConfig.sessionInfo ? { sessionInfo: linkConfig.sessionInfo } : {}),
      ...(settings ? { settings } : {}),
    });
    if (config.ussdPush.onSmppLinks && Object.values(config.ussdPush.routing).includes(linkConfig.provider)) {
      pushRoutes[linkConfig.provider] = createSmppUssdPushRoute(linkConfig.provider, link, { from: config.ussdPush.from, confirmTimeoutMs: config.ussdPush.confirmTimeoutMs });
    }
    link.start();
    return link;
  });
  push.start();
  async function reloadMenus(): Promise<boolean> {
    try {
      const loaded = await loadMenuFiles(config.menusDir, services);
      menus.replace(loaded);
      logger.info({ menus: loaded.map((m) => `${m.id}@${m.version}`) }, 'menus reloaded');
      return true;
    } catch (error) {
      logger.error({ err: error instanceof Error ? error.message : String(error) }, 'menus not reloaded: keeping the current ones');
      return false;
    }
  }
  const stopWatching = config.watchMenus ? watchMenuDir(config.menusDir, async () => void (await reloadMenus()), logger) : () => {};

  const readiness = (): Readiness => {
    const parts: Record<string, string> = { menus: menus.all().length > 0 ? 'ok' : 'no menus loaded' };
    if (redis) parts.redis = redis.status === 'ready' ? 'ok' : `not connected (${redis.status})`;
    return { ready: Object.values(parts).every((part) => part === 'ok'), parts };
  };

  return {
    app,
    readiness,
    menus,
    logger,
    requestListener,
    reloadMenus,
    async close() {
      stopWatching();
      stopPaymentSweep();
      clearInterval(funnelSweep);
      await Promise.all(smppLinks.map((link) => link.stop()));
      await payments.handOverHints();
      await jobs.close();
      await sms.close();
      // The last lookups' entries, before their store goes.
      await portal.settled();
      await closePortal();
      await redis?.quit();
      await audit.close();
    },
  };
}
