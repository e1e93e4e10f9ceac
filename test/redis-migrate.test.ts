import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { migrateLegacyPayments } from '../src/cli/migrate-redis.js';
import { RedisPaymentStore } from '../src/payments/store/redis.js';
import type { NewPayment } from '../src/payments/payment.js';
import { deleteKeysUnder } from '../testkit/redis-keys.js';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
const prefix = `test:migrate:${process.pid}:${Date.now()}:`;
afterAll(async () => {
  await deleteKeysUnder(redis, prefix);
  redis.disconnect();
});

function payment(id: string, requestNumber: string): NewPayment {
  return { id, requestNumber, amountXof: 1900, payerMsisdn: '+2290197000001', operator: 'MTN', provider: 'sandbox', createdAt: '2026-11-23T09:00:00.000Z', expiresAt: '2026-11-23T09:10:00.000Z' };
}

/**
 * The layout the Lua scripts of src/payments/store/redis.ts wrote before issue 15 (this repository,
 * that file at commit 10cf48f): `pay:p:<id>` hash (d, s, r, q naming the lock), `:h` history,
 * `:f` flags; `pay:i:open-holder:<n>`, `last:<n>`, `paid:<n>`; `pay:i:open` and `pay:i:day:<d>`.
 */
async function writeLegacy(): Promise<{ open: NewPayment; paid: NewPayment }> {
  const p = prefix;
  const open = payment(crypto.randomUUID(), 'PS00373-240101');
  const paid = payment(crypto.randomUUID(), 'PS00373-240102');
  const retentionMs = 400 * 24 * 3_600_000;
  await redis.hset(`${p}pay:p:${open.id}`, 'd', JSON.stringify(open), 's', 'pending', 'r', '0', 'q', `${p}pay:i:open-holder:${open.requestNumber}`);
  await redis.rpush(`${p}pay:p:${open.id}:h`, JSON.stringify({ from: 'created', to: 'pending', at: '2026-11-23T09:00:01.000Z', reason: 'request: pending', code: 'provider_pending' }));
  await redis.set(`${p}pay:i:open-holder:${open.requestNumber}`, open.id);
  await redis.set(`${p}pay:i:last:${open.requestNumber}`, open.id, 'PX', retentionMs);
  await redis.zadd(`${p}pay:i:open`, Date.parse(open.expiresAt), open.id);
  await redis.sadd(`${p}pay:i:day:2026-11-23`, open.id, paid.id);
  await redis.hset(`${p}pay:p:${paid.id}`, 'd', JSON.stringify(paid), 's', 'succeeded', 'r', '0', 'q', `${p}pay:i:open-holder:${paid.requestNumber}`, 't', 'tx-102');
  await redis.rpush(`${p}pay:p:${paid.id}:h`, JSON.stringify({ from: 'created', to: 'succeeded', at: '2026-11-23T09:00:01.000Z', reason: 'callback verified: succeeded', code: 'provider_succeeded' }));
  await redis.sadd(`${p}pay:p:${paid.id}:f`, 'paid_twice');
  for (const suffix of ['', ':h', ':f']) await redis.pexpire(`${p}pay:p:${paid.id}${suffix}`, retentionMs);
  await redis.set(`${p}pay:i:paid:${paid.requestNumber}`, paid.id, 'PX', retentionMs);
  await redis.set(`${p}pay:i:last:${paid.requestNumber}`, paid.id, 'PX', retentionMs);
  return { open, paid };
}

describe('guichet redis migrate: payments of before issue 15 into the cluster layout', () => {
  it('moves every payment and request index; the store then reads, moves and guards them as its own', async () => {
    const { open, paid } = await writeLegacy();
    expect(await migrateLegacyPayments(redis, prefix)).toEqual({ payments: 2, indexes: 4 });
    const store = new RedisPaymentStore(redis, prefix);

    expect(await store.get(open.id)).toMatchObject({ state: 'pending', history: [{ to: 'pending', code: 'provider_pending' }] });
    expect(await store.get(paid.id)).toMatchObject({ state: 'succeeded', providerTransactionId: 'tx-102', reconciliationFlags: ['paid_twice'] });
    expect((await store.latestForRequest(open.requestNumber))?.id).toBe(open.id);
    expect(await store.paidPaymentOf(paid.requestNumber)).toBe(paid.id);
    expect(await store.overdue('2026-11-23T09:20:00.000Z', 100)).toContain(open.id);
    expect((await store.createdOn('2026-11-23')).map((p) => p.id).sort()).toEqual([open.id, paid.id].sort());
    // The request's lock moved with the payment: still held, then released by the finish.
    expect(await store.create(payment(crypto.randomUUID(), open.requestNumber))).toBe(false);
    expect((await store.transition(open.id, { to: 'failed', at: '2026-11-23T09:02:00.000Z', reason: 'declined', code: 'provider_failed' })).kind).toBe('applied');
    expect(await store.create(payment(crypto.randomUUID(), open.requestNumber))).toBe(true);
    // A paid request stays paid: no second charge.
    expect(await store.create(payment(crypto.randomUUID(), paid.requestNumber))).toBe(false);
    // Expiries kept: a finished payment still goes after its retention.
    expect(await redis.pttl(`${prefix}pay:{${paid.requestNumber}}:p:${paid.id}`)).toBeGreaterThan(0);
    expect(await redis.pttl(`${prefix}pay:id:${paid.id}`)).toBeGreaterThan(0);
    // Nothing of the old layout is left, and a second run has nothing to move.
    const [, left] = await redis.scan('0', 'MATCH', `${prefix}pay:p:*`, 'COUNT', 1000);
    expect(left).toEqual([]);
    expect(await migrateLegacyPayments(redis, prefix)).toEqual({ payments: 0, indexes: 0 });
  });
});
