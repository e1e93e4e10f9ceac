/**
 * The background-job port. Node wires BullMQ (`bullmq.ts`: Redis, durable, survives restarts); the
 * embedded default and unit tests wire the in-memory queue (`memory.ts`); Workers wire Cloudflare
 * Queues (`cloudflare-queues.ts`, de-duplication in a Durable Object). Jobs are at-least-once everywhere: handlers must be idempotent, and `jobId`
 * deduplicates enqueues. Every backend runs one conformance suite (`conformance.ts`).
 */

export interface EnqueueOptions {
  /** Same id, same job: a second enqueue with it is ignored while the first is known. */
  jobId?: string;
  delayMs?: number;
  /** Total tries before the job is failed for good (default 5). */
  attempts?: number;
  /** First retry delay; doubles on each retry (default 1000 ms). */
  backoffMs?: number;
  /**
   * Jobs of one queue enqueued with the same key while one of them waits (not started, or waiting
   * for a retry) are one job: the later enqueue is absorbed, since the waiting job has not looked
   * yet and will see whatever the later one would have. While one runs, one more is kept to run
   * after it (the latest payload), so a change that came after the running job looked is still
   * looked at. An optimisation, not a guarantee: a backend may run every enqueue (Cloudflare
   * Queues does), so handlers stay idempotent. Unlike `jobId`, nothing is remembered once the
   * jobs have run.
   */
  coalesceKey?: string;
}

export interface JobContext {
  /** 1 on the first try. */
  attempt: number;
  jobId: string;
}

export type JobHandler<Payload> = (payload: Payload, ctx: JobContext) => Promise<void>;

/** Thrown by a handler to fail the job at once, without further attempts (a permanent error). */
export class PermanentJobError extends Error {
  override name = 'PermanentJobError';
}

/**
 * Thrown by a handler when the other side asks us to slow down (throttling): the job runs again
 * after `delayMs` without using an attempt, and the whole queue pauses for that long.
 */
export class RetryLaterError extends Error {
  override name = 'RetryLaterError';
  constructor(readonly delayMs: number) {
    super(`retry in ${delayMs} ms`);
  }
}

/**
 * The queue could not take the job within its budget (its store is away). Whether the job was
 * recorded is unknown: callers that retry must use a `jobId`, so a late arrival runs once.
 */
export class QueueUnavailableError extends Error {
  override name = 'QueueUnavailableError';
}

export interface ProcessOptions {
  concurrency?: number;
  /** Most jobs started per second on this queue (a route's agreed throughput). */
  ratePerSecond?: number;
}

export interface JobQueue {
  enqueue<Payload>(queue: string, payload: Payload, options?: EnqueueOptions): Promise<void>;
  /** Starts consuming `queue` in this process. */
  process<Payload>(queue: string, handler: JobHandler<Payload>, options?: ProcessOptions): void;
  /**
   * Takes back a job that has not started (delayed or waiting): true when it was removed, and its
   * `jobId` may be enqueued again. A running or finished job is left alone (false): handlers of
   * cancellable jobs still check at run time that they are wanted, since a cancel can be lost.
   */
  cancel(queue: string, jobId: string): Promise<boolean>;
  /** Stops taking jobs, lets in-flight ones finish (or returns them), releases connections. */
  close(): Promise<void>;
}

export const DEFAULT_ATTEMPTS = 5;
export const DEFAULT_BACKOFF_MS = 1000;
