import { MemoryJobQueue } from '../../jobs/memory.js';
import type { Logger } from '../../observability/logger.js';
import { MemoryPaymentStore } from '../../payments/store/memory.js';
import { MemoryMessageStore } from '../../sms/store/memory.js';
import type { WorkerPlatform } from './gateway.js';

/** A batch as Cloudflare Queues hands it to `queue()` (the few members used; no Workers typings package). */
export interface QueueBatch {
  readonly queue: string;
  readonly messages: readonly { readonly id: string; readonly body: unknown; readonly attempts: number; ack(): void; retry(options?: { delaySeconds?: number }): void }[];
  retryAll?(options?: { delaySeconds?: number }): void;
}

/** The bindings the platform adapters read (wrangler.toml). */
export interface PlatformBindings {
  [name: string]: unknown;
}

/**
 * INTERIM, until the Durable Object and Queues adapters (branch `worker-stores`) are merged: the
 * stores and the queue live in the isolate's memory. Marked so nobody deploys it believing otherwise.
 */
export function workerPlatform(_env: PlatformBindings, _logger: Logger): WorkerPlatform {
  return {
    jobs: new MemoryJobQueue(),
    paymentStore: new MemoryPaymentStore(),
    messageStore: new MemoryMessageStore(),
    async handleBatch() {},
  };
}
