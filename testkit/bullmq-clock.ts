import type { Queue } from 'bullmq';
import { until } from './until.js';

/**
 * A test's clock for BullMQ's delayed jobs. BullMQ times a delay by the real clock; tests of
 * instants days away move a clock of their own (`testkit/clock.ts`) instead, and the jobs say
 * what they were scheduled for (`dueAtMs` in their payload). These read that, and hand BullMQ
 * the jobs due by the test's clock, so the real worker runs them against the real Redis.
 */
export interface DelayedJob<Data> {
  id: string;
  data: Data;
  /** When the job was scheduled for, by the scheduler's clock. */
  dueAtMs: number;
  /** BullMQ's own delay, which the scheduler computed from its clock: `dueAtMs - now` then. */
  delayMs: number;
}

export async function delayedJobs<Data extends { dueAtMs: number }>(queue: Queue): Promise<DelayedJob<Data>[]> {
  const jobs = await queue.getDelayed();
  return jobs.map((job) => ({ id: job.id ?? '', data: job.data as Data, dueAtMs: (job.data as Data).dueAtMs, delayMs: job.delay })).sort((a, b) => a.dueAtMs - b.dueAtMs);
}

/** Promotes every delayed job due at `nowMs` (the worker then takes it); answers their ids. */
export async function promoteDue(queue: Queue, nowMs: number): Promise<string[]> {
  const promoted: string[] = [];
  for (const job of await queue.getDelayed()) {
    if ((job.data as { dueAtMs: number }).dueAtMs <= nowMs) {
      await job.promote();
      promoted.push(job.id ?? '');
    }
  }
  return promoted;
}

/** Promotes every delayed job due at `nowMs` and waits until the worker has finished each (completed or failed); answers their ids. */
export async function runDueJobs(queue: Queue, nowMs: number): Promise<string[]> {
  const promoted = await promoteDue(queue, nowMs);
  for (const id of promoted) await until(async () => ['completed', 'failed'].includes(await queue.getJobState(id)), `delayed job ${id} to finish`, 10_000);
  return promoted;
}
