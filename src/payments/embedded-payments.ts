import { MemoryJobQueue } from '../jobs/memory.js';
import type { JobQueue } from '../jobs/port.js';
import { silentLogger, type Logger } from '../observability/logger.js';
import type { PortalClient } from '../portal/port.js';
import { createLogSmsOutbox, type SmsOutbox } from '../sms/outbox.js';
import { createSandboxPaymentProvider } from '../../providers/sandbox-payment/payment.js';
import { MemoryPaymentStore } from './store/memory.js';
import type { PaymentProvider } from './port.js';
import { createPaymentService, type PaymentService, type PaymentServiceDeps } from './payment-service.js';
import { PaymentProviderDirectory } from './provider-directory.js';
import type { PaymentStore } from './store/port.js';

/**
 * The embedded default's payments: sandbox provider, memory store and queue, log SMS outbox.
 * Any part can be replaced (tests pass their own provider or directory, queue or outbox). Like
 * `createPaymentService`, it starts nothing: whoever runs the jobs calls `start()`.
 */
export function createEmbeddedPayments(
  portal: PortalClient,
  overrides: Partial<Omit<PaymentServiceDeps, 'portal'>> & { provider?: PaymentProvider } = {},
): PaymentService & { store: PaymentStore; jobs: JobQueue; providers: PaymentProviderDirectory; sms: SmsOutbox } {
  const logger: Logger = overrides.logger ?? silentLogger;
  const store = overrides.store ?? new MemoryPaymentStore();
  const jobs = overrides.jobs ?? new MemoryJobQueue();
  const providers = overrides.providers ?? PaymentProviderDirectory.single(overrides.provider ?? createSandboxPaymentProvider());
  const sms = overrides.sms ?? createLogSmsOutbox(logger);
  const service = createPaymentService({ ...overrides, store, jobs, providers, sms, logger, portal });
  return { ...service, store, jobs, providers, sms };
}
