/**
 * Issue 18 part 3: what one accepted notification costs Redis on the API path. Each command is a
 * write, a reply and a share of an auto-pipeline flush through ioredis (some 15 µs of the gateway's
 * CPU by the profile's count), so the count is held here. The path's real parts on one Redis,
 * counted by MONITOR on a database of this test's own: the agency's rate (one script), the
 * recipient's language and opt-out (one MGET), the message written and its idempotency key claimed
 * (one script, `WRITE_AND_CLAIM`), the job added (BullMQ's one script). Six before: GET and EXISTS,
 * SET and SET NX.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotificationHttp } from '../src/channels/sms/notifications.js';
import { BullMqJobQueue } from '../src/jobs/bullmq.js';
import { RedisRateLimiter } from '../src/limits/rate/redis.js';
import { silentLogger } from '../src/observability/logger.js';
import { RedisSessionStore } from '../src/sessions/redis.js';
import { SmsDispatcher } from '../src/sms/dispatcher.js';
import { RedisMessageStore } from '../src/sms/store/redis.js';
import { deleteKeysUnder } from '../testkit/redis-keys.js';
import { countCommands } from '../testkit/redis-monitor.js';

/** A database nobody else's test uses, so MONITOR sees this test's commands only. */
const DB = 11;
const BASE = (process.env.REDIS_URL ?? 'redis://127.0.0.1:6379').replace(/\/\d*$/, '');
const URL = `${BASE}/${DB}`;
const KEY = 'count-key-0123456789';
const OPTED_OUT = '+2290196000078';

describe('Redis commands per notification on the API path', () => {
  const prefix = `count-${process.pid}-${Date.now()}:`;
  const redis = new Redis(URL, { enableAutoPipelining: true, maxRetriesPerRequest: 1 });
  const jobs = new BullMqJobQueue({ redisUrl: URL, prefix: `${prefix}bull` });
  const preferences = new RedisSessionStore(redis, { prefix });
  const store = new RedisMessageStore(redis, `${prefix}sms:`);
  // Not started: no worker delivers, so every command seen is the API path's.
  const dispatcher = new SmsDispatcher({
    store,
    preferences,
    queue: jobs,
    routes: { sandbox: { name: 'sandbox', send: async () => ({ providerMessageId: 'p' }) } },
    routing: { default: 'sandbox' },
    transliterate: true,
    logger: silentLogger,
  });
  const notifications = new NotificationHttp({
    dispatcher,
    store,
    preferences,
    agencies: { portail: { apiKey: KEY } },
    rateLimit: { limiter: new RedisRateLimiter(redis, `${prefix}rate:`), policy: { limit: 1_000_000, windowMs: 60_000 } },
  });
  const call = { header: (name: string) => (name === 'x-api-key' ? KEY : undefined) };
  const post = (key: string, to = '+2290197000001') =>
    notifications.post(call, JSON.stringify({ to, template: 'request_ready', params: { requestNumber: 'PS00373-240001', service: 'Extrait', collectAt: 'CCSP' }, idempotencyKey: key }), {});

  const counted = (run: () => Promise<void>) => countCommands(URL, DB, redis, run);

  beforeAll(async () => {
    await redis.set(`${prefix}optout:${OPTED_OUT}`, new Date().toISOString());
    // Warm: scripts loaded, BullMQ's queue connected and its version checked.
    for (let i = 0; i < 3; i++) expect((await post(`count-warm-${i}`)).status).toBe(202);
  });
  afterAll(async () => {
    await jobs.close();
    await deleteKeysUnder(redis, prefix);
    await redis.quit();
  });

  it('a new notification: four commands (rate, language and opt-out, write and claim, job)', async () => {
    const N = 20;
    const seen = await counted(async () => {
      for (let i = 0; i < N; i++) expect((await post(`count-new-${i}`)).status).toBe(202);
    });
    // INFO replication: the replica count is asked at most every 2 s per connection (awaitReplica), not per notification.
    const info = seen.get('INFO') ?? 0;
    seen.delete('INFO');
    expect(info).toBeLessThanOrEqual(4);
    expect(Object.fromEntries(seen)).toEqual({ EVALSHA: 3 * N, MGET: N });
  });

  it('a repeated key: the same script, one GET for the first message, its job asked again (BullMQ keeps one)', async () => {
    const seen = await counted(async () => {
      expect((await post('count-new-0')).status).toBe(200);
    });
    seen.delete('INFO');
    // The job of a message still queued is added again (its job id is the message's: BullMQ keeps one).
    expect(Object.fromEntries(seen)).toEqual({ EVALSHA: 3, MGET: 1, GET: 1 });
  });

  it('an opted-out number: recorded as failed, never queued: three commands', async () => {
    const seen = await counted(async () => {
      expect((await post('count-stop-1', OPTED_OUT)).status).toBe(202);
    });
    seen.delete('INFO');
    expect(Object.fromEntries(seen)).toEqual({ EVALSHA: 2, MGET: 1 });
  });
});
