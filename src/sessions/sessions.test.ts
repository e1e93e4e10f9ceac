import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DurableObjectSessionStore, SessionObject, type DurableNamespace } from './durable-object.js';
import { MemorySessionStore } from './memory.js';
import { RedisSessionStore } from './redis.js';
import type { PreferenceStore, SessionStore } from './port.js';

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

const backends: { name: string; make: () => SessionStore & PreferenceStore }[] = [
  { name: 'memory', make: () => new MemorySessionStore() },
  { name: 'durable-object', make: () => new DurableObjectSessionStore(localDurableNamespace()) },
  { name: 'redis', make: () => new RedisSessionStore(redis, { prefix }) },
];

/** One conformance suite, run against every backend. */
describe.each(backends)('SessionStore conformance: $name', ({ make }) => {
  const key = () => `at:${Math.random().toString(36).slice(2)}`;

  it('loads nothing for an unknown session', async () => {
    expect(await make().load(key())).toBeNull();
  });

  it('creates, then updates only from the version it read', async () => {
    const store = make();
    const k = key();
    expect(await store.save(k, 'a', null, 180)).toBe(true);
    expect(await store.load(k)).toEqual({ data: 'a', version: 1 });
    expect(await store.save(k, 'b', null, 180)).toBe(false); // already exists
    expect(await store.save(k, 'b', 7, 180)).toBe(false); // stale version
    expect(await store.save(k, 'b', 1, 180)).toBe(true);
    expect(await store.load(k)).toEqual({ data: 'b', version: 2 });
  });

  it('of many concurrent writers from the same version, exactly one wins', async () => {
    const store = make();
    const k = key();
    await store.save(k, 'start', null, 180);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.save(k, `writer-${i}`, 1, 180)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect(await store.load(k)).toEqual({ data: `writer-${winner}`, version: 2 });
  });

  it('keeps data with any characters intact', async () => {
    const store = make();
    const k = key();
    const data = JSON.stringify({ text: 'Prête à être reçue «CCSP» 1*2*3 \n €' });
    await store.save(k, data, null, 180);
    expect((await store.load(k))?.data).toBe(data);
  });

  it('remembers an opt-out until it is lifted', async () => {
    const store = make();
    const msisdn = `+22901${Math.floor(Math.random() * 1e8).toString().padStart(8, '0')}`;
    expect(await store.isOptedOut(msisdn)).toBe(false);
    await store.setOptedOut(msisdn, true);
    expect(await store.isOptedOut(msisdn)).toBe(true);
    await store.setOptedOut(msisdn, false);
    expect(await store.isOptedOut(msisdn)).toBe(false);
  });

  it('remembers a language per phone number', async () => {
    const store = make();
    const msisdn = `+22901${Math.floor(Math.random() * 1e8).toString().padStart(8, '0')}`;
    expect(await store.getLanguage(msisdn)).toBeNull();
    await store.setLanguage(msisdn, 'en');
    expect(await store.getLanguage(msisdn)).toBe('en');
  });
});

describe('memory store expiry', () => {
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

describe('redis store specifics', () => {
  it('sets the time to live on every save', async () => {
    const store = new RedisSessionStore(redis, { prefix });
    await store.save('ttl', 'a', null, 180);
    const ttl = await redis.ttl(`${prefix}ussd:ttl`);
    expect(ttl).toBeGreaterThan(170);
    expect(ttl).toBeLessThanOrEqual(180);
    await store.save('ttl', 'b', 1, 30);
    expect(await redis.ttl(`${prefix}ussd:ttl`)).toBeLessThanOrEqual(30);
  });
});
