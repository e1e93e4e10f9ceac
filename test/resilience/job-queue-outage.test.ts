import { afterAll, expect, it } from 'vitest';
import { BullMqJobQueue } from '../../src/jobs/bullmq.js';
import { QueueUnavailableError } from '../../src/jobs/port.js';
import { OwnRedis } from '../../testkit/processes.js';
import { until } from '../../testkit/until.js';

/**
 * Issue 12, item 2 for jobs: BullMQ waits without end for a Redis that is down, so an enqueue inside
 * a hop or an API call would hang. It is refused within its budget instead, and a job whose enqueue
 * was refused but landed once Redis came back runs once (by its job id).
 */
let redis: OwnRedis;
let queue: BullMqJobQueue;
afterAll(async () => {
  await queue?.close().catch(() => undefined);
  await redis?.kill();
});

it('refuses an enqueue within its budget while Redis is down, and runs it once after', async () => {
  redis = await OwnRedis.onFreePort();
  queue = new BullMqJobQueue({ redisUrl: redis.url, prefix: `outage-${process.pid}`, enqueueBudgetMs: 300 });
  const ran: string[] = [];
  queue.process<{ id: string }>('outage', async (job) => void ran.push(job.id));
  const started = Date.now();
  await expect(queue.enqueue('outage', { id: 'a' }, { jobId: 'job-a' })).rejects.toBeInstanceOf(QueueUnavailableError);
  expect(Date.now() - started).toBeLessThan(2_000);
  await redis.start();
  // The caller retries with the same id, as the notification API and the payment jobs do.
  await until(async () => queue.enqueue('outage', { id: 'a' }, { jobId: 'job-a' }).then(() => true, () => false), 'an enqueue to be accepted', 15_000);
  await until(() => ran.length > 0, 'the job to run', 15_000);
  await new Promise((r) => setTimeout(r, 300));
  expect(ran).toEqual(['a']);
}, 30_000);
