import { MemoryJobQueue } from '../../jobs/memory.js';
import type { Logger } from '../../observability/logger.js';
import type { DurableNamespace } from '../../lib/durable-objects.js';
import { DurableObjectPaymentStore } from '../../payments/store/durable-object.js';
import { DurableObjectMessageStore } from '../../sms/store/durable-object.js';
import type { WorkerPlatform } from './gateway.js';

/** A batch as Cloudflare Queues hands it to `queue()` (the few members used; no Workers typings package). */
export interface QueueBatch {
  readonly queue: string;
  readonly messages: readonly { readonly id: string; readonly body: unknown; readonly attempts: number; ack(): void; retry(options?: { delaySeconds?: number }): void }[];
  retryAll?(options?: { delaySeconds?: number }): void;
}

/** The bindings the platform adapters read (wrangler.toml). */
export interface PlatformBindings {
  /** `PaymentRequestObject`: one request number's payments and locks. */
  PAYMENTS: DurableNamespace;
  /** `SmsMessageObject`: the message of one idempotency key. */
  SMS_MESSAGES: DurableNamespace;
  /** `DurableIndexObject`: the stores' indexes (by id, day, expiry, provider id), names prefixed per store. */
  INDEXES: DurableNamespace;
  [name: string]: unknown;
}

/**
 * The Worker's stores and queue from its bindings: payments and messages in Durable Objects.
 * INTERIM for the queue, until the Cloudflare Queues adapter (branch `worker-stores`) is merged:
 * jobs in the isolate's memory, which workerd does not run once a request has been answered.
 */
export function workerPlatform(env: PlatformBindings, _logger: Logger): WorkerPlatform {
  return {
    jobs: new MemoryJobQueue(),
    paymentStore: new DurableObjectPaymentStore({ requests: env.PAYMENTS, indexes: env.INDEXES }),
    messageStore: new DurableObjectMessageStore({ messages: env.SMS_MESSAGES, indexes: env.INDEXES }),
    async handleBatch() {},
  };
}
