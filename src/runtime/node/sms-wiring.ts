import { SandboxInbox } from '../../sms/sandbox-inbox.js';
import type { RedisClient } from './redis-client.js';
import AfricasTalking from 'africastalking';
import type { ConfiguredSmsRoute, SmsRouteRuntime } from '../../../providers/manifest.js';
import type { PreferenceStore } from '../../sessions/port.js';
import type { Config } from '../../config.js';
import type { JobQueue } from '../../jobs/port.js';
import type { Logger } from '../../observability/logger.js';
import type { ServiceRegistry } from '../../services/service-registry.js';
import { recordDeliveryReport } from '../../sms/delivery-reports.js';
import { SmsDispatcher } from '../../sms/dispatcher.js';
import { handleInboundSms } from '../../sms/inbound.js';
import { MemoryMessageStore } from '../../sms/store/memory.js';
import type { MessageStore } from '../../sms/store/port.js';
import type { SmsRoute } from '../../sms/port.js';
import { CountingMessageStore } from '../../observability/counting-stores.js';
import type { FunnelRecorder } from '../../observability/funnels.js';
import { RedisMessageStore } from '../../sms/store/redis.js';
import type { SurveyService } from '../../surveys/survey-service.js';
import { SmppLink } from './smpp/smpp-link.js';
import { createSmppSmsRoute } from './smpp/smpp-sms-route.js';

/**
 * The SMS channel for Node: message store (Redis or memory), the routes the providers' variables
 * configure (`config.sms.routes`, from the registry), the dispatcher with one queue (and rate) per
 * route. Node supplies the links a manifest declares but cannot open itself: SMPP binds and Africa's
 * Talking's SDK. The embedded default has only the sandbox route.
 */
export function createSmsChannel(deps: {
  config: Config;
  redis: RedisClient | undefined;
  queue: JobQueue;
  preferences: PreferenceStore;
  services: ServiceRegistry;
  logger: Logger;
  funnels?: FunnelRecorder;
  /** Filled once the dispatcher exists (surveys send through it): read when a message comes in. */
  surveys?: { current?: Pick<SurveyService, 'answerSms'> };
}) {
  const { config, logger } = deps;
  const storage: MessageStore & { close?: () => Promise<void> } = deps.redis ? new RedisMessageStore(deps.redis, `${config.redisPrefix}sms:`) : new MemoryMessageStore();
  // Counted per route and status where the store applies each change (`src/observability/counting-stores.ts`).
  const store: MessageStore = deps.funnels ? new CountingMessageStore(storage, deps.funnels) : storage;
  const routes: Record<string, SmsRoute> = {};
  const links: SmppLink[] = [];
  // The sandbox route's texts, shown beside the web simulator's phone; kept only when the simulator is served.
  const sandboxInbox = config.simulator ? new SandboxInbox() : undefined;
  let dispatcher: SmsDispatcher;

  const build = (configured: ConfiguredSmsRoute, runtime: SmsRouteRuntime): SmsRoute => {
    switch (configured.link) {
      case 'none':
        return configured.create(runtime);
      case 'africastalking-sdk': {
        const client = AfricasTalking({ username: configured.settings.username, apiKey: configured.settings.apiKey });
        return configured.create(runtime, (options) => client.SMS.send(options));
      }
      case 'smpp': {
        const link = new SmppLink(configured.settings, logger);
        const route = createSmppSmsRoute(configured.route, link, configured.settings.from, { onReport: runtime.recordReport, onInbound: runtime.receive });
        link.start();
        links.push(link);
        return route;
      }
    }
  };
  // Config has checked every route SMS_ROUTES names is configured (and each provider's own variables).
  for (const configured of config.sms.routes) {
    routes[configured.route] = build(configured, {
      logger,
      callbacks: config.sms.callbacks[configured.route],
      recordReport: (report) => recordDeliveryReport(store, report, logger),
      ...(sandboxInbox ? { sandboxInbox } : {}),
      receive: (sms) => {
        const surveys = deps.surveys?.current;
        return handleInboundSms({ services: deps.services, preferences: deps.preferences, outbox: dispatcher, logger, claims: store, ...(surveys ? { surveys } : {}) }, sms);
      },
    });
  }

  dispatcher = new SmsDispatcher({
    store,
    preferences: deps.preferences,
    queue: deps.queue,
    routes,
    routing: config.sms.routing,
    transliterate: config.sms.transliterate,
    maxSegments: config.sms.maxSegments,
    ratePerSecond: config.sms.rates,
    validityHours: config.sms.validityHours,
    logger,
  });
  dispatcher.start();
  return {
    dispatcher,
    store,
    sandboxInbox,
    async close() {
      dispatcher.stop();
      await Promise.all(links.map((l) => l.stop()));
      await storage.close?.();
    },
  };
}
