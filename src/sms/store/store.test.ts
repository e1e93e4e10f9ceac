import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { messageStoreConformance } from './conformance.js';
import { MemoryMessageStore } from './memory.js';
import type { SmsMessage } from './port.js';
import { RedisMessageStore } from './redis.js';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
// A prefix per run: Redis is shared, and reruns must not see each other's messages.
const PREFIX = `guichet-test-sms-store-${process.pid}-${Date.now()}:`;
const redisStores: RedisMessageStore[] = [];
function redisStore(prefix = PREFIX): RedisMessageStore {
  const store = new RedisMessageStore(redis, prefix);
  redisStores.push(store);
  return store;
}

afterAll(async () => {
  for (const store of redisStores) await store.close();
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

messageStoreConformance('memory', () => new MemoryMessageStore());
messageStoreConformance('redis', () => redisStore());

// Redis only: creation is two writes (the message, then its idempotency key) that a crash could
// split, or a key could outlive its message; and what Redis holds must expire. Memory has neither.
describe('RedisMessageStore', () => {
  it('a key left by an old crash is taken over; every key the store wrote expires', async () => {
    const prefix = `${PREFIX}crash:`;
    const store = redisStore(prefix);
    const base: SmsMessage = { id: '', to: '+2290164000300', text: 'x', encoding: 'GSM-7', segments: 1, route: 'smpp-moov', purpose: 'receipt', idempotencyKey: 'atomic-1', requestedBy: 'guichet', status: 'queued', createdAt: '', updatedAt: '', history: [] };
    expect(await store.create({ ...base, id: 'm-first' })).toMatchObject({ created: true });
    // A key that outlived its message (or was left by the create of an older version).
    await redis.set(`${prefix}idem:atomic-2`, 'lost-id', 'EX', 60);
    const taken = await store.create({ ...base, id: 'm-new', idempotencyKey: 'atomic-2' });
    expect(taken).toMatchObject({ created: true, message: { id: 'm-new' } });
    expect(await store.get('m-new')).toMatchObject({ id: 'm-new' });
    // Every key the store wrote expires.
    for (const key of await redis.keys(`${prefix}*`)) if (!key.endsWith('pending')) expect(await redis.ttl(key)).toBeGreaterThan(0);
  });
});
