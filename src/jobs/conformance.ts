import { afterAll, describe, expect, it } from 'vitest';
import { PermanentJobError, type JobQueue } from './port.js';

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 25));
}

/**
 * One contract, run against every JobQueue backend. Every queue made is closed when the suite is
 * done, then `cleanup` runs (a backend's own keys).
 */
export function jobQueueConformance(name: string, make: () => JobQueue, cleanup?: () => Promise<void>): void {
  describe(`JobQueue conformance: ${name}`, () => {
    const queues: JobQueue[] = [];
    const open = () => {
      const queue = make();
      queues.push(queue);
      return queue;
    };
    afterAll(async () => {
      await Promise.all(queues.map((q) => q.close()));
      await cleanup?.();
    });

    it('runs a job once however often it is enqueued with the same id', async () => {
      const queue = open();
      const seen: string[] = [];
      queue.process<{ text: string }>('once', async (payload) => void seen.push(payload.text));
      // Ids made of other ids, with `:` (BullMQ reserves it: the adapter must cope).
      await queue.enqueue('once', { text: 'a' }, { jobId: 'africastalking:ATUid_1:track.lookup' });
      await queue.enqueue('once', { text: 'b' }, { jobId: 'africastalking:ATUid_1:track.lookup' });
      await until(() => seen.length >= 1);
      await new Promise((r) => setTimeout(r, 150));
      expect(seen).toEqual(['a']);
    });

    it('cancels a delayed job before it runs, and its id can be used again', async () => {
      const queue = open();
      const seen: string[] = [];
      queue.process<{ text: string }>('cancel', async (payload) => void seen.push(payload.text));
      await queue.enqueue('cancel', { text: 'stale' }, { jobId: 'reminder:PS00373-240001:ready', delayMs: 3_000 });
      expect(await queue.cancel('cancel', 'reminder:PS00373-240001:ready')).toBe(true);
      expect(await queue.cancel('cancel', 'reminder:PS00373-240001:ready')).toBe(false);
      expect(await queue.cancel('cancel', 'never-enqueued')).toBe(false);
      await queue.enqueue('cancel', { text: 'fresh' }, { jobId: 'reminder:PS00373-240001:ready', delayMs: 50 });
      await until(() => seen.length >= 1);
      await new Promise((r) => setTimeout(r, 400));
      expect(seen).toEqual(['fresh']);
      // Finished: nothing to take back, and the id still deduplicates.
      expect(await queue.cancel('cancel', 'reminder:PS00373-240001:ready')).toBe(false);
    });

    it('does not take back a job that has started, and that job runs once', async () => {
      const queue = open();
      const seen: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      queue.process<{ text: string }>('cancel-started', async (payload) => {
        seen.push(payload.text);
        await gate;
      });
      await queue.enqueue('cancel-started', { text: 'running' }, { jobId: 'reminder:PS00373-240002:ready' });
      await until(() => seen.length >= 1);
      expect(await queue.cancel('cancel-started', 'reminder:PS00373-240002:ready')).toBe(false);
      release();
      await new Promise((r) => setTimeout(r, 300));
      expect(seen).toEqual(['running']);
      expect(await queue.cancel('cancel-started', 'reminder:PS00373-240002:ready')).toBe(false);
    });

    it('runs a job enqueued with a coalesce key while another of that key runs (after a look, a later change is still looked at)', async () => {
      const queue = open();
      const seen: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      queue.process<{ text: string }>('coalesce-live', async (payload) => {
        seen.push(payload.text);
        if (payload.text === 'first') await gate;
      });
      await queue.enqueue('coalesce-live', { text: 'first' }, { coalesceKey: 'payment-1' });
      await until(() => seen.length >= 1);
      await queue.enqueue('coalesce-live', { text: 'later' }, { coalesceKey: 'payment-1' });
      release();
      await until(() => seen.includes('later'));
      expect(seen).toEqual(['first', 'later']);
    });

    it('retries a failing job with back-off until it succeeds', async () => {
      const queue = open();
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
      const queue = open();
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
}
