import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { auditSlots, keySlot } from '../../testkit/redis-slots.js';
import { sessionStoreConformance } from '../../src/sessions/conformance.js';
import { RedisSessionStore } from '../../src/sessions/redis.js';
import { paymentStoreConformance } from '../../src/payments/store/conformance.js';
import { RedisPaymentStore } from '../../src/payments/store/redis.js';
import { messageStoreConformance } from '../../src/sms/store/conformance.js';
import { RedisMessageStore } from '../../src/sms/store/redis.js';
import { RedisAttemptLimiter } from '../../src/limits/redis.js';
import { RedisCache } from '../../src/cache/redis.js';
import { deleteKeysUnder } from '../../testkit/redis-keys.js';

/*
 * Issue 15: every key a Lua script or MULTI touches shares one hash slot, so the stores run on a
 * Redis Cluster. Each store's conformance suite runs here on a client that records what a cluster
 * would refuse (CROSSSLOT); the cluster itself runs them in test/redis-cluster.test.ts.
 */
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
const audit = auditSlots(redis);
const prefix = `test:slots:${process.pid}:${Date.now()}:`;
afterAll(async () => {
  await deleteKeysUnder(redis, prefix, { oneKeyPerCommand: true });
  redis.disconnect();
});

describe('keySlot: the cluster specification', () => {
  // The specification's own examples: CRC16("123456789") = 0x31C3; tags make keys share a slot.
  it.each([
    ['123456789', 12739],
    ['foo', 12182],
    ['{user1000}.following', keySlot('user1000')],
    ['foo{}{bar}', keySlot('foo{}{bar}')],
    ['foo{{bar}}zap', keySlot('{bar')],
  ])('%s → %i', (key, slot) => expect(keySlot(key)).toBe(slot));
  it('an empty tag is no tag', () => expect(keySlot('foo{}{bar}')).not.toBe(keySlot('bar')));
});

describe('the audit sees a cross-slot MULTI and script (it can fail)', () => {
  it('records both, and nothing for one slot', async () => {
    const probe = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
    // Connected first: commands queued before the connection is up are sent twice (queued, then replayed).
    await probe.ping();
    const seen = auditSlots(probe);
    await probe.multi().set(`${prefix}a`, '1').set(`${prefix}b`, '1').exec();
    await probe.eval("return redis.call('GET', KEYS[1])", 2, `${prefix}a`, `${prefix}b`);
    await probe.multi().set(`${prefix}{t}a`, '1').set(`${prefix}{t}b`, '1').exec();
    probe.disconnect();
    expect(seen.violations, seen.violations.join("\n")).toHaveLength(2);
  });
});

// The stores' Cluster path (`multiKey: false`): on one Redis they send a number's language and
// opt-out in one MGET and create a message in one two-key script, which a Cluster would refuse.
sessionStoreConformance('redis, slot-audited', () => new RedisSessionStore(redis, { prefix, multiKey: false }));
paymentStoreConformance('redis, slot-audited', () => new RedisPaymentStore(redis, prefix));
messageStoreConformance('redis, slot-audited', () => new RedisMessageStore(redis, `${prefix}sms:`, { multiKey: false }));

describe('counters and cache, slot-audited', () => {
  it('fail, peek, clear and the cache touch one key each', async () => {
    const limiter = new RedisAttemptLimiter(redis, undefined, `${prefix}attempts:`);
    await limiter.fail('k', Date.now());
    await limiter.peek('k');
    await limiter.clear('k');
    const cache = new RedisCache(redis, `${prefix}cache:`);
    await cache.set('k', 'v', 10);
    expect(await cache.get('k')).toBe('v');
  });
});

describe('after every suite above', () => {
  it('no script, MULTI or command touched keys of two slots', () => {
    expect(audit.violations).toEqual([]);
  });
});
