import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { messageStoreConformance } from './conformance.js';
import { MemoryMessageStore } from './memory.js';
import type { SmsMessage } from './port.js';
import { RedisMessageStore } from './redis.js';
import { DurableObjectMessageStore, SmsMessageObject } from './durable-object.js';
import { DurableIndexObject } from '../../lib/durable-objects.js';
import { fakeDurableNamespace } from '../../../testkit/durable-objects.js';

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
// The real Durable Object classes on a stand-in platform (testkit/durable-objects.ts).
function durableObjectPlatform() {
  const messages = fakeDurableNamespace((state) => new SmsMessageObject(state));
  const indexes = fakeDurableNamespace((state) => new DurableIndexObject(state));
  return { messages, indexes, store: new DurableObjectMessageStore({ messages, indexes }) };
}
messageStoreConformance('durable-object', () => durableObjectPlatform().store);

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

  // A store starts each compare-and-set from the JSON it last saw of the message: two gateway
  // processes, each with its own store, must still see each other's moves.
  it.each([
    ['one Redis', true],
    ['the Cluster path', false],
  ])('%s: a store whose last sight of a message is stale applies its update to the message as it is', async (_mode, multiKey) => {
    const prefix = `${PREFIX}stale-${String(multiKey)}:`;
    const [a, b] = [new RedisMessageStore(redis, prefix, { multiKey }), new RedisMessageStore(redis, prefix, { multiKey })];
    const m: SmsMessage = { id: crypto.randomUUID(), to: '+2290164000300', text: 'x', encoding: 'GSM-7', segments: 1, route: 'smpp-moov', purpose: 'receipt', idempotencyKey: crypto.randomUUID(), requestedBy: 'guichet', status: 'queued', createdAt: '', updatedAt: '', history: [] };
    await a.create(m);
    expect(await a.get(m.id)).toMatchObject({ status: 'queued' }); // a's last sight: queued
    const [early, late] = ['2026-12-06T10:00:00.000Z', '2026-12-06T10:00:05.000Z'];
    await b.transition(m.id, { expect: 'queued', status: 'sending', claim: 'b', expiresAt: early, detail: 'claimed by b' });
    // a still believes it queued: its claim loses, and its expiry does not stay in `pending`.
    expect(await a.transition(m.id, { expect: 'queued', status: 'sending', claim: 'a', expiresAt: late, detail: 'claimed by a' })).toMatchObject({ status: 'sending', claim: 'b' });
    expect(await redis.zscore(`${prefix}pending`, m.id)).toBe(String(Date.parse(early)));
    await b.transition(m.id, { acceptedPart: { providerMessageId: 'P-1', index: 0, count: 1 }, providerMessageId: 'P-1', status: 'sent', detail: 'accepted by b' });
    await a.transition(m.id, { status: 'delivered', reportedPart: 'P-1', detail: 'report to a' });
    expect(await b.get(m.id)).toMatchObject({ status: 'delivered', partCount: 1 });
    expect((await b.get(m.id))!.history.map((h) => h.detail)).toEqual(['claimed by b', 'accepted by b', 'report to a']);
    expect(await a.findByProviderId('smpp-moov', 'P-1')).toBe(m.id);
    expect(await redis.zscore(`${prefix}pending`, m.id)).toBeNull();
  });
});

