import { Redis } from 'ioredis';
import { MemoryPaymentStore } from './memory.js';
import { RedisPaymentStore } from './redis.js';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.js';
import { paymentStoreConformance } from './conformance.js';

paymentStoreConformance('memory', () => new MemoryPaymentStore());

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/7', { maxRetriesPerRequest: 1 });
// A prefix per run: Redis is shared, and reruns must not see each other's payments.
const prefix = `test:pay:${process.pid}:${Date.now()}:`;
paymentStoreConformance('redis', () => new RedisPaymentStore(redis, prefix), async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

// Redis only: REDIS_PREFIX is how two deployments share one Redis (issue 11 item 7).
describe('RedisPaymentStore under REDIS_PREFIX', () => {
  // Its own connection: the conformance suite closes the shared one when it is done.
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/7', { maxRetriesPerRequest: 1 });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('two deployments on one Redis never see each other, even with the same payment id', async () => {
    const staging = new RedisPaymentStore(redis, `${prefix}staging:`);
    const production = new RedisPaymentStore(redis, `${prefix}production:`);
    const id = crypto.randomUUID();
    const payment = { id, requestNumber: 'PS00373-240002', amountXof: 1900, payerMsisdn: '+2290197000001', operator: 'MTN', provider: 'sandbox', createdAt: '2026-11-23T09:00:00.000Z', expiresAt: '2026-11-23T09:10:00.000Z' };
    expect(await staging.create(payment)).toBe(true);
    expect(await production.get(id)).toBeNull();
    expect(await production.latestForRequest('PS00373-240002')).toBeNull();
    expect(await production.create({ ...payment, amountXof: 500 })).toBe(true);
    expect((await staging.get(id))?.amountXof).toBe(1900);
    expect((await redis.keys(`${prefix}staging:*`)).every((key) => key.startsWith(`${prefix}staging:pay:`))).toBe(true);
  });

  // Issue 12 item 9: nothing in Redis lives for ever; a finished payment is kept for its retention.
  it('a finished payment and its indexes expire after the retention period, an unfinished one does not', async () => {
    const store = new RedisPaymentStore(redis, `${prefix}retention:`, 60_000);
    const id = crypto.randomUUID();
    const payment = { id, requestNumber: 'PS00373-240077', amountXof: 1900, payerMsisdn: '+2290197000001', operator: 'MTN', provider: 'sandbox', createdAt: '2026-11-23T09:00:00.000Z', expiresAt: '2026-11-23T09:10:00.000Z' };
    expect(await store.create(payment)).toBe(true);
    const ttl = async (suffix: string) => redis.pttl(`${prefix}retention:pay:${suffix}`);
    expect(await ttl(`p:${id}`)).toBe(-1);
    expect(await ttl('i:day:2026-11-23')).toBeGreaterThan(0);
    await store.transition(id, { to: 'pending', at: '2026-11-23T09:00:01.000Z', reason: 'sent' });
    await store.transition(id, { to: 'succeeded', at: '2026-11-23T09:01:00.000Z', reason: 'approved', providerTransactionId: 'tx-77' });
    for (const key of [`p:${id}`, `p:${id}:h`, 'i:paid:PS00373-240077', 'i:last:PS00373-240077']) {
      const left = await ttl(key);
      expect(left, key).toBeGreaterThan(0);
      expect(left, key).toBeLessThanOrEqual(60_000);
    }
  });

  it('REDIS_PREFIX defaults to guichet: and refuses what could not be a key prefix', () => {
    expect(loadConfig({}).redisPrefix).toBe('guichet:');
    expect(loadConfig({ REDIS_PREFIX: 'guichet-staging:' }).redisPrefix).toBe('guichet-staging:');
    for (const bad of ['', 'no-colon', 'two words:', '*:', ':']) expect(() => loadConfig({ REDIS_PREFIX: bad })).toThrow(/REDIS_PREFIX/);
  });
});
