import type { EnqueueOptions } from '../src/jobs/port.js';
import { MemoryJobQueue } from '../src/jobs/memory.js';
import { POLL_QUEUE } from '../src/payments/payment-service.js';

/**
 * A memory queue that drops status-poll jobs past `keptPollRounds`, as a crashed worker loses
 * them. 0 keeps the poller out of the way, so callbacks are what moves a payment; a small number
 * keeps `drain()` finite while a payment stays pending (the reconciliation sweep is the net).
 */
export class PollRoundsQueue extends MemoryJobQueue {
  constructor(public keptPollRounds = 0) {
    super();
  }

  override async enqueue<Payload>(queue: string, payload: Payload, options?: EnqueueOptions): Promise<void> {
    const round = Number(/-(\d+)$/.exec(options?.jobId ?? '')?.[1] ?? '1');
    if (queue === POLL_QUEUE && round > this.keptPollRounds) return;
    await super.enqueue(queue, payload, options);
  }
}
