/**
 * Issue 18 parts 2–3: what delivering one queued SMS costs Redis in the background, from its job to
 * `sent`, and its delivery report to `delivered`. Every payment's receipt and every notification pays
 * it, and each command is a write, a reply and a share of an auto-pipeline flush through ioredis, so
 * the count is held here. Counted by MONITOR on a database of this test's own, the job queue in
 * memory (BullMQ's scripts are the queue's, not the store's).
 *
 * One Redis, a one-part message: the create (one script, the API's share), the worker's read, the
 * claim, the acceptance recorded with `sent` (one script: the compare-and-set, the provider-id
 * pointer, and the `pending` entry when it moves), the parked-report check (one script); the report:
 * the pointer read and one script. Before the December 4 pass, 17 then 4: a read before every
 * compare-and-set (5 GETs), four compare-and-sets (the acceptance and `sent` apart), the pointer
 * written twice, the `pending` entry three times, the parked check as MULTI, LRANGE, DEL, EXEC, and a
 * ZREM beside the report's script.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryJobQueue } from '../src/jobs/memory.js';
import { silentLogger, type Logger } from '../src/observability/logger.js';
import { RedisSessionStore } from '../src/sessions/redis.js';
import { recordDeliveryReport } from '../src/sms/delivery-reports.js';
import { SmsDispatcher } from '../src/sms/dispatcher.js';
import type { SmsRoute } from '../src/sms/port.js';
import { RedisMessageStore } from '../src/sms/store/redis.js';
import { deleteKeysUnder } from '../testkit/redis-keys.js';
import { countCommands } from '../testkit/redis-monitor.js';

/** A database nobody else's test uses, so MONITOR sees this test's commands only. */
const DB = 12;
const BASE = (process.env.REDIS_URL ?? 'redis://127.0.0.1:6379').replace(/\/\d*$/, '');
const URL = `${BASE}/${DB}`;
const MOOV = '+2290195000001';
const MTN = '+2290197000001';

const redis = new Redis(URL, { enableAutoPipelining: true, maxRetriesPerRequest: 1 });
const prefix = `dcount-${process.pid}-${Date.now()}:`;

afterAll(async () => {
  await deleteKeysUnder(redis, prefix);
  await redis.quit();
});

/** The commands of `run`, by name, as MONITOR saw them on this test's database. */
async function counted(run: () => Promise<void>): Promise<Record<string, number>> {
  const seen = await countCommands(URL, DB, redis, run);
  // INFO replication: the replica count is asked at most every 2 s per connection (awaitReplica).
  seen.delete('INFO');
  return Object.fromEntries(seen);
}

/** Each count of `counts`, times `n`. */
const times = (n: number, counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).map(([name, count]) => [name, n * count]));

