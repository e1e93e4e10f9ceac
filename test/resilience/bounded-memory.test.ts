import { describe, expect, it } from 'vitest';
import { createSandboxPaymentProvider } from '../../providers/sandbox-payment/payment.js';
import { MemoryCache } from '../../src/cache/cache.js';
import { MAX_REMEMBERED, MemoryJobQueue } from '../../src/jobs/memory-job-queue.js';

/** Issue 12, item 9: the embedded default's stores and caches have a bound or an expiry. */
describe('bounded in-memory stores', () => {
  it('the memory job queue forgets finished job ids past its bound, keeps dedup for recent ones', async () => {
    const queue = new MemoryJobQueue();
    let runs = 0;
    queue.process('bulk', async () => void runs++);
    for (let i = 0; i < MAX_REMEMBERED + 5_000; i++) await queue.enqueue('bulk', {}, { jobId: `n-${i}` });
    await queue.drain();
    expect(runs).toBe(MAX_REMEMBERED + 5_000);
    expect(queue.rememberedCount).toBeLessThanOrEqual(MAX_REMEMBERED);
    // The most recent id is still known: enqueuing it again runs nothing.
    await queue.enqueue('bulk', {}, { jobId: `n-${MAX_REMEMBERED + 4_999}` });
    await queue.drain();
    expect(runs).toBe(MAX_REMEMBERED + 5_000);
    await queue.close();
  });

  it('the memory cache holds at most its bound, expired entries first', async () => {
    let now = 0;
    const cache = new MemoryCache(() => now, 100);
    for (let i = 0; i < 50; i++) await cache.set(`old-${i}`, 'x', 1);
    now = 5_000;
    for (let i = 0; i < 500; i++) await cache.set(`new-${i}`, 'y', 60);
    expect(cache.size).toBeLessThanOrEqual(100);
    expect(await cache.get('new-499')).toBe('y');
    expect(await cache.get('old-0')).toBeNull();
  });

  it('the sandbox provider forgets payments an hour after they could have ended', async () => {
    let now = 0;
    const sandbox = createSandboxPaymentProvider({ approveAfterMs: 1_000, now: () => now });
    const request = (paymentId: string) => ({ paymentId, amountXof: 1900, payerMsisdn: '+2290197000001', operator: 'MTN', description: 'PS00373-240002', rememberReference: async (reference: string) => reference });
    await sandbox.requestCollection(request('11111111-aaaa-4aaa-8aaa-000000000001'));
    now = 2_000;
    expect((await sandbox.checkStatus({ paymentId: '11111111-aaaa-4aaa-8aaa-000000000001' })).status).toBe('succeeded');
    now = 2 * 3_600_000;
    await sandbox.requestCollection(request('11111111-aaaa-4aaa-8aaa-000000000002'));
    expect(await sandbox.checkStatus({ paymentId: '11111111-aaaa-4aaa-8aaa-000000000001' })).toMatchObject({ status: 'failed' });
  });
});
