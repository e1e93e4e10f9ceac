import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { reminderStoreConformance } from './conformance.js';
import { MemoryReminderStore } from './memory.js';
import { RedisReminderStore } from './redis.js';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
const PREFIX = `test-reminders:${process.pid}-${Date.now()}:`;

reminderStoreConformance('memory', () => new MemoryReminderStore());
reminderStoreConformance('redis', () => new RedisReminderStore(redis, PREFIX));

afterAll(async () => {
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

// Redis only: the project is moving to Redis Cluster, where a script may touch one slot only.
it('redis: the keys one script touches share one hash tag', () => {
  const store = new RedisReminderStore(redis, PREFIX);
  const { state, idempotency } = store.requestKeys('service-public', 'PS00373-240001');
  const tag = (key: string) => /\{([^}]*)\}/.exec(key)?.[1];
  expect(tag(state)).toBe('rem:service-public:PS00373-240001');
  expect(tag(idempotency)).toBe(tag(state));
  expect(tag(store.sentKey('+2290197000001'))).toBe('remsent:+2290197000001');
});
