import { CloudflareJobQueue, type MessageBatch, type QueueProducer } from '../../jobs/cloudflare-queues.js';
import type { Logger } from '../../observability/logger.js';
import type { DurableNamespace } from '../../lib/durable-objects.js';
import { DurableObjectPaymentStore } from '../../payments/store/durable-object.js';
import { DurableObjectMessageStore } from '../../sms/store/durable-object.js';
import type { WorkerPlatform } from './gateway.js';

/** A batch as Cloudflare Queues hands it to `queue()`: the adapter's view, and `retryAll` for a Worker that could not start. */
export type QueueBatch = MessageBatch & { retryAll?(options?: { delaySeconds?: number }): void };

/** The bindings the platform adapters read (wrangler.toml). */
export interface PlatformBindings {
  /** `PaymentRequestObject`: one request number's payments and locks. */
  PAYMENTS: DurableNamespace;
  /** `SmsMessageObject`: the message of one idempotency key. */
  SMS_MESSAGES: DurableNamespace;
  /** `DurableIndexObject`: the stores' indexes (by id, day, expiry, provider id), names prefixed per store. */
  INDEXES: DurableNamespace;
  /** The Queue producer every job is sent to (`guichet-jobs`, consumed by this Worker's `queue()`). */
  JOBS: QueueProducer;
  /** `JobObject`: one job id while it is remembered (`jobId` de-duplication). */
  JOBS_SEEN: DurableNamespace;
  [name: string]: unknown;
}

/**
 * The Worker's stores and queue from its bindings: payments and messages in Durable Objects, jobs
 * on Cloudflare Queues (one queue carries every logical queue: collect, poll, portal, SMS per
 * route, deferred answers). Built once per isolate, with the gateway.
 */
export function workerPlatform(env: PlatformBindings, logger: Logger): WorkerPlatform {
  const jobs = new CloudflareJobQueue({
    producer: env.JOBS,
    jobs: env.JOBS_SEEN,
    // Job ids name payments and messages (UUIDs), never a number or what a citizen typed.
    onFailure: (failure) => logger.warn({ queue: failure.queue, jobId: failure.jobId, attempt: failure.attempt, err: failure.error }, 'job failed for good'),
  });
  return {
    jobs,
    paymentStore: new DurableObjectPaymentStore({ requests: env.PAYMENTS, indexes: env.INDEXES }),
    messageStore: new DurableObjectMessageStore({ messages: env.SMS_MESSAGES, indexes: env.INDEXES }),
    handleBatch: (batch) => jobs.handleBatch(batch),
  };
}
