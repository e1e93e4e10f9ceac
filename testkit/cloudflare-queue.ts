import { CloudflareJobQueue, JobObject, type JobFailure, type MessageBatch, type QueueMessage, type QueueProducer } from '../src/jobs/cloudflare-queues.js';
import { testClock, type TestClock } from './clock.js';
import { fakeDurableNamespace } from './durable-objects.js';

interface Stored {
  id: string;
  body: unknown;
  /** Deliveries so far. */
  attempts: number;
  visibleAt: number;
}

export interface FakeCloudflareQueue {
  producer: QueueProducer;
  /** Every `send` as the producer saw it, in order. */
  readonly sent: { body: unknown; delaySeconds?: number }[];
  /** Every `retry` a consumer asked for, in order. */
  readonly retries: { id: string; delaySeconds?: number }[];
  /** Messages the platform gave up on after `maxRetries` retries (a dead-letter queue). */
  readonly deadLetters: unknown[];
  /** Messages waiting (delayed or not), not counting those being delivered. */
  waiting(): number;
  /** Starts delivering to `consumer`, as the platform calls the Worker's `queue()` export. */
  consume(consumer: (batch: MessageBatch) => Promise<void>): void;
  /** Delivers every message visible now, batch after batch, until none is left visible. */
  deliverDue(): Promise<void>;
  /** Makes the next `send` fail (the binding refusing), once. */
  failNextSend(): void;
  /** Delivers a message once more although it was acknowledged: the platform's rare duplicate. */
  redeliver(body: unknown): void;
  stop(): void;
}

/**
 * Cloudflare Queues as a consumer sees them, in Node, on a test clock: `send` keeps the message
 * (visible after `delaySeconds` on the clock); delivery hands out batches of up to `batchSize`
 * visible messages with `attempts` counting deliveries; a message the consumer `retry()`s comes
 * back after its delay with one more attempt, one neither acked nor retried is acknowledged when
 * the consumer returns, and every unacknowledged one comes back when the consumer throws. Past
 * `maxRetries` retries a message goes to `deadLetters`, as the platform drops it.
 *
 * `autoAdvance`: when only delayed messages are left, the clock jumps to the earliest, so a
 * suite written for real time runs delays in order without waiting them out. Without it, nothing
 * delayed is delivered until the test advances the clock and calls `deliverDue()`.
 */
export function fakeCloudflareQueue(options: { clock: TestClock; batchSize?: number; maxRetries?: number; autoAdvance?: boolean }): FakeCloudflareQueue {
  const { clock } = options;
  const batchSize = options.batchSize ?? 10;
  const maxRetries = options.maxRetries ?? 10;
  const stored: Stored[] = [];
  const sent: { body: unknown; delaySeconds?: number }[] = [];
  const retries: { id: string; delaySeconds?: number }[] = [];
  const deadLetters: unknown[] = [];
  let consumer: ((batch: MessageBatch) => Promise<void>) | undefined;
  let sequence = 0;
  let failSend = false;
  let pumping = false;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  function schedule(): void {
    if (stopped || !consumer || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void pump();
    }, 0);
  }

  async function deliverBatch(batch: Stored[]): Promise<void> {
    const settled = new Map<string, { kind: 'ack' } | { kind: 'retry'; delaySeconds?: number }>();
    const messages: QueueMessage[] = batch.map((entry) => ({
      id: entry.id,
      body: structuredClone(entry.body),
      attempts: entry.attempts,
      ack: () => void (settled.has(entry.id) || settled.set(entry.id, { kind: 'ack' })),
      retry: (retryOptions) => void (settled.has(entry.id) || settled.set(entry.id, { kind: 'retry', ...(retryOptions?.delaySeconds !== undefined ? { delaySeconds: retryOptions.delaySeconds } : {}) })),
    }));
    let threw = false;
    try {
      await consumer!({ queue: 'guichet-jobs', messages });
    } catch {
      threw = true;
    }
    for (const entry of batch) {
      const outcome = settled.get(entry.id) ?? (threw ? { kind: 'retry' as const } : { kind: 'ack' as const });
      if (outcome.kind === 'ack') continue;
      retries.push({ id: entry.id, ...(outcome.delaySeconds !== undefined ? { delaySeconds: outcome.delaySeconds } : {}) });
      if (entry.attempts > maxRetries) {
        deadLetters.push(entry.body);
        continue;
      }
      stored.push({ ...entry, visibleAt: clock.now() + (outcome.delaySeconds ?? 0) * 1000 });
    }
  }

  async function deliverDue(): Promise<void> {
    for (;;) {
      const now = clock.now();
      const due = stored.filter((entry) => entry.visibleAt <= now).slice(0, batchSize);
      if (due.length === 0 || !consumer) return;
      for (const entry of due) stored.splice(stored.indexOf(entry), 1);
      await deliverBatch(due.map((entry) => ({ ...entry, attempts: entry.attempts + 1 })));
    }
  }

  async function pump(): Promise<void> {
    if (pumping) return;
    pumping = true;
    try {
      for (;;) {
        await deliverDue();
        if (stopped || !options.autoAdvance || stored.length === 0) break;
        const earliest = Math.min(...stored.map((entry) => entry.visibleAt));
        if (earliest > clock.now()) clock.advance(earliest - clock.now());
      }
    } finally {
      pumping = false;
    }
    if (!stopped && stored.some((entry) => entry.visibleAt <= clock.now())) schedule();
  }

  function keep(body: unknown, delaySeconds = 0): void {
    stored.push({ id: `msg-${++sequence}`, body: structuredClone(body), attempts: 0, visibleAt: clock.now() + delaySeconds * 1000 });
    schedule();
  }

  return {
    producer: {
      async send(body, sendOptions) {
        if (failSend) {
          failSend = false;
          throw new Error('Queue send failed: 503');
        }
        sent.push({ body: structuredClone(body), ...(sendOptions?.delaySeconds !== undefined ? { delaySeconds: sendOptions.delaySeconds } : {}) });
        keep(body, sendOptions?.delaySeconds);
      },
    },
    sent,
    retries,
    deadLetters,
    waiting: () => stored.length,
    consume(next) {
      consumer = next;
      schedule();
    },
    deliverDue,
    failNextSend: () => void (failSend = true),
    redeliver: (body) => keep(body),
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

/**
 * A `CloudflareJobQueue` wired to a fake queue and the real `JobObject` on the stand-in Durable
 * Object platform, consuming as the Worker's `queue()` export would; `close()` also stops the fake.
 */
export function cloudflareJobQueueOnFakes(options: { clock?: TestClock; autoAdvance?: boolean; maxRetries?: number; onFailure?: (failure: JobFailure) => void } = {}) {
  const clock = options.clock ?? testClock();
  const queue = fakeCloudflareQueue({ clock, autoAdvance: options.autoAdvance ?? true, ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}) });
  const jobObjects = fakeDurableNamespace((state) => new JobObject(state));
  const jobs = new CloudflareJobQueue({ producer: queue.producer, jobs: jobObjects, now: clock.now, ...(options.onFailure ? { onFailure: options.onFailure } : {}) });
  queue.consume((batch) => jobs.handleBatch(batch));
  const close = jobs.close.bind(jobs);
  jobs.close = async () => {
    queue.stop();
    await close();
  };
  return { jobs, queue, jobObjects, clock };
}
