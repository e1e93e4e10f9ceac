import type { Redis } from 'ioredis';
import AfricasTalking from 'africastalking';
import { createAfricasTalkingSmsRoute } from '../../../providers/africastalking/sms.js';
import { createKannelRoute } from '../../../providers/kannel/sms.js';
import { createSandboxSmsRoute } from '../../../providers/sandbox-sms/sms.js';
import type { PreferenceStore } from '../../sessions/port.js';
import type { Config } from '../../config.js';
import type { JobQueue } from '../../jobs/port.js';
import type { Logger } from '../../observability/logger.js';
import type { ServiceRegistry } from '../../services/service-registry.js';
import { recordDeliveryReport } from '../../sms/delivery-reports.js';
import { SmsDispatcher } from '../../sms/dispatcher.js';
import { handleInboundSms } from '../../sms/inbound.js';
import { MemoryMessageStore, type MessageStore } from '../../sms/store/port.js';
import type { SmsRoute } from '../../sms/port.js';
import { CountingMessageStore } from '../../observability/counting-stores.js';
import type { FunnelRecorder } from '../../observability/funnels.js';
import { RedisMessageStore } from '../../sms/store/redis.js';
import { SmppLink } from './smpp/smpp-link.js';
import { createSmppSmsRoute } from './smpp/smpp-sms-route.js';

/**
 * The SMS channel for Node: message store (Redis or memory), the routes configuration names, the
 * dispatcher with one queue (and rate) per route. The embedded default has only the sandbox route.
 */
export function createSmsChannel(deps: { config: Config; redis: Redis | undefined; queue: JobQueue; preferences: PreferenceStore; services: ServiceRegistry; logger: Logger; funnels?: FunnelRecorder }) {
  const { config, logger } = deps;
  const storage: MessageStore & { close?: () => Promise<void> } = deps.redis ? new RedisMessageStore(deps.redis, `${config.redisPrefix}sms:`) : new MemoryMessageStore();
  // Counted per route and status where the store applies each change (`src/observability/counting-stores.ts`).
  const store: MessageStore = deps.funnels ? new CountingMessageStore(storage, deps.funnels) : storage;
  const routes: Record<string, SmsRoute> = {};
  const links: SmppLink[] = [];
  let dispatcher: SmsDispatcher;

  routes.sandbox = createSandboxSmsRoute(logger, (providerMessageId) => {
    void recordDeliveryReport(store, { route: 'sandbox', providerMessageId, status: 'delivered', raw: 'sandbox delivered' }, logger);
  });
  // Config has checked every route SMS_ROUTES names is configured (and PUBLIC_URL for Kannel).
  if (config.sms.kannel && config.sms.publicUrl) routes.kannel = createKannelRoute({
      ...config.sms.kannel,
      publicUrl: config.sms.publicUrl,
      // The dlr-url must carry the secret the report route checks.
      ...(config.sms.callbacks.kannel?.secret !== undefined ? { callbackSecret: config.sms.callbacks.kannel.secret } : {}),
    });
  if (config.sms.africasTalking) {
    const client = AfricasTalking({ username: config.sms.africasTalking.username, apiKey: config.sms.africasTalking.apiKey });
    routes.africastalking = createAfricasTalkingSmsRoute((options) => client.SMS.send(options), config.sms.africasTalking.from);
  }
  for (const linkConfig of config.sms.smppLinks) {
    const link = new SmppLink(linkConfig, logger);
    routes[linkConfig.provider] = createSmppSmsRoute(linkConfig.provider, link, linkConfig.from, {
      onReport: (report) => recordDeliveryReport(store, report, logger),
      onInbound: (sms) => handleInboundSms({ services: deps.services, preferences: deps.preferences, outbox: dispatcher, logger, claims: store }, sms),
    });
    link.start();
    links.push(link);
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
    async close() {
      dispatcher.stop();
      await Promise.all(links.map((l) => l.stop()));
      await storage.close?.();
    },
  };
}
