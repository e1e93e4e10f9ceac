import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { MemorySessionStore } from '../../src/sessions/memory.js';
import { loadConfig } from '../../src/config.js';
import { MemoryJobQueue } from '../../src/jobs/memory.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createSmsChannel } from '../../src/runtime/node/sms-wiring.js';
import { defaultServices } from '../../testkit/harness.js';

/** Issue 11 item 7 (SMS part): the SMS channel's Redis keys live under REDIS_PREFIX, as every other Redis user's. */
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
const PREFIX = `smsprefix-${process.pid}-${Date.now()}:`;
afterAll(async () => {
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe('SMS message store under REDIS_PREFIX', () => {
  it('writes every key of a message under the prefix', async () => {
    const sms = createSmsChannel({ config: loadConfig({ REDIS_PREFIX: PREFIX }), redis, queue: new MemoryJobQueue(), preferences: new MemorySessionStore(), services: await defaultServices(), logger: silentLogger });
    const key = `prefix-test-${Date.now()}`;
    const { message } = await sms.dispatcher.send({ to: '+2290197000001', text: 'x', idempotencyKey: key, purpose: 'test' });
    const keys = await redis.keys(`${PREFIX}*`);
    expect(keys).toContain(`${PREFIX}sms:idem:${key}`);
    expect(keys.some((k) => k.includes(message.id))).toBe(true);
    // Nothing of this message under the default prefix.
    expect(await redis.exists(`guichet:sms:idem:${key}`)).toBe(0);
    expect(await sms.store.get(message.id)).toMatchObject({ id: message.id });
    await sms.close();
  });
});
