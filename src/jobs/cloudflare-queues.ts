import { callDurableObject, type DurableNamespace, type DurableState } from '../lib/durable-objects.js';
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

/*
 * Background jobs on Cloudflare Queues (https://developers.cloudflare.com/queues/).
 *
 * What Queues guarantee: at-least-once delivery. A message is delivered again when the consumer
 * retries it, when the invocation fails or times out before acknowledging it, and, rarely, even
 * after an acknowledgement; its `attempts` counts deliveries. Delays are whole seconds, at most
 * 12 hours, and not exact. Nothing else is promised: no order, no de-duplication, no global
 * rate limit.
 *
 * What this adapter adds:
 * - `jobId` de-duplication in a Durable Object per job (`JobObject`, `job:<queue>:<id>`): the first
 *   enqueue claims the id, a second one is ignored while the first is pending, and for a day after
 *   it succeeded (a week after it failed: BullMQ's retention). A delivery of a job already done
 *   (the platform's duplicate) is acknowledged without running.
 * - attempts: `message.attempts`, plus the attempts a message carries from before it was sent
 *   again (`attempt` in its body: a throttled job and a long delay are sent again, which restarts
 *   the platform's count); back-off by `message.retry({ delaySeconds })`, doubling from `backoffMs`.
 * - `PermanentJobError` and a last attempt acknowledge the message and record the failure (in
 *   the job's object and through `onFailure`); `RetryLaterError` sends the job again after its
 *   delay with the same attempt, and holds back this isolate's other messages of that queue.
 *
 * How handlers stay idempotent: the same as on BullMQ. Each handler here already expects a
 * second run (a stalled BullMQ job runs again): the SMS worker claims `queued → sending` in the
 * message store before a submit and never resubmits an `unknown`; a payment moves by one atomic
 * transition whoever arrives first; the portal is told once (`markPortalNotified`). The
 * de-duplication above narrows duplicates; it cannot remove the one of a consumer that dies
 * after the handler's effect and before the acknowledgement.
 *
 * Deployment: the consumer's `max_retries` (wrangler.toml) must exceed the largest `attempts`
 * any job asks for (SMS: 6), or the platform drops a message before this adapter gives up on it.
 * `ratePerSecond` and `concurrency` hold within one consumer invocation; the consumer's
 * `max_concurrency = 1` makes a route's rate hold for the whole deployment.
 *
 * Only the few platform types used are declared here, so the Node build needs no Workers typings.
 */

/** A Queue producer binding (`env.JOBS`). */
export interface QueueProducer {
  send(body: unknown, options?: { delaySeconds?: number; contentType?: 'json' }): Promise<void>;
}

/** One delivered message of a batch. */
export interface QueueMessage {
  readonly id: string;
  readonly body: unknown;
  /** Deliveries so far, this one included (1 on the first). */
  readonly attempts: number;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}

/** What the Worker's `queue(batch, env)` export receives. */
export interface MessageBatch {
  readonly queue: string;
  readonly messages: readonly QueueMessage[];
}

/** The body of every message this adapter sends. */
export interface JobMessage {
  /** The logical queue (`sms.send.<route>`, `payments.collect`, …): one Cloudflare queue carries them all. */
  queue: string;
  payload: unknown;
  jobId: string;
  /** The attempt this message's first delivery is (1, or more when sent again after a throttle or a long delay). */
  attempt: number;
  attempts: number;
  backoffMs: number;
  /** Not to run before (ms): a delay longer than the platform's longest is sent again on arrival. */
  notBefore?: number;
  /** True when the job has an object holding its id (an enqueue with `jobId`). */
  deduplicated: boolean;
  /** The enqueue's token in that object (absent in messages sent before cancelling existed: those run as before). */
  token?: string;
}

export interface JobFailure {
  queue: string;
  jobId: string;
  error: string;
  attempt: number;
}

/** The longest delay Queues take, in seconds (12 hours). */
export const MAX_DELAY_SECONDS = 43_200;
/** Queues count delays in whole seconds: a message is run when less than this is left. */
const DELAY_GRANULARITY_MS = 1_000;
/** A message for a queue this Worker has no handler for (yet) comes back after this long. */
const UNHANDLED_DELAY_SECONDS = 30;
/** How long a job id is remembered after the job ended: BullMQ's `removeOnComplete` / `removeOnFail`. */
const REMEMBER_DONE_MS = 24 * 3_600_000;
const REMEMBER_FAILED_MS = 7 * 24 * 3_600_000;

