import { Redis } from 'ioredis';
import { MemoryPaymentStore } from '../../src/payments/memory-payment-store.js';
import { RedisPaymentStore } from '../../src/payments/redis-payment-store.js';
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
