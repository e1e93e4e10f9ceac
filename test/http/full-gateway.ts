import { createFedapay } from '../../providers/fedapay/collection.js';
import { createKkiapay } from '../../providers/kkiapay/collection.js';
import { createMomoCollection } from '../../providers/mtn-momo/collection.js';
import { MemoryAuditLog } from '../../src/audit/memory.js';
import type { AuditLog } from '../../src/audit/port.js';
import { MemoryJobQueue } from '../../src/jobs/memory.js';
import { noMetrics } from '../../src/observability/metrics.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createEmbeddedPayments } from '../../src/payments/embedded-payments.js';
import { PaymentProviderDirectory } from '../../src/payments/provider-directory.js';
import { MemoryPaymentStore } from '../../src/payments/store/memory.js';
import { createDemoPortal } from '../../src/portal/demo.js';
import { MemorySessionStore } from '../../src/sessions/memory.js';
import { SmsDispatcher } from '../../src/sms/dispatcher.js';
import { MemoryMessageStore } from '../../src/sms/store/memory.js';
import { createTestGateway } from '../../testkit/harness.js';
import { ReminderService } from '../../src/reminders/reminders.js';
import { MemoryReminderStore } from '../../src/reminders/store/memory.js';
import { loadReminderFiles } from '../../src/runtime/node/reminder-files.js';
import { MemoryAccessLogStore } from '../../src/access-log/memory.js';

/**
 * A gateway with every route the app can serve: SMS callbacks and notifications, the payment
 * callbacks of every provider that takes them, the report, the access-log export, metrics, the simulator, an audit log.
 * Provider APIs are unreachable (no test here needs them to answer).
 */
export const KEYS = {
  notify: 'full-notify-key-0123',
  notifyHmac: 'full-notify-hmac-secret-0123',
  report: 'full-report-key-0123',
  metrics: 'full-metrics-token-0123',
  fedapayWebhook: 'full-fedapay-webhook-secret',
  kkiapayWebhook: 'full-kkiapay-webhook-secret',
} as const;

export async function fullGateway(options: { audit?: AuditLog; messages?: MemoryMessageStore; payments?: MemoryPaymentStore } = {}) {
  const sessions = new MemorySessionStore();
  const messages = options.messages ?? new MemoryMessageStore();
  const jobs = new MemoryJobQueue();
  const dispatcher = new SmsDispatcher({ store: messages, preferences: sessions, queue: jobs, routes: { sandbox: { name: 'sandbox', send: async () => ({ providerMessageId: 'p' }) } }, routing: { default: 'sandbox' }, transliterate: true, logger: silentLogger });
  const noNetwork: typeof fetch = async () => Promise.reject(new Error('no provider API in this test'));
  const providers = new PaymentProviderDirectory(
    [
      createMomoCollection({ baseUrl: 'http://127.0.0.1:9', apiUser: 'u', apiKey: 'k', subscriptionKey: 's', targetEnvironment: 'sandbox', fetch: noNetwork }),
      createFedapay({ baseUrl: 'http://127.0.0.1:9', secretKey: 'sk', webhookSecret: KEYS.fedapayWebhook, modes: { MTN: 'mtn_open' }, fetch: noNetwork }),
      createKkiapay({ baseUrl: 'http://127.0.0.1:9', publicKey: 'pk', privateKey: 'prk', secret: 'sk', webhookSecret: KEYS.kkiapayWebhook, timeoutMs: 1000, fetch: noNetwork }),
    ],
    {},
    'mtn-momo',
  );
  const payments = options.payments ?? new MemoryPaymentStore();
  const { apply } = createEmbeddedPayments(createDemoPortal(), { providers, store: payments, jobs });
  const audit = options.audit ?? new MemoryAuditLog();
  const agencies = { portail: { apiKey: KEYS.notify }, anip: { hmacSecret: KEYS.notifyHmac } };
  const reminders = new ReminderService({ rules: await loadReminderFiles('menus'), store: new MemoryReminderStore(), queue: jobs, outbox: dispatcher, preferences: sessions, logger: silentLogger });
  const gateway = await createTestGateway({
    store: sessions,
    metrics: noMetrics,
    metricsToken: KEYS.metrics,
    simulator: true,
    sms: { dispatcher, store: messages, outbox: dispatcher, agencies },
    reminders: { reminders, agencies },
    accessLog: { store: new MemoryAccessLogStore(), agencies, exportAgencies: ['portail'], piiHashKey: 'full-pii-hash-key' },
    payments: { providers, store: payments, apply, logger: silentLogger, enqueueHintConfirmation: async () => {} },
    paymentReport: { store: payments, apiKeys: { finance: KEYS.report } },
    audit,
  });
  return { app: gateway.app, audit, messages, payments, providers };
}
