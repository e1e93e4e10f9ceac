import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { BullMqJobQueue } from './bullmq.js';
import { PermanentJobError, type JobQueue } from './port.js';
import { MemoryJobQueue } from './memory.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `guichet-test-${process.pid}-${Date.now()}`;
const queues: JobQueue[] = [];
afterAll(async () => {
  await Promise.all(queues.map((q) => q.close()));
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

const backends: { name: string; make: () => JobQueue }[] = [
  { name: 'memory', make: () => new MemoryJobQueue() },
  { name: 'bullmq', make: () => new BullMqJobQueue({ redisUrl: REDIS_URL, prefix: PREFIX }) },
];

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 25));
}

/** One conformance suite for every JobQueue backend. */
describe.each(backends)('JobQueue conformance: $name', ({ make }) => {
  it('runs a job once however often it is enqueued with the same id', async () => {
    const queue = make();
    queues.push(queue);
    const seen: string[] = [];
    queue.process<{ text: string }>('once', async (payload) => void seen.push(payload.text));
    // Ids made of other ids, with `:` (BullMQ reserves it: the adapter must cope).
    await queue.enqueue('once', { text: 'a' }, { jobId: 'africastalking:ATUid_1:track.lookup' });
    await queue.enqueue('once', { text: 'b' }, { jobId: 'africastalking:ATUid_1:track.lookup' });
    await until(() => seen.length >= 1);
    await new Promise((r) => setTimeout(r, 150));
    expect(seen).toEqual(['a']);
  });

  it('retries a failing job with back-off until it succeeds', async () => {
    const queue = make();
    queues.push(queue);
    const attempts: number[] = [];
    queue.process('flaky', async (_payload, ctx) => {
      attempts.push(ctx.attempt);
      if (ctx.attempt < 3) throw new Error('upstream down');
    });
    await queue.enqueue('flaky', {}, { attempts: 5, backoffMs: 20 });
    await until(() => attempts.length >= 3);
    expect(attempts).toEqual([1, 2, 3]);
  });

  it('fails a job at once on a permanent error', async () => {
    const queue = make();
    queues.push(queue);
    const attempts: number[] = [];
    queue.process('permanent', async (_payload, ctx) => {
      attempts.push(ctx.attempt);
      throw new PermanentJobError('invalid number');
    });
    await queue.enqueue('permanent', {}, { attempts: 5, backoffMs: 20 });
    await until(() => attempts.length >= 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(attempts).toEqual([1]);
  });
});