// Durable Objects only: a message and its indexes are separate objects, so a call can be cut
// between them (a Worker evicted, a network error). Each case cuts one step and checks that no
// receipt and no message in flight is lost, and that the indexes heal.
describe('DurableObjectMessageStore: a call cut between its objects', () => {
  const message = (over: Partial<SmsMessage> = {}): SmsMessage => ({
    id: crypto.randomUUID(), to: '+2290197000001', text: 'x', encoding: 'GSM-7', segments: 1, route: 'smpp-mtn', purpose: 'receipt', idempotencyKey: `receipt:${crypto.randomUUID()}`,
    requestedBy: 'guichet', status: 'queued', createdAt: '2026-11-23T09:00:00.000Z', updatedAt: '2026-11-23T09:00:00.000Z', history: [], ...over,
  });
  const cut = (op: string) => (_name: string, command: unknown) => {
    if ((command as { op: string }).op === op) throw new Error(`cut before ${op}`);
  };

  it('an acceptance cut before its record: the receipt still finds the message and delivers it', async () => {
    const { messages, store } = durableObjectPlatform();
    const m = message();
    await store.create(m);
    messages.beforeRequest = cut('transition');
    await expect(store.transition(m.id, { status: 'sent', providerMessageId: 'SMSC-77', detail: 'accepted' })).rejects.toThrow(/cut before transition/);
    messages.beforeRequest = undefined;
    expect(await store.findByProviderId('smpp-mtn', 'SMSC-77')).toBe(m.id);
    expect(await store.findByProviderId('smpp-moov', 'SMSC-77')).toBeNull();
    expect(await store.transition(m.id, { status: 'delivered', detail: 'DELIVRD' })).toMatchObject({ status: 'delivered' });
  });

  it('a final report whose clean-up is lost: the sweep sees the message final and prunes the entry', async () => {
    const { indexes, store } = durableObjectPlatform();
    const m = message();
    await store.create(m);
    await store.transition(m.id, { expect: 'queued', status: 'sending', claim: 'c1', expiresAt: '2026-11-23T09:30:00.000Z', detail: 'claimed' });
    indexes.beforeRequest = cut('delete');
    await expect(store.transition(m.id, { status: 'failed', detail: 'UNDELIV' })).rejects.toThrow(/cut before delete/);
    indexes.beforeRequest = undefined;
    expect((await store.get(m.id))?.status).toBe('failed');
    expect([...indexes.storageOf('sms-pending').keys()]).toHaveLength(1);
    expect(await store.overdue(new Date('2026-11-23T10:00:00.000Z'), 10)).toEqual([]);
    expect([...indexes.storageOf('sms-pending').keys()]).toEqual([]);
  });

  it('a second id under a known key names nothing: the first message is answered, and the second id is taken back', async () => {
    const { indexes, store } = durableObjectPlatform();
    const first = message();
    const second = message({ idempotencyKey: first.idempotencyKey });
    expect(await store.create(first)).toMatchObject({ created: true });
    expect(await store.create(second)).toMatchObject({ created: false, message: { id: first.id } });
    expect(await store.get(second.id)).toBeNull();
    expect(await store.transition(second.id, { status: 'sent', detail: 'forged' })).toBeNull();
    expect(indexes.storageOf(`sms-id:${second.id}`).has('e:key')).toBe(false);
    expect((await store.get(first.id))?.status).toBe('queued');
    // The take-back itself lost: the entry stays, and still names nothing.
    const third = message({ idempotencyKey: first.idempotencyKey });
    indexes.beforeRequest = cut('delete');
    await expect(store.create(third)).rejects.toThrow(/cut before delete/);
    indexes.beforeRequest = undefined;
    expect(indexes.storageOf(`sms-id:${third.id}`).has('e:key')).toBe(true);
    expect(await store.get(third.id)).toBeNull();
    expect(await store.transition(third.id, { status: 'sent', detail: 'forged' })).toBeNull();
    expect((await store.get(first.id))?.history).toEqual([]);
  });

  it('two Workers racing reports on one message lose none', async () => {
    const { messages, indexes } = durableObjectPlatform();
    const workers = [new DurableObjectMessageStore({ messages, indexes }), new DurableObjectMessageStore({ messages, indexes })];
    const m = message();
    await workers[0]!.create(m);
    await Promise.all(Array.from({ length: 12 }, (_, i) => workers[i % 2]!.transition(m.id, { detail: `note ${i}` })));
    expect((await workers[1]!.get(m.id))?.history).toHaveLength(12);
  });
});
