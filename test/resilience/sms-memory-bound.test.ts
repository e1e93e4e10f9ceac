import { describe, expect, it } from 'vitest';
import { createKannelRoute } from '../../providers/kannel/sms.js';
import { MemoryMessageStore } from '../../src/sms/store/memory.js';
import type { SmsMessage } from '../../src/sms/store/port.js';
import { SmsFateUnknownError } from '../../src/sms/port.js';

const message = (i: number): SmsMessage => ({
  id: `m-${i}`, to: '+2290164000000', text: `Avis ${i}`, encoding: 'GSM-7', segments: 1, route: 'sandbox', purpose: 'notification',
  idempotencyKey: `k-${i}`, requestedBy: 'guichet', status: 'queued', createdAt: '', updatedAt: '', history: [],
});

describe('the embedded message store is bounded', () => {
  it('never holds more than its bound, and forgets the oldest final messages first', async () => {
    const store = new MemoryMessageStore(100);
    for (let i = 0; i < 100; i++) await store.create(message(i));
    // The first 50 are final (delivered), the next 50 still waiting for a receipt.
    for (let i = 0; i < 50; i++) await store.transition(`m-${i}`, { providerMessageId: `p-${i}`, status: 'delivered', detail: 'receipt' });
    for (let i = 100; i < 1000; i++) {
      await store.create(message(i));
      expect(store.size).toBeLessThanOrEqual(100);
    }
    // The first overflow went to final messages, not to m-50…m-99 that were still in flight.
    expect(await store.get('m-0')).toBeNull();
    expect(await store.findByProviderId('sandbox', 'p-0')).toBeNull();
    // A forgotten message's idempotency key is free again (the bound is the price of no Redis).
    expect((await store.create(message(0))).created).toBe(true);
  });

  it('keeps in-flight messages over final ones while it can', async () => {
    const store = new MemoryMessageStore(10);
    for (let i = 0; i < 10; i++) await store.create(message(i));
    for (let i = 1; i < 10; i++) await store.transition(`m-${i}`, { status: 'failed', detail: 'x' });
    await store.create(message(10));
    expect(await store.get('m-0')).not.toBeNull();
    expect(await store.get('m-10')).not.toBeNull();
  });
});

describe('a route says when a submit may have left', () => {
  const route = (error: unknown) => createKannelRoute({ sendsmsUrl: 'http://127.0.0.1:1', username: 'u', password: 'p', from: 'ServPublic', publicUrl: 'http://gw', fetch: async () => Promise.reject(error) });
  const sms = { id: 'm-1', to: '+2290164000000', text: 'x', encoding: 'GSM-7' as const };

  it('Kannel refused before the request left: a plain error, retried', async () => {
    const error = await route(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } })).send(sms).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(SmsFateUnknownError);
  });

  it('Kannel timed out or cut after the request left: fate unknown, never resent', async () => {
    for (const cause of [new DOMException('timed out', 'TimeoutError'), Object.assign(new TypeError('fetch failed'), { cause: { code: 'UND_ERR_SOCKET' } })]) {
      expect(await route(cause).send(sms).catch((e: unknown) => e)).toBeInstanceOf(SmsFateUnknownError);
    }
  });
});
