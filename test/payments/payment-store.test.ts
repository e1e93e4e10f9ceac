import { Redis } from 'ioredis';
import { MemoryPaymentStore } from '../../src/payments/memory-payment-store.js';
import { RedisPaymentStore } from '../../src/payments/redis-payment-store.js';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { paymentStoreConformance } from './payment-store.conformance.js';

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

  it('REDIS_PREFIX defaults to guichet: and refuses what could not be a key prefix', () => {
    expect(loadConfig({}).redisPrefix).toBe('guichet:');
    expect(loadConfig({ REDIS_PREFIX: 'guichet-staging:' }).redisPrefix).toBe('guichet-staging:');
    for (const bad of ['', 'no-colon', 'two words:', '*:', ':']) expect(() => loadConfig({ REDIS_PREFIX: bad })).toThrow(/REDIS_PREFIX/);
  });
});