/**
 * `pending` from the enqueue until the job ends. A pending id is also let go at `until` (its delay
 * plus a week): a message the platform dropped (past `max_retries`, a dead-letter queue) must not
 * block its id for ever.
 */
type JobState = {
  state: 'pending' | 'done' | 'failed';
  until: number;
  error?: string;
  attempt?: number;
  /** Random per enqueue, carried by its message: a message of an enqueue since cancelled finds another token (or none) and does not run. */
  token?: string;
  /** Set when a delivery of it started running: from then on it can no longer be cancelled. */
  started?: boolean;
};

type JobCommand =
  | { op: 'claim'; keepMs: number; token: string }
  | { op: 'release' }
  | { op: 'start'; token: string }
  | { op: 'cancel' }
  | { op: 'status' }
  | { op: 'finish'; outcome: 'done' | 'failed'; error?: string; attempt: number };

/** The Durable Object class (bound as `JOBS_SEEN` in wrangler.toml): one job id, while it is remembered. */
export class JobObject {
  constructor(private readonly state: DurableState) {}

  async fetch(request: Request): Promise<Response> {
    const command = (await request.json()) as JobCommand;
    const storage = this.state.storage;
    const current = await this.current();
    switch (command.op) {
      case 'claim':
        if (current) return Response.json({ claimed: false });
        await storage.put<JobState>('job', { state: 'pending', until: Date.now() + command.keepMs, token: command.token });
        await storage.setAlarm(Date.now() + command.keepMs);
        return Response.json({ claimed: true });
      case 'release':
        // Only an id whose message never left: a finished job stays remembered.
        if (current?.state === 'pending') await storage.deleteAll();
        return Response.json({ ok: true });
      case 'status':
        return Response.json(current ?? null);
      case 'start': {
        // Runs only the delivery of the enqueue that holds the id now: not a cancelled one's, not a finished job's duplicate.
        const run = current?.state === 'pending' && current.token === command.token;
        if (run && !current.started) await storage.put<JobState>('job', { ...current, started: true });
        return Response.json({ run });
      }
      case 'cancel': {
        // Only a job no delivery has started: its message, when it comes, finds no token and is dropped.
        const cancelled = current?.state === 'pending' && !current.started;
        if (cancelled) await storage.deleteAll();
        return Response.json({ cancelled });
      }
      case 'finish': {
        const until = Date.now() + (command.outcome === 'done' ? REMEMBER_DONE_MS : REMEMBER_FAILED_MS);
        await storage.put<JobState>('job', { state: command.outcome, until, attempt: command.attempt, ...(command.error !== undefined ? { error: command.error } : {}) });
        await storage.setAlarm(until);
        return Response.json({ ok: true });
      }
    }
  }

  async alarm(): Promise<void> {
    if (!(await this.current())) await this.state.storage.deleteAll();
  }

  private async current(): Promise<JobState | undefined> {
    const job = await this.state.storage.get<JobState>('job');
    return job && job.until > Date.now() ? job : undefined;
  }
}

export interface CloudflareJobQueueOptions {
  /** The producer binding every logical queue is sent to, or one per logical queue. */
  producer: QueueProducer | ((queue: string) => QueueProducer);
  /** The `JobObject` namespace. */
  jobs: DurableNamespace;
  /** Told of every job failed for good (logs, metrics). */
  onFailure?: (failure: JobFailure) => void;
  /** The clock for delays (tests move it by hand). */
  now?: () => number;
}

interface Registered {
  handler: JobHandler<unknown>;
  concurrency: number;
  ratePerSecond?: number;
  /** Set by a `RetryLaterError`: this isolate holds the queue's messages back until then. */
  pausedUntil: number;
}

