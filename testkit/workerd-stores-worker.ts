/**
 * A test Worker for `testkit/workerd-stores.ts`: the Worker adapters' Durable Object classes, and
 * a `CloudflareJobQueue` consuming a real (local) Cloudflare queue in workerd, with one handler
 * that records each run in an index object and fails, throttles or succeeds as its payload says.
 * Test-only: the gateway's own Worker is `src/runtime/worker/main.ts`.
 */
import { CloudflareJobQueue, type MessageBatch, type QueueProducer } from '../src/jobs/cloudflare-queues.js';
import { PermanentJobError, RetryLaterError, type EnqueueOptions } from '../src/jobs/port.js';
import { DurableIndex, type DurableNamespace } from '../src/lib/durable-objects.js';

export { PaymentRequestObject } from '../src/payments/store/durable-object.js';
export { SmsMessageObject } from '../src/sms/store/durable-object.js';
export { DurableIndexObject } from '../src/lib/durable-objects.js';
export { JobObject } from '../src/jobs/cloudflare-queues.js';

interface Env {
  JOBS: QueueProducer;
  JOBS_SEEN: DurableNamespace;
  INDEXES: DurableNamespace;
}

/** What the one test handler does on each run. */
export interface RecordJob {
  key: string;
  /** Throws an ordinary error on attempts up to this one. */
  failThrough?: number;
  permanent?: boolean;
  /** Throws `RetryLaterError(throttleMs)` on its first run. */
  throttleMs?: number;
}

let jobs: CloudflareJobQueue | undefined;

function jobsFor(env: Env): CloudflareJobQueue {
  if (jobs) return jobs;
  const runs = new DurableIndex(env.INDEXES);
  jobs = new CloudflareJobQueue({ producer: env.JOBS, jobs: env.JOBS_SEEN });
  jobs.process<RecordJob>('record', async (job, ctx) => {
    const earlier = await runs.list(`runs:${job.key}`);
    await runs.append(`runs:${job.key}`, JSON.stringify({ attempt: ctx.attempt, jobId: ctx.jobId }), Date.now() + 3_600_000);
    if (job.throttleMs && earlier.length === 0) throw new RetryLaterError(job.throttleMs);
    if (job.permanent) throw new PermanentJobError(`refused ${job.key}`);
    if (job.failThrough && ctx.attempt <= job.failThrough) throw new Error(`attempt ${ctx.attempt} failed`);
  });
  return jobs;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === '/enqueue') {
      const { payload, options } = (await request.json()) as { payload: RecordJob; options?: EnqueueOptions };
      await jobsFor(env).enqueue('record', payload, options);
      return Response.json({ ok: true });
    }
    if (url.pathname === '/runs') {
      const entries = await new DurableIndex(env.INDEXES).list(`runs:${url.searchParams.get('key') ?? ''}`);
      return Response.json(entries.map((entry) => JSON.parse(entry.value) as unknown));
    }
    if (url.pathname === '/failure') return Response.json(await jobsFor(env).failure('record', url.searchParams.get('jobId') ?? ''));
    return new Response('not found', { status: 404 });
  },
  queue(batch: MessageBatch, env: Env): Promise<void> {
    return jobsFor(env).handleBatch(batch);
  },
};
