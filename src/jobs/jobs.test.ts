import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { CloudflareJobQueue, MAX_DELAY_SECONDS, type JobFailure, type JobMessage } from './cloudflare-queues.js';
import { PermanentJobError, QueueUnavailableError, RetryLaterError } from './port.js';
import { testClock } from '../../testkit/clock.js';
import { BullMqJobQueue } from './bullmq.js';
import { jobQueueConformance } from './conformance.js';
import { MemoryJobQueue } from './memory.js';
import { cloudflareJobQueueOnFakes } from '../../testkit/cloudflare-queue.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `guichet-test-${process.pid}-${Date.now()}`;

jobQueueConformance('memory', () => new MemoryJobQueue());
jobQueueConformance('bullmq', () => new BullMqJobQueue({ redisUrl: REDIS_URL, prefix: PREFIX }), async () => {
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});
/**
 * What `coalesceKey` saves, on the backends that coalesce (Cloudflare Queues runs every enqueue,
 * which the port allows): enqueues while one job waits are absorbed by it; while one runs, one more
 * (the latest) is kept to run after it. The payment callback route leans on this for duplicates.
 */
function coalescing(name: string, make: () => MemoryJobQueue | BullMqJobQueue): void {
  describe(`coalesceKey on ${name}`, () => {
    const queues: (MemoryJobQueue | BullMqJobQueue)[] = [];
    afterAll(async () => {
      await Promise.all(queues.map((q) => q.close()));
    });
    const until = async (condition: () => boolean) => {
      for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 25));
    };

    it('absorbs enqueues of a key while a job of it waits', async () => {
      const queue = make();
      queues.push(queue);
      const seen: string[] = [];
      queue.process<{ text: string }>('coalesce-waiting', async (payload) => void seen.push(payload.text));
      await queue.enqueue('coalesce-waiting', { text: 'a' }, { coalesceKey: 'p-1', delayMs: 300 });
      await queue.enqueue('coalesce-waiting', { text: 'b' }, { coalesceKey: 'p-1' });
      await queue.enqueue('coalesce-waiting', { text: 'c' }, { coalesceKey: 'p-1' });
      // Another key is a job of its own.
      await queue.enqueue('coalesce-waiting', { text: 'other' }, { coalesceKey: 'p-2' });
      await until(() => seen.length >= 2);
      await new Promise((r) => setTimeout(r, 300));
      expect(seen.sort()).toEqual(['a', 'other']);
      // Once they have run, the key is free again.
      await queue.enqueue('coalesce-waiting', { text: 'd' }, { coalesceKey: 'p-1' });
      await until(() => seen.length >= 3);
      expect(seen).toContain('d');
    });

    it('keeps one job, the latest, for after the running one', async () => {
      const queue = make();
      queues.push(queue);
      const seen: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      queue.process<{ text: string }>('coalesce-running', async (payload) => {
        seen.push(payload.text);
        if (payload.text === 'a') await gate;
      });
      await queue.enqueue('coalesce-running', { text: 'a' }, { coalesceKey: 'p-1' });
      await until(() => seen.length >= 1);
      await queue.enqueue('coalesce-running', { text: 'b' }, { coalesceKey: 'p-1' });
      await queue.enqueue('coalesce-running', { text: 'c' }, { coalesceKey: 'p-1' });
      release();
      await until(() => seen.length >= 2);
      await new Promise((r) => setTimeout(r, 300));
      expect(seen).toEqual(['a', 'c']);
    });
  });
}
coalescing('memory', () => new MemoryJobQueue());
coalescing('bullmq', () => new BullMqJobQueue({ redisUrl: REDIS_URL, prefix: `${PREFIX}-coalesce` }));

// The adapter (`./cloudflare-queues.js`) on a fake queue and the stand-in Durable Object platform
// (testkit): delays run on a test clock that jumps to the next delayed message, so back-offs of
// whole seconds (the platform's unit) are kept in order without being waited out.
jobQueueConformance('cloudflare-queues', () => cloudflareJobQueueOnFakes().jobs);

