import type { JobQueue } from '../src/jobs/port.js';
import { MemoryJobQueue } from '../src/jobs/memory.js';
import { silentLogger } from '../src/observability/logger.js';
import type { SmppLink } from '../src/runtime/node/smpp/smpp-link.js';
import { createSmppSmsRoute } from '../src/runtime/node/smpp/smpp-sms-route.js';
import type { ServiceRegistry } from '../src/services/service-registry.js';
import { MemorySessionStore } from '../src/sessions/memory.js';
import { recordDeliveryReport } from '../src/sms/delivery-reports.js';
import { SmsDispatcher, type SmsDispatcherDeps } from '../src/sms/dispatcher.js';
import { handleInboundSms } from '../src/sms/inbound.js';
import { MemoryMessageStore } from '../src/sms/store/memory.js';
import type { MessageStore } from '../src/sms/store/port.js';
import { boundSmppLink, type BoundSmppLink } from './smsc.js';

/** The route every SMPP SMS test sends on, and the sender it sends as. */
export const SMPP_SMS_ROUTE = 'smpp-moov';
export const SMPP_SMS_SENDER = 'ServPublic';

export interface SmppSmsOptions extends Partial<Pick<SmsDispatcherDeps, 'attempts' | 'validityHours' | 'expirySweepMs'>> {
  store: MessageStore;
  queue: JobQueue;
  /** Citizens' SMS on the link are answered with these services; without them they are dropped. */
  services?: ServiceRegistry;
  /** Inbound SMS claimed once in the message store, as the gateway wires it (a redelivery after a rebind is answered once). */
  claims?: boolean;
}

/**
 * The gateway's SMS side on an SMPP link, as sms-wiring builds it: the `smpp-moov` route
 * (receipts recorded in `store`, citizens' SMS answered or dropped) behind a dispatcher on `queue`.
 * The dispatcher is not started.
 */
export function smppSmsDispatcher(link: SmppLink, options: SmppSmsOptions): SmsDispatcher {
  const { store, queue, services, claims, ...tuning } = options;
  const preferences = new MemorySessionStore();
  const route = createSmppSmsRoute(SMPP_SMS_ROUTE, link, SMPP_SMS_SENDER, {
    onReport: (report) => recordDeliveryReport(store, report, silentLogger),
    onInbound: services
      ? (sms) => handleInboundSms({ services, preferences, outbox: dispatcher, logger: silentLogger, ...(claims ? { claims: store } : {}) }, sms)
      : async () => {},
  });
  const dispatcher: SmsDispatcher = new SmsDispatcher({
    store, preferences, queue, routes: { [SMPP_SMS_ROUTE]: route }, routing: { default: SMPP_SMS_ROUTE }, transliterate: true, logger: silentLogger, ...tuning,
  });
  return dispatcher;
}

export interface SmppSms extends BoundSmppLink {
  store: MemoryMessageStore;
  queue: MemoryJobQueue;
  dispatcher: SmsDispatcher;
}

/**
 * SMS over a direct SMPP link against a loopback SMSC, in memory: the setup of the SMPP SMS
 * tests. The link reconnects fast and keeps itself alive every 200 ms; `responseTimeoutMs` is the
 * test's. `close` stops the queue, the link and the SMSC.
 */
export async function startSmppSms(options: { services: ServiceRegistry; responseTimeoutMs: number; claims?: boolean }): Promise<SmppSms> {
  const store = new MemoryMessageStore();
  const queue = new MemoryJobQueue();
  let dispatcher: SmsDispatcher | undefined;
  const bound = await boundSmppLink({ reconnectInitialMs: 50, responseTimeoutMs: options.responseTimeoutMs, enquireLinkMs: 200 }, (link) => {
    dispatcher = smppSmsDispatcher(link, { store, queue, services: options.services, ...(options.claims ? { claims: true } : {}) });
    dispatcher.start();
  });
  return {
    ...bound,
    store,
    queue,
    dispatcher: dispatcher!,
    close: async () => {
      await queue.close();
      await bound.close();
    },
  };
}
