import {
  DEFAULT_ATTEMPTS,
  DEFAULT_BACKOFF_MS,
  PermanentJobError,
  RetryLaterError,
  type EnqueueOptions,
  type JobHandler,
  type JobQueue,
  type ProcessOptions,
} from './port.js';

interface PendingJob {
  queue: string;
  jobId: string;
  payload: unknown;
  attempt: number;
  attempts: number;
  backoffMs: number;
  coalesceKey?: string;
}

/** The jobs of one coalesce key (`EnqueueOptions.coalesceKey`): whether one waits or runs, and the one kept to run after. */
interface Coalesced {
  waiting: boolean;
  running: boolean;
  after?: PendingJob;
}

/**
 * In-process jobs for the embedded default and tests: same semantics as the BullMQ queue
 * (dedup by jobId, retries with exponential backoff, permanent errors) but lost on restart.
 */
export class MemoryJobQueue implements JobQueue {
  private readonly handlers = new Map<string, JobHandler<unknown>>();
  /** Per queue: start times of the last second's jobs, for `ratePerSecond`; and a pause after throttling. */
  private readonly limits = new Map<string, { ratePerSecond: number; started: number[]; pausedUntil: number }>();
  private readonly waiting = new Map<string, PendingJob[]>();
  /**
   * Job ids seen, for dedup: `pending` until the job ends, then when it ended. Finished ones are
   * forgotten past `MAX_REMEMBERED` (BullMQ keeps 10 000 completed jobs for a day), so the embedded
   * default does not grow with every notification it ever sent.
   */
  private readonly known = new Map<string, 'pending' | number>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  /** First runs not started yet, by `queue:jobId`: what `cancel` can still take back. */
  private readonly notStarted = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly inFlight = new Set<Promise<void>>();
  /** By `queue:coalesceKey`, while any job of the key waits or runs; gone once they have all run. */
  private readonly coalesced = new Map<string, Coalesced>();
  /** `queue:jobId` of each coalesced job not started yet → its coalesce key, for `cancel`. */
  private readonly coalescedBy = new Map<string, string>();
  private sequence = 0;
  private closed = false;
  /** Jobs that exhausted their attempts or failed permanently, for inspection. */
  readonly failed: { queue: string; jobId: string; payload: unknown; error: string }[] = [];

  async enqueue<Payload>(queue: string, payload: Payload, options: EnqueueOptions = {}): Promise<void> {
    const jobId = options.jobId ?? `job-${++this.sequence}`;
    const key = `${queue}:${jobId}`;
    if (this.known.has(key)) return;
    const job: PendingJob = {
      queue,
      jobId,
      payload,
      attempt: 1,
      attempts: options.attempts ?? DEFAULT_ATTEMPTS,
      backoffMs: options.backoffMs ?? DEFAULT_BACKOFF_MS,
      ...(options.coalesceKey !== undefined ? { coalesceKey: `${queue}:${options.coalesceKey}` } : {}),
    };
    if (job.coalesceKey !== undefined) {
      const group = this.coalesced.get(job.coalesceKey);
      if (group?.waiting) return;
      if (group?.running) {
        // Kept, not scheduled: it runs when the running one ends (the latest payload wins).
        group.after = job;
        return;
      }
      this.coalesced.set(job.coalesceKey, { waiting: true, running: false });
      this.coalescedBy.set(key, job.coalesceKey);
    }
    this.known.set(key, 'pending');
    const timer = this.schedule(job, options.delayMs ?? 0);
    if (timer) this.notStarted.set(key, timer);
  }

  async cancel(queue: string, jobId: string): Promise<boolean> {
    const key = `${queue}:${jobId}`;
    const timer = this.notStarted.get(key);
    const waiting = this.waiting.get(queue) ?? [];
    const parked = waiting.findIndex((job) => job.jobId === jobId && job.attempt === 1);
    if (timer === undefined && parked < 0) return false;
    if (timer !== undefined) {
      clearTimeout(timer);
      this.timers.delete(timer);
      this.notStarted.delete(key);
    }
    if (parked >= 0) waiting.splice(parked, 1);
    this.known.delete(key);
    // A coalesced job taken back frees its key: the next enqueue of that key is a job of its own.
    const group = this.coalescedBy.get(key);
    if (group !== undefined) {
      this.coalescedBy.delete(key);
      if (this.coalesced.get(group)?.running === false) this.coalesced.delete(group);
    }
    return true;
  }

