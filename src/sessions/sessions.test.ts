import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DurableObjectSessionStore, SessionObject, type DurableNamespace } from './durable-object.js';
import { MemorySessionStore } from './memory.js';
import { RedisSessionStore } from './redis.js';
import { sessionStoreConformance } from './conformance.js';
import type { PreferenceStore, SessionStore } from './port.js';
import { WriteThroughSessionStore } from './write-through.js';

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
sessionStoreConformance('write-through over redis', () => writeThrough(new RedisSessionStore(redis, { prefix })));
sessionStoreConformance('write-through over memory', () => writeThrough(new MemorySessionStore()));

/** The write-through sessions with the inner store's preferences, as the conformance suite takes both. */
function writeThrough(inner: SessionStore & PreferenceStore): SessionStore & PreferenceStore {
  const sessions = new WriteThroughSessionStore(inner);
  return {
    load: (key) => sessions.load(key),
    save: (key, data, expected, ttl) => sessions.save(key, data, expected, ttl),
    exchange: (key, value, ttl) => sessions.exchange(key, value, ttl),
    recent: (key) => sessions.recent(key),
    getLanguage: (msisdn) => inner.getLanguage(msisdn),
    setLanguage: (msisdn, language) => inner.setLanguage(msisdn, language),
    isOptedOut: (msisdn) => inner.isOptedOut(msisdn),
    setOptedOut: (msisdn, optedOut) => inner.setOptedOut(msisdn, optedOut),
    languageAndOptOut: (msisdn) => inner.languageAndOptOut(msisdn),
  };
}

describe('WriteThroughSessionStore', () => {
  it('knows what this process saved, at the version it saved, until its time to live', async () => {
    let now = 1_000_000;
    const store = new WriteThroughSessionStore(new MemorySessionStore(() => now), { now: () => now });
    expect(store.recent('k')).toBeUndefined();
    await store.save('k', 'a', null, 180);
    expect(store.recent('k')).toEqual({ data: 'a', version: 1 });
    await store.save('k', 'b', 1, 180);
    expect(store.recent('k')).toEqual({ data: 'b', version: 2 });
    now += 181_000;
    expect(store.recent('k')).toBeUndefined();
  });

  it('a record another instance changed since is stale: its save fails and it is forgotten', async () => {
    const shared = new MemorySessionStore();
    const here = new WriteThroughSessionStore(shared);
    const there = new WriteThroughSessionStore(shared);
    await here.save('k', 'a', null, 180);
    expect(await there.save('k', 'b', 1, 180)).toBe(true);
    expect(here.recent('k')).toEqual({ data: 'a', version: 1 });
    expect(await here.save('k', 'c', 1, 180)).toBe(false);
    expect(here.recent('k')).toBeUndefined();
    expect(await shared.load('k')).toEqual({ data: 'b', version: 2 });
  });

  it('keeps at most maxRecords, dropping the one saved longest ago', async () => {
    const store = new WriteThroughSessionStore(new MemorySessionStore(), { maxRecords: 2 });
    await store.save('a', '1', null, 180);
    await store.save('b', '1', null, 180);
    await store.save('a', '2', 1, 180);
    await store.save('c', '1', null, 180);
    expect(store.recent('b')).toBeUndefined();
    expect(store.recent('a')).toEqual({ data: '2', version: 2 });
    expect(store.recent('c')).toEqual({ data: '1', version: 1 });
  });

  it('stops offering records when more than one save in ten made from them was stale', async () => {
    const shared = new MemorySessionStore();
    const here = new WriteThroughSessionStore(shared);
    const there = new WriteThroughSessionStore(shared);
    // 500 sessions saved here, then changed there, then saved here from the stale record: all fail.
    for (let i = 0; i < 500; i++) {
      await here.save(`s${i}`, 'a', null, 180);
      await there.save(`s${i}`, 'b', 1, 180);
      expect(await here.save(`s${i}`, 'c', 1, 180)).toBe(false);
    }
    await here.save('fresh', 'a', null, 180);
    expect(here.recent('fresh')).toBeUndefined();
  });

  it('keeps offering them when stale saves stay rare', async () => {
    const store = new WriteThroughSessionStore(new MemorySessionStore());
    for (let i = 0; i < 600; i++) {
      await store.save(`s${i}`, 'a', null, 180);
      expect(await store.save(`s${i}`, 'b', 1, 180)).toBe(true);
    }
    expect(store.recent('s599')).toEqual({ data: 'b', version: 2 });
  });
});

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