/** `JobQueue` on Cloudflare Queues; see the comment at the top of the file. */
export class CloudflareJobQueue implements JobQueue {
  private readonly handlers = new Map<string, Registered>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly options: CloudflareJobQueueOptions) {
    this.now = options.now ?? Date.now;
  }

  async enqueue<Payload>(queue: string, payload: Payload, options: EnqueueOptions = {}): Promise<void> {
    const deduplicated = options.jobId !== undefined;
    const jobId = options.jobId ?? crypto.randomUUID();
    const delayMs = Math.max(0, options.delayMs ?? 0);
    const token = crypto.randomUUID();
    if (deduplicated) {
      const claim = await this.job<{ claimed: boolean }>(queue, jobId, { op: 'claim', keepMs: delayMs + REMEMBER_FAILED_MS, token }).catch((error: unknown) => {
        throw new QueueUnavailableError(`${queue}: job ids unreachable (${describe(error)})`);
      });
      if (!claim.claimed) return;
    }
    const body: JobMessage = {
      queue,
      payload,
      jobId,
      attempt: 1,
      attempts: options.attempts ?? DEFAULT_ATTEMPTS,
      backoffMs: options.backoffMs ?? DEFAULT_BACKOFF_MS,
      deduplicated,
      ...(deduplicated ? { token } : {}),
      ...(delayMs > 0 ? { notBefore: this.now() + delayMs } : {}),
    };
    try {
      await this.send(body, delayMs);
    } catch (error) {
      // Not sent: free the id, so the caller's retry enqueues it (a send that did land runs once more at worst).
      if (deduplicated) await this.job(queue, jobId, { op: 'release' }).catch(() => undefined);
      throw new QueueUnavailableError(`${queue}: not accepted (${describe(error)})`);
    }
  }

  process<Payload>(queue: string, handler: JobHandler<Payload>, options: ProcessOptions = {}): void {
    this.handlers.set(queue, {
      handler: handler as JobHandler<unknown>,
      concurrency: Math.max(1, options.concurrency ?? 4),
      ...(options.ratePerSecond ? { ratePerSecond: options.ratePerSecond } : {}),
      pausedUntil: 0,
    });
  }

  /**
   * Takes back a job with an id that no delivery has started. Queues cannot unsend a message: the
   * id's object forgets the enqueue, and the message, when it arrives, is acknowledged unrun.
   */
  async cancel(queue: string, jobId: string): Promise<boolean> {
    const reply = await this.job<{ cancelled: boolean }>(queue, jobId, { op: 'cancel' }).catch((error: unknown) => {
      throw new QueueUnavailableError(`${queue}: job ids unreachable (${describe(error)})`);
    });
    return reply.cancelled;
  }

  /** The failure recorded for a job, while its id is remembered (null: none, or it did not fail). */
  async failure(queue: string, jobId: string): Promise<JobFailure | null> {
    const job = await this.job<JobState | null>(queue, jobId, { op: 'status' });
    return job?.state === 'failed' ? { queue, jobId, error: job.error ?? '', attempt: job.attempt ?? 0 } : null;
  }

  /**
   * The consumer: the Worker's `queue(batch, env)` export calls this (with the queue built once
   * per isolate from `env`, as the app is). Never throws: each message is acknowledged or retried
   * on its own, so one bad job does not send the whole batch back.
   */
  async handleBatch(batch: MessageBatch): Promise<void> {
    if (this.closed) {
      for (const message of batch.messages) message.retry();
      return;
    }
    const byQueue = new Map<string, { message: QueueMessage; body: JobMessage }[]>();
    for (const message of batch.messages) {
      const body = readJobMessage(message.body);
      if (!body) {
        // Not ours (or from an older shape): it can never run, and retrying it would only loop.
        message.ack();
        this.options.onFailure?.({ queue: batch.queue, jobId: message.id, error: 'not a job message', attempt: message.attempts });
        continue;
      }
      byQueue.set(body.queue, [...(byQueue.get(body.queue) ?? []), { message, body }]);
    }
    const work = Promise.all([...byQueue].map(([queue, messages]) => this.runQueue(queue, messages))).then(() => undefined);
    this.inFlight.add(work);
    try {
      await work;
    } finally {
      this.inFlight.delete(work);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
  }

  /** One logical queue's messages of a batch: at most `concurrency` at once, started no faster than `ratePerSecond`. */
  private async runQueue(queue: string, messages: { message: QueueMessage; body: JobMessage }[]): Promise<void> {
    const registered = this.handlers.get(queue);
    let next = 0;
    /** When the next job may start, in real time (a rate is a real-time limit, whatever the delay clock). */
    let nextStart = 0;
    const lane = async () => {
      while (next < messages.length) {
        const { message, body } = messages[next++]!;
        if (registered?.ratePerSecond) {
          const startAt = Math.max(Date.now(), nextStart);
          nextStart = startAt + 1000 / registered.ratePerSecond;
          if (startAt > Date.now()) await new Promise((resolve) => setTimeout(resolve, startAt - Date.now()));
        }
        // The job store or the producer failed, not the job: the delivery comes back after the back-off.
        await this.runMessage(registered, message, body).catch(() => message.retry({ delaySeconds: backoffSeconds(body.backoffMs) }));
      }
    };
    await Promise.all(Array.from({ length: Math.min(registered?.concurrency ?? 1, messages.length) }, lane));
  }

  private async runMessage(registered: Registered | undefined, message: QueueMessage, body: JobMessage): Promise<void> {
    if (!registered) return this.sendAgain(message, body, body.attempt + message.attempts - 1, UNHANDLED_DELAY_SECONDS * 1000);
    const now = this.now();
    const heldFor = Math.max(registered.pausedUntil - now, (body.notBefore ?? 0) - now);
    if (heldFor >= DELAY_GRANULARITY_MS) return this.sendAgain(message, body, body.attempt + message.attempts - 1, heldFor);
    if (body.deduplicated && body.token !== undefined) {
      const start = await this.job<{ run: boolean }>(body.queue, body.jobId, { op: 'start', token: body.token });
      if (!start.run) return message.ack(); // cancelled, or the platform's duplicate of a finished job
    } else if (body.deduplicated) {
      const job = await this.job<JobState | null>(body.queue, body.jobId, { op: 'status' });
      if (job && job.state !== 'pending') return message.ack(); // the platform's duplicate of a finished job
    }
    const attempt = body.attempt + message.attempts - 1;
    try {
      await registered.handler(body.payload, { attempt, jobId: body.jobId });
    } catch (error) {
      if (error instanceof RetryLaterError) {
        registered.pausedUntil = Math.max(registered.pausedUntil, this.now() + error.delayMs);
        return this.sendAgain(message, body, attempt, error.delayMs);
      }
      if (error instanceof PermanentJobError || attempt >= body.attempts) return this.fail(message, body, attempt, describe(error));
      return message.retry({ delaySeconds: backoffSeconds(body.backoffMs * 2 ** (attempt - 1)) });
    }
    if (body.deduplicated) await this.job(body.queue, body.jobId, { op: 'finish', outcome: 'done', attempt });
    message.ack();
  }

  private async fail(message: QueueMessage, body: JobMessage, attempt: number, error: string): Promise<void> {
    await this.job(body.queue, body.jobId, { op: 'finish', outcome: 'failed', error, attempt });
    message.ack();
    this.options.onFailure?.({ queue: body.queue, jobId: body.jobId, error, attempt });
  }

  /**
   * Sends the job again, to run after `delayMs` as attempt `attempt`, and acknowledges this
   * delivery: the platform counts a `retry()` as an attempt, and its delays stop at 12 hours.
   */
  private async sendAgain(message: QueueMessage, body: JobMessage, attempt: number, delayMs: number): Promise<void> {
    await this.send({ ...body, attempt, notBefore: this.now() + delayMs }, delayMs);
    message.ack();
  }

  private async send(body: JobMessage, delayMs: number): Promise<void> {
    const producer = typeof this.options.producer === 'function' ? this.options.producer(body.queue) : this.options.producer;
    const delaySeconds = Math.min(MAX_DELAY_SECONDS, Math.ceil(delayMs / 1000));
    await producer.send(body, { contentType: 'json', ...(delaySeconds > 0 ? { delaySeconds } : {}) });
  }

  private job<Reply>(queue: string, jobId: string, command: JobCommand): Promise<Reply> {
    return callDurableObject<Reply>(this.options.jobs, `job:${queue}:${jobId}`, command);
  }
}

/** Queues take whole seconds, at most 12 hours; a back-off under a second waits one. */
function backoffSeconds(ms: number): number {
  return Math.min(MAX_DELAY_SECONDS, Math.max(1, Math.ceil(ms / 1000)));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function readJobMessage(body: unknown): JobMessage | null {
  if (typeof body !== 'object' || body === null) return null;
  const candidate = body as Partial<JobMessage>;
  const ok =
    typeof candidate.queue === 'string' &&
    typeof candidate.jobId === 'string' &&
    Number.isInteger(candidate.attempt) &&
    Number.isInteger(candidate.attempts) &&
    typeof candidate.backoffMs === 'number' &&
    typeof candidate.deduplicated === 'boolean' &&
    'payload' in candidate;
  return ok ? (candidate as JobMessage) : null;
}