// Cloudflare Queues only: what the platform counts and delays (whole seconds, at most 12 hours,
// `attempts` per delivery, `retry()` and `ack()` per message) is this adapter's own business.
// The clock is moved by hand here, and `deliverDue()` delivers what is visible at that time.
describe('CloudflareJobQueue on the platform’s terms', () => {
  const HOUR = 3_600_000;
  function setup(onFailure?: (failure: JobFailure) => void) {
    const platform = cloudflareJobQueueOnFakes({ clock: testClock(Date.parse('2026-12-02T09:00:00.000Z')), autoAdvance: false, ...(onFailure ? { onFailure } : {}) });
    opened.push(platform.jobs);
    return platform;
  }
  const opened: CloudflareJobQueue[] = [];
  afterAll(async () => {
    await Promise.all(opened.map((jobs) => jobs.close()));
  });
  const body = (sent: { body: unknown }) => sent.body as JobMessage;

  it('sends a delay as whole seconds, and nothing runs before the clock reaches it', async () => {
    const { jobs, queue, clock } = setup();
    const seen: number[] = [];
    jobs.process('payments.poll', async (_payload, ctx) => void seen.push(ctx.attempt));
    await jobs.enqueue('payments.poll', { paymentId: 'p-1' }, { delayMs: 1_500 });
    expect(queue.sent.map((s) => s.delaySeconds)).toEqual([2]);
    await queue.deliverDue();
    clock.advance(1_999);
    await queue.deliverDue();
    expect(seen).toEqual([]);
    clock.advance(1);
    await queue.deliverDue();
    expect(seen).toEqual([1]);
  });

  it(`sends a delay past the platform's ${MAX_DELAY_SECONDS / 3600} hours at that, and again on arrival until it is due`, async () => {
    const { jobs, queue, clock } = setup();
    const seen: number[] = [];
    jobs.process('reminders.due', async (_payload, ctx) => void seen.push(ctx.attempt));
    await jobs.enqueue('reminders.due', {}, { delayMs: 30 * HOUR });
    for (const step of [12, 12]) {
      clock.advance(step * HOUR);
      await queue.deliverDue();
      expect(seen).toEqual([]);
    }
    expect(queue.sent.map((s) => s.delaySeconds)).toEqual([43_200, 43_200, 6 * 3600]);
    clock.advance(6 * HOUR);
    await queue.deliverDue();
    expect(seen).toEqual([1]);
  });

  it("retries with a doubling back-off counted from the platform's attempts, and at the last attempt fails for good, recorded once", async () => {
    const failures: JobFailure[] = [];
    const { jobs, queue, clock } = setup((failure) => failures.push(failure));
    const seen: number[] = [];
    jobs.process('portal.tell', async (_payload, ctx) => {
      seen.push(ctx.attempt);
      throw new Error('portal answered 503');
    });
    await jobs.enqueue('portal.tell', {}, { jobId: 'pay-7:portal', attempts: 3, backoffMs: 2_000 });
    for (let round = 0; round < 4; round++) {
      await queue.deliverDue();
      clock.advance(10_000);
    }
    expect(seen).toEqual([1, 2, 3]);
    expect(queue.retries.map((r) => r.delaySeconds)).toEqual([2, 4]);
    expect(failures).toEqual([{ queue: 'portal.tell', jobId: 'pay-7:portal', error: 'portal answered 503', attempt: 3 }]);
    expect(await jobs.failure('portal.tell', 'pay-7:portal')).toEqual(failures[0]);
    expect(queue.waiting()).toBe(0);
    expect(queue.deadLetters).toEqual([]);
  });

  it('acknowledges a permanent error at once and records it', async () => {
    const failures: JobFailure[] = [];
    const { jobs, queue } = setup((failure) => failures.push(failure));
    const seen: number[] = [];
    jobs.process('sms.send.smpp-mtn', async (_payload, ctx) => {
      seen.push(ctx.attempt);
      throw new PermanentJobError('invalid number');
    });
    await jobs.enqueue('sms.send.smpp-mtn', { id: 'm-1' }, { jobId: 'm-1', attempts: 6 });
    await queue.deliverDue();
    expect(seen).toEqual([1]);
    expect(queue.retries).toEqual([]);
    expect(failures.map((f) => [f.jobId, f.error, f.attempt])).toEqual([['m-1', 'invalid number', 1]]);
    expect((await jobs.failure('sms.send.smpp-mtn', 'm-1'))?.error).toBe('invalid number');
    expect(await jobs.failure('sms.send.smpp-mtn', 'm-unknown')).toBeNull();
  });

  it('brings a throttled job back after its delay without using an attempt, holding back the rest of its queue', async () => {
    const { jobs, queue, clock } = setup();
    const runs: [string, number][] = [];
    let throttled = false;
    jobs.process<{ id: string }>(
      'sms.send.africastalking',
      async (payload, ctx) => {
        runs.push([payload.id, ctx.attempt]);
        if (!throttled) {
          throttled = true;
          throw new RetryLaterError(5_000);
        }
      },
      { concurrency: 1 },
    );
    for (const id of ['a', 'b', 'c']) await jobs.enqueue('sms.send.africastalking', { id }, { jobId: id });
    await queue.deliverDue();
    expect(runs).toEqual([['a', 1]]);
    // All three sent again for 5 s, as the attempt they were: none used.
    expect(queue.sent.slice(3).map((s) => [(body(s).payload as { id: string }).id, body(s).attempt, s.delaySeconds])).toEqual([['a', 1, 5], ['b', 1, 5], ['c', 1, 5]]);
    clock.advance(4_000);
    await queue.deliverDue();
    expect(runs).toHaveLength(1);
    clock.advance(1_000);
    await queue.deliverDue();
    expect(runs).toEqual([['a', 1], ['a', 1], ['b', 1], ['c', 1]]);
  });

  it('ignores a second enqueue of an id while it is pending and once it is done; a duplicate delivery of a done job does not run', async () => {
    const { jobs, queue, clock } = setup();
    const seen: string[] = [];
    jobs.process<{ text: string }>('deferred.call', async (payload) => void seen.push(payload.text));
    await jobs.enqueue('deferred.call', { text: 'first' }, { jobId: 'africastalking:ATUid_1:track.lookup', delayMs: 10_000 });
    await jobs.enqueue('deferred.call', { text: 'while pending' }, { jobId: 'africastalking:ATUid_1:track.lookup' });
    expect(queue.sent).toHaveLength(1);
    clock.advance(10_000);
    await queue.deliverDue();
    await jobs.enqueue('deferred.call', { text: 'once done' }, { jobId: 'africastalking:ATUid_1:track.lookup' });
    queue.redeliver(queue.sent[0]!.body);
    await queue.deliverDue();
    expect(seen).toEqual(['first']);
    expect(queue.sent).toHaveLength(1);
  });

  it('answers a refused send with QueueUnavailableError and frees the id, so the caller’s retry is sent', async () => {
    const { jobs, queue } = setup();
    const seen: string[] = [];
    jobs.process<{ id: string }>('payments.collect', async (payload) => void seen.push(payload.id));
    queue.failNextSend();
    await expect(jobs.enqueue('payments.collect', { id: 'p-9' }, { jobId: 'p-9' })).rejects.toBeInstanceOf(QueueUnavailableError);
    await jobs.enqueue('payments.collect', { id: 'p-9' }, { jobId: 'p-9' });
    await queue.deliverDue();
    expect(seen).toEqual(['p-9']);
  });

  it('acknowledges and reports a message that is not a job, rather than loop on it', async () => {
    const failures: JobFailure[] = [];
    const { queue } = setup((failure) => failures.push(failure));
    queue.redeliver({ hello: 'world' });
    await queue.deliverDue();
    expect(failures.map((f) => f.error)).toEqual(['not a job message']);
    expect(queue.waiting()).toBe(0);
  });
});