  process<Payload>(queue: string, handler: JobHandler<Payload>, options: ProcessOptions = {}): void {
    this.handlers.set(queue, handler as JobHandler<unknown>);
    this.limits.set(queue, { ratePerSecond: options.ratePerSecond ?? Infinity, started: [], pausedUntil: 0 });
    const waiting = this.waiting.get(queue) ?? [];
    this.waiting.delete(queue);
    for (const job of waiting) this.schedule(job, 0);
  }

  /** Job ids currently remembered for dedup (bounded). */
  get rememberedCount(): number {
    return this.known.size;
  }

  /** Resolves when no job is running or scheduled to run within `horizonMs`. For tests. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0 || this.timers.size > 0) {
      await Promise.race([...this.inFlight, new Promise((r) => setTimeout(r, 5))]);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  private schedule(job: PendingJob, delayMs: number): ReturnType<typeof setTimeout> | undefined {
    if (this.closed) return undefined;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.notStarted.delete(`${job.queue}:${job.jobId}`);
      this.run(job);
    }, delayMs);
    this.timers.add(timer);
    return timer;
  }

  private run(job: PendingJob): void {
    const handler = this.handlers.get(job.queue);
    if (!handler) {
      const list = this.waiting.get(job.queue) ?? [];
      list.push(job);
      this.waiting.set(job.queue, list);
      return;
    }
    const limit = this.limits.get(job.queue);
    if (limit) {
      const now = Date.now();
      while (limit.started.length > 0 && limit.started[0]! <= now - 1000) limit.started.shift();
      const wait = Math.max(limit.pausedUntil - now, limit.started.length >= limit.ratePerSecond ? limit.started[0]! + 1000 - now : 0);
      if (wait > 0) return void this.schedule(job, wait);
      limit.started.push(now);
    }
    const group = job.coalesceKey !== undefined ? this.coalesced.get(job.coalesceKey) : undefined;
    if (group) {
      group.waiting = false;
      group.running = true;
      this.coalescedBy.delete(`${job.queue}:${job.jobId}`);
    }
    const running = handler(job.payload, { attempt: job.attempt, jobId: job.jobId }).then(
      () => this.finished(job),
      (error: unknown) => {
        if (error instanceof RetryLaterError) {
          if (limit) limit.pausedUntil = Date.now() + error.delayMs;
          this.waitAgain(job);
          this.schedule(job, error.delayMs);
          return;
        }
        const message = error instanceof Error ? error.message : String(error);
        if (error instanceof PermanentJobError || job.attempt >= job.attempts) {
          this.failed.push({ queue: job.queue, jobId: job.jobId, payload: job.payload, error: message });
          if (this.failed.length > MAX_FAILED_KEPT) this.failed.shift();
          this.finished(job);
          return;
        }
        this.waitAgain(job);
        this.schedule({ ...job, attempt: job.attempt + 1 }, job.backoffMs * 2 ** (job.attempt - 1));
      },
    );
    this.inFlight.add(running);
    void running.finally(() => this.inFlight.delete(running));
  }

  /** A job of a coalesce key waits for its retry: an enqueue of that key meanwhile is absorbed by it. */
  private waitAgain(job: PendingJob): void {
    const group = job.coalesceKey !== undefined ? this.coalesced.get(job.coalesceKey) : undefined;
    if (!group) return;
    group.running = false;
    group.waiting = true;
    // The retry will look again anyway: the one kept for after would be the same look.
    delete group.after;
  }

  private finished(job: PendingJob): void {
    if (job.coalesceKey !== undefined) {
      const group = this.coalesced.get(job.coalesceKey);
      const after = group?.after;
      this.coalesced.delete(job.coalesceKey);
      if (after) {
        this.coalesced.set(job.coalesceKey, { waiting: true, running: false });
        this.coalescedBy.set(`${after.queue}:${after.jobId}`, job.coalesceKey);
        this.known.set(`${after.queue}:${after.jobId}`, 'pending');
        const timer = this.schedule(after, 0);
        if (timer) this.notStarted.set(`${after.queue}:${after.jobId}`, timer);
      }
    }
    const key = `${job.queue}:${job.jobId}`;
    this.known.delete(key);
    this.known.set(key, Date.now());
    if (this.known.size <= MAX_REMEMBERED) return;
    // Oldest first (a Map keeps insertion order); jobs still pending are never forgotten.
    for (const [oldKey, state] of this.known) {
      if (this.known.size <= MAX_REMEMBERED) break;
      if (state !== 'pending') this.known.delete(oldKey);
    }
  }
}

/** Finished job ids kept for dedup, and failed jobs kept for inspection. */
export const MAX_REMEMBERED = 10_000;
const MAX_FAILED_KEPT = 1_000;