describe.each([
  { mode: 'one Redis', multiKey: true },
  // The Cluster's path, on one Redis: each key in its own command (test/unit/redis-slots.test.ts audits the slots).
  { mode: 'the Cluster path', multiKey: false },
])('Redis commands per delivered SMS, $mode', ({ multiKey }) => {
  const storePrefix = `${prefix}${multiKey ? 'one' : 'cluster'}:sms:`;
  const store = new RedisMessageStore(redis, storePrefix, { multiKey });
  // The test's own reads go through a store of their own: this one's would stand in for the worker's.
  const reader = new RedisMessageStore(redis, storePrefix, { multiKey });
  const sent = new Set<string>();
  const waiting = new Map<string, () => void>();
  const logger: Logger = {
    ...silentLogger,
    info: (fields, message) => {
      if (message !== 'SMS sent') return;
      sent.add(String(fields.id));
      waiting.get(String(fields.id))?.();
    },
  };
  let sequence = 0;
  /** Before a part's id is handed over: a receipt that beats its `submit_sm_resp` (set per test). */
  let beforeRecorded: ((providerMessageId: string) => Promise<void>) | undefined;
  let parts = 1;
  /** Like the SMPP route: each part's id is handed over (and recorded) before the next part goes. */
  const smpp: SmsRoute = {
    name: 'smpp-moov',
    send: async (_sms, hooks) => {
      let first: string | undefined;
      for (let index = 0; index < parts; index++) {
        const providerMessageId = `smpp-${++sequence}`;
        first ??= providerMessageId;
        await beforeRecorded?.(providerMessageId);
        await hooks?.onPartAccepted?.({ providerMessageId, index, count: parts });
      }
      return { providerMessageId: first! };
    },
  };
  /** Like Kannel and Africa's Talking: one id, given when the submit resolves. */
  const http: SmsRoute = { name: 'kannel', send: async () => ({ providerMessageId: `http-${++sequence}` }) };
  const queue = new MemoryJobQueue();
  const dispatcher = new SmsDispatcher({
    store,
    preferences: new RedisSessionStore(redis, { prefix }),
    queue,
    routes: { 'smpp-moov': smpp, kannel: http },
    routing: { MOOV: 'smpp-moov', default: 'kannel' },
    transliterate: true,
    logger,
  });
  dispatcher.start();
  afterAll(async () => {
    dispatcher.stop();
    await queue.close();
  });

  /** Sends one message (its create is one script on one Redis, two SETs on a Cluster) and waits until it is recorded `sent`. */
  async function deliver(to: string, key: string): Promise<string> {
    const { message } = await dispatcher.send({ to, text: 'Votre acte est prêt', purpose: 'receipt', idempotencyKey: `${storePrefix}${key}`, optedOut: false });
    // The job may have finished before `send` answered here.
    if (!sent.has(message.id)) await new Promise<void>((resolve) => waiting.set(message.id, resolve));
    return message.id;
  }
  const report = (route: string, providerMessageId: string) => recordDeliveryReport(store, { route, providerMessageId, status: 'delivered', raw: 'stat:DELIVRD' }, silentLogger);

  const N = 10;
  // Create, read, claim, accepted and sent, parked check; then the pointer read and the report's script.
  const oneRedis = { send: { EVALSHA: 4, GET: 1 }, report: { GET: 1, EVALSHA: 1 } };
  // Create (the message, then its key), read, claim (its `pending` entry first), accepted and sent (its
  // pointer first), parked check; then the pointer read, the compare-and-set, and `pending` left.
  const clusterPath = { send: { SET: 3, GET: 1, ZADD: 1, EVALSHA: 3 }, report: { GET: 1, EVALSHA: 1, ZREM: 1 } };
  const expected = multiKey ? oneRedis : clusterPath;

  it.each([
    ['a route that reports its parts (SMPP)', MOOV, 'smpp-moov'],
    ['a route that answers with one id (Kannel, Africa’s Talking)', MTN, 'kannel'],
  ])('%s: job to sent, then its report to delivered', async (_name, to, route) => {
    await deliver(to, `warm-${route}`); // scripts loaded
    const ids: string[] = [];
    const sending = await counted(async () => {
      for (let i = 0; i < N; i++) ids.push(await deliver(to, `${route}-${i}`));
    });
    const sentMessages = await Promise.all(ids.map((id) => reader.get(id)));
    for (const message of sentMessages) expect(message).toMatchObject({ status: 'sent', route, partCount: 1 });
    const reporting = await counted(async () => {
      for (const message of sentMessages) expect(await report(route, message!.providerMessageId!)).toBe('applied');
    });
    for (const id of ids) expect(await reader.get(id)).toMatchObject({ status: 'delivered' });
    expect(sending).toEqual(times(N, expected.send));
    expect(reporting).toEqual(times(N, expected.report));
  });

  it('a two-part message: each part recorded, the second with `sent`; delivered once both receipts are in', async () => {
    parts = 2;
    try {
      let id = '';
      const sending = await counted(async () => {
        id = await deliver(MOOV, 'two-parts');
      });
      // The first part's acceptance and its parked check more than a one-part message.
      expect(sending).toEqual(multiKey ? { EVALSHA: 6, GET: 1 } : { SET: 4, GET: 1, ZADD: 1, EVALSHA: 5 });
      const message = (await reader.get(id))!;
      expect(message).toMatchObject({ status: 'sent', partCount: 2 });
      expect(message.history.map((h) => [h.status, h.detail])).toEqual([
        ['queued', 'queued on smpp-moov'],
        ['sending', 'submitting to smpp-moov (attempt 1)'],
        [undefined, 'part 1/2 accepted by smpp-moov'],
        ['sent', 'part 2/2 accepted by smpp-moov'],
      ]);
      await report('smpp-moov', message.parts![1]!.providerMessageId);
      expect(await reader.get(id)).toMatchObject({ status: 'sent' });
      await report('smpp-moov', message.parts![0]!.providerMessageId);
      expect(await reader.get(id)).toMatchObject({ status: 'delivered' });
    } finally {
      parts = 1;
    }
  });

  it('a receipt that beats its submit_sm_resp is parked, then applied by the acceptance: delivered, once', async () => {
    const outcomes: string[] = [];
    beforeRecorded = async (providerMessageId) => {
      outcomes.push(await report('smpp-moov', providerMessageId));
    };
    try {
      const id = await deliver(MOOV, 'early-receipt');
      expect(outcomes).toEqual(['parked']);
      const message = (await reader.get(id))!;
      expect(message.status).toBe('delivered');
      expect(message.history.filter((h) => h.status === 'delivered')).toHaveLength(1);
      expect(await redis.zscore(`${storePrefix}pending`, id)).toBeNull();
    } finally {
      beforeRecorded = undefined;
    }
  });
});
