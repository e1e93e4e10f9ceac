import { describe, expect, it } from 'vitest';
import { createSandboxPaymentProvider } from '../../providers/sandbox-payment/payment.js';
import { MemoryCache } from '../../src/cache/memory.js';
import { freePort } from '../../testkit/loopback-server.js';
import { MAX_REMEMBERED, MemoryJobQueue } from '../../src/jobs/memory.js';
import { SmppLink, SmppSubmitError } from '../../src/runtime/node/smpp/smpp-link.js';
import { silentLogger } from '../../src/observability/logger.js';

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

describe('an SMPP link whose SMSC is away', () => {
  it('holds at most maxQueued submits, refuses the rest at once, and fails expired ones while down', async () => {
    // Nothing listens on this port: the link never binds.
    const link = new SmppLink({ url: `smpp://127.0.0.1:${await freePort()}`, systemId: 'g', password: 'p', maxQueued: 5, reconnectInitialMs: 50, reconnectMaxMs: 100 }, silentLogger);
    link.start();
    try {
      const outcomes = Array.from({ length: 8 }, (_, i) => link.submit({ short_message: `m${i}` }, 1_500).then(() => 'sent', (e: unknown) => (e instanceof SmppSubmitError ? e.message : String(e))));
      const settled = await Promise.all(outcomes);
      expect(settled.slice(5)).toEqual(Array(3).fill('link queue full (5 waiting, link down)'));
      // The five held ones expire by the sweep although nothing ever pumps the queue.
      expect(settled.slice(0, 5)).toEqual(Array(5).fill('expired before the link could send it'));
    } finally {
      await link.stop();
    }
  }, 10_000);
});

describe('the memory payment store', () => {
  it('forgets the oldest finished payments past its bound, never an unfinished one', async () => {
    const { MemoryPaymentStore } = await import('../../src/payments/store/memory.js');
    const store = new MemoryPaymentStore(10);
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const id = crypto.randomUUID();
      ids.push(id);
      const requestNumber = `PS00373-${String(700000 + i)}`;
      expect(await store.create({ id, requestNumber, amountXof: 1900, payerMsisdn: '+2290197000001', operator: 'MTN', provider: 'sandbox', createdAt: '2026-12-02T10:00:00.000Z', expiresAt: '2026-12-02T10:10:00.000Z' })).toBe(true);
      // The first five stay unfinished; the others finish.
      if (i >= 5) await store.transition(id, { to: 'failed', at: '2026-12-02T10:01:00.000Z', reason: 'declined', code: 'provider_failed' });
    }
    const kept = (await Promise.all(ids.map((id) => store.get(id)))).filter(Boolean);
    expect(kept.length).toBeLessThanOrEqual(11);
    for (const id of ids.slice(0, 5)) expect(await store.get(id)).not.toBeNull();
    expect(await store.get(ids[29]!)).not.toBeNull();
  });
});
