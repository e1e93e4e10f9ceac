import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { fakeDurableNamespace } from '../../../testkit/durable-objects.js';
import { auditSlots } from '../../../testkit/redis-slots.js';
import { enrolmentStoreConformance } from './conformance.js';
import { CareerEnrolmentObject, DurableObjectEnrolmentStore } from './durable-object.js';
import { MemoryEnrolmentStore } from './memory.js';
import { RedisEnrolmentStore } from './redis.js';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
const slots = auditSlots(redis);
const run = `test-careers:${process.pid}-${Date.now()}:`;

enrolmentStoreConformance('memory', () => new MemoryEnrolmentStore());
enrolmentStoreConformance('durable-object', () => new DurableObjectEnrolmentStore(fakeDurableNamespace((state) => new CareerEnrolmentObject(state))));
enrolmentStoreConformance('redis', () => new RedisEnrolmentStore(redis, run), async () => {
  // Every script and MULTI of the suite stayed on one hash slot (Redis Cluster would refuse it otherwise).
  expect(slots.violations).toEqual([]);
  const keys = await redis.keys(`${run}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

it('Redis keeps no code past its life: the code key carries the TTL', async () => {
  const client = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  const prefix = `${run}ttl:`;
  const store = new RedisEnrolmentStore(client, prefix);
  await store.startPending('n', { matricule: '1042173', codeHash: 'h' }, 300_000, Date.now());
  const ttl = await client.pttl(`${prefix}{n}:code`);
  expect(ttl).toBeGreaterThan(290_000);
  expect(ttl).toBeLessThanOrEqual(300_000);
  await client.del(`${prefix}{n}:code`);
  await client.quit();
});
