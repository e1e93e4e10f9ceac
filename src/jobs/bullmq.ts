import { Queue, UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { awaitReplica } from '../lib/redis.js';
import {
  DEFAULT_ATTEMPTS,
  DEFAULT_BACKOFF_MS,
  PermanentJobError,
  QueueUnavailableError,
  RetryLaterError,
  type EnqueueOptions,
  type JobHandler,
  type JobQueue,
  type ProcessOptions,
} from './port.js';

export type BullMqJobQueueOptions = BullMqConnectionOptions & {
  /**
   * Key namespace, BullMQ's own (an ioredis keyPrefix is refused by BullMQ): one for every queue,
   * or one per queue, as a Redis Cluster needs (a hash tag per queue, e.g. `{guichet:sms.send}`).
   */
  prefix?: string | ((queue: string) => string);
  /** How long an enqueue may wait for Redis (default 1 s). */
  enqueueBudgetMs?: number;
};

type BullMqConnectionOptions =
  | {
      /** Redis URL; BullMQ opens its own connections (workers need `maxRetriesPerRequest: null`). */
      redisUrl: string;
      connect?: never;
    }
  | {
      /**
       * A client per Queue and Worker (a Redis Cluster or Sentinel client from the Node runtime's
       * redis-client.ts); workers are asked for one with `maxRetriesPerRequest: null`. This queue
       * closes what it was given.
       */
      connect: (forWorker: boolean) => Redis | Cluster;
      redisUrl?: never;
    };

/** Durable jobs on BullMQ: survive a crash between "done" and "told". Node only. */
export class BullMqJobQueue implements JobQueue {
  private readonly queues = new Map<string, Queue>();
  private readonly workers: Worker[] = [];
  private readonly prefixOf: (queue: string) => string;
  private readonly enqueueBudgetMs: number;
  /** Clients made by `options.connect`: BullMQ leaves a client it was given open, so they are closed here. */
  private readonly clients: (Redis | Cluster)[] = [];
  /** The client each queue adds its jobs on (BullMQ uses the one it is given as it is), to WAIT on. */
  private readonly producerClients = new Map<string, Redis | Cluster>();

  constructor(private readonly options: BullMqJobQueueOptions) {
    const prefix = options.prefix ?? 'guichet';
    this.prefixOf = typeof prefix === 'string' ? () => prefix : prefix;
    this.enqueueBudgetMs = options.enqueueBudgetMs ?? 1_000;
  }

  async enqueue<Payload>(queue: string, payload: Payload, options: EnqueueOptions = {}): Promise<void> {
    // BullMQ waits for its connection to be ready, without end while Redis is down: a hop, a
    // callback or an API call would hang with it. Past the budget the caller is told at once.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const budget = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new QueueUnavailableError(`${queue}: not accepted within ${this.enqueueBudgetMs} ms`)), this.enqueueBudgetMs);
    });
    const bullQueue = this.queue(queue);
    const added = bullQueue.add(queue, payload, {
      ...(options.jobId ? { jobId: bullJobId(options.jobId) } : {}),
      ...(options.delayMs ? { delay: options.delayMs } : {}),
      // BullMQ's deduplication, in the mode that keeps one more job while one is active (see the port).
      ...(options.coalesceKey ? { deduplication: { id: bullJobId(`${queue}-${options.coalesceKey}`), keepLastIfActive: true } } : {}),
      attempts: options.attempts ?? DEFAULT_ATTEMPTS,
      backoff: { type: 'exponential', delay: options.backoffMs ?? DEFAULT_BACKOFF_MS },
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });
    // Accepted only once a replica holds it, where there is one (a Redis Cluster): a master failing
    // over right after the add would otherwise lose a job its caller was told is queued.
    const replicated = added.then(async () => {
      try {
        const client = this.producerClients.get(queue);
        if (client) await awaitReplica(client, `${this.prefixOf(queue)}:${queue}:meta`);
      } catch (error) {
        throw new QueueUnavailableError(`${queue}: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    // A late add still lands (and runs once, by its job id); its failure is the budget's business.
    replicated.catch(() => undefined);
    try {
      await Promise.race([replicated, budget]);
    } finally {
      clearTimeout(timer);
    }
  }

  async cancel(queue: string, jobId: string): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const budget = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new QueueUnavailableError(`${queue}: cancel not answered within ${this.enqueueBudgetMs} ms`)), this.enqueueBudgetMs);
    });
    const removed = (async () => {
      const bullQueue = this.queue(queue);
      const id = bullJobId(jobId);
      // By id alone (two scripts): loading the job first (its hash, a Job object, its data parsed)
      // was a third of a cancel's cost, and every payment's success cancels its reminder (issue 18).
      // Only what has not started: a completed job's id must keep deduplicating, an active one is
      // locked. A missing job is 'unknown'.
      const state = await bullQueue.getJobState(id);
      if (state !== 'delayed' && state !== 'waiting' && state !== 'prioritized') return false;
      // Remove refuses (answers 0 for) a job a worker locked in between: it has started, so false.
      return (await bullQueue.remove(id)) === 1;
    })();
    removed.catch(() => undefined);
    try {
      return await Promise.race([removed, budget]);
    } finally {
      clearTimeout(timer);
    }
  }

  process<Payload>(queue: string, handler: JobHandler<Payload>, options: ProcessOptions = {}): void {
    const worker: Worker<Payload> = new Worker<Payload>(
      queue,
      async (job) => {
        try {
          await handler(job.data, { attempt: job.attemptsMade + 1, jobId: job.id ?? '' });
        } catch (error) {
          if (error instanceof PermanentJobError) throw new UnrecoverableError(error.message);
          if (error instanceof RetryLaterError) {
            // Throttled: pause the queue and put the job back without using an attempt.
            await worker.rateLimit(error.delayMs);
            throw Worker.RateLimitError();
          }
          throw error;
        }
      },
      {
        connection: this.connection(true),
        prefix: this.prefixOf(queue),
        concurrency: options.concurrency ?? 4,
        // A job held by a process that died comes back after the lock lapses and the next stall
        // check: 10 s + 5 s instead of BullMQ's 30 s + 30 s (the lock is renewed while a job runs).
        lockDuration: 10_000,
        stalledInterval: 5_000,
        ...(options.ratePerSecond ? { limiter: { max: options.ratePerSecond, duration: 1000 } } : {}),
      },
    );
    // A failed job is already recorded by BullMQ; the listener keeps the worker from crashing the process.
    worker.on('error', () => {});
    this.workers.push(worker);
  }

  /** Jobs waiting (and delayed) per queue this process produces to or consumes from, for metrics. */
  async depths(): Promise<{ queue: string; waiting: number }[]> {
    const names = new Set([...this.queues.keys(), ...this.workers.map((w) => w.name)]);
    return Promise.all([...names].map(async (name) => ({ queue: name, waiting: await this.queue(name).getJobCountByTypes('waiting', 'delayed', 'prioritized') })));
  }

  /** BullMQ's own Queue for a name, e.g. to inspect job states in tests. */
  queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      const connection = this.connection(false);
      if (this.options.connect) this.producerClients.set(name, connection as Redis | Cluster);
      queue = new Queue(name, { connection, prefix: this.prefixOf(name) });
      // Connection errors while Redis is away are answered by the enqueue budget; the gateway's own
      // Redis client reports the outage once.
      queue.on('error', () => {});
      this.queues.set(name, queue);
    }
    return queue;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    await Promise.all(this.clients.map((client) => client.quit().catch(() => client.disconnect())));
  }

  private connection(forWorker: boolean): ConnectionOptions {
    if (this.options.connect) {
      const client = this.options.connect(forWorker);
      client.on('error', () => {});
      this.clients.push(client);
      return client;
    }
    const url = new URL(this.options.redisUrl);
    return {
      host: url.hostname,
      port: Number(url.port || 6379),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      ...(url.pathname.length > 1 ? { db: Number(url.pathname.slice(1)) } : {}),
      // Workers block on Redis and must wait it out; producers inside HTTP handlers fail fast.
      maxRetriesPerRequest: forWorker ? null : 1,
    };
  }
}

/** BullMQ keeps `:` for its own key structure and refuses it in custom ids. */
function bullJobId(jobId: string): string {
  return jobId.replace(/:/g, '_');
}
