import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DurableObjectSessionStore, SessionObject, type DurableNamespace } from './durable-object.js';
import { MemorySessionStore } from './memory.js';
import { RedisSessionStore } from './redis.js';
import { sessionStoreConformance } from './conformance.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `guichet-test:${process.pid}:${Date.now()}:`;
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

/**
 * Runs the real SessionObject the way the Workers runtime does: one instance per name, one
 * request at a time (input gate), storage that survives between requests. Only the platform is
 * stood in for; the object's compare-and-set logic is what the suite exercises.
 */
function localDurableNamespace(): DurableNamespace {
  const objects = new Map<string, { object: SessionObject; queue: Promise<unknown> }>();
  return {
    idFromName: (name) => name,
    get: (id) => ({
      fetch(request) {
        const name = String(id);
        let entry = objects.get(name);
        if (!entry) {
          const data = new Map<string, unknown>();
          const storage = {
            get: async <T,>(key: string) => structuredClone(data.get(key)) as T | undefined,
            put: async <T,>(key: string, value: T) => void data.set(key, structuredClone(value)),
            deleteAll: async () => data.clear(),
            setAlarm: async () => {},
          };
          entry = { object: new SessionObject({ storage }), queue: Promise.resolve() };
          objects.set(name, entry);
        }
        const run = entry.queue.then(() => entry.object.fetch(request));
        entry.queue = run.catch(() => {});
        return run;
      },
    }),
  };
}

sessionStoreConformance('memory', () => new MemorySessionStore());
sessionStoreConformance('durable-object', () => new DurableObjectSessionStore(localDurableNamespace()));
sessionStoreConformance('redis', () => new RedisSessionStore(redis, { prefix }));

// Memory only: its clock is injected, so expiry is checked without waiting. Redis expires keys by
// its own clock (the TTL is read back below), a Durable Object by its alarm, which Workers run.
describe('MemorySessionStore expiry', () => {
  it('forgets a session after its time to live', async () => {
    let now = 1_000_000;
    const store = new MemorySessionStore(() => now);
    await store.save('k', 'a', null, 180);
    now += 179_000;
    expect(await store.load('k')).not.toBeNull();
    now += 2_000;
    expect(await store.load('k')).toBeNull();
    expect(await store.save('k', 'b', null, 180)).toBe(true);
  });
});

describe('MemorySessionStore pointer expiry', () => {
  it('hands back nothing once a pointer has expired', async () => {
    let now = 1_000_000;
    const store = new MemorySessionStore(() => now);
    await store.exchange('p', 'a', 120);
    now += 121_000;
    expect(await store.exchange('p', 'b', 120)).toBeNull();
  });
});

// Redis only: the time to live is Redis's own key expiry, read back with TTL.
describe('RedisSessionStore time to live', () => {
  it('sets the time to live on every save', async () => {
    const store = new RedisSessionStore(redis, { prefix });
    await store.save('ttl', 'a', null, 180);
    const ttl = await redis.ttl(`${prefix}ussd:ttl`);
    expect(ttl).toBeGreaterThan(170);
    expect(ttl).toBeLessThanOrEqual(180);
    await store.save('ttl', 'b', 1, 30);
    expect(await redis.ttl(`${prefix}ussd:ttl`)).toBeLessThanOrEqual(30);
  });

  it('gives a pointer its time to live', async () => {
    const store = new RedisSessionStore(redis, { prefix });
    await store.exchange('ttl-pointer', 'a', 120);
    const ttl = await redis.ttl(`${prefix}ptr:ttl-pointer`);
    expect(ttl).toBeGreaterThan(110);
    expect(ttl).toBeLessThanOrEqual(120);
  });
});
