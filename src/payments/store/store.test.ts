import { Redis } from 'ioredis';
import { MemoryPaymentStore } from './memory.js';
import { paymentKeys, RedisPaymentStore } from './redis.js';
import { DurableObjectPaymentStore, PaymentRequestObject } from './durable-object.js';
import { DurableIndexObject } from '../../lib/durable-objects.js';
import { fakeDurableNamespace } from '../../../testkit/durable-objects.js';
import { deleteKeysUnder } from '../../../testkit/redis-keys.js';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../config.js';
import { paymentStoreConformance } from './conformance.js';
import { legacyReasonCode } from './legacy-reasons.js';
import type { Payment, PaymentState, ReasonCode } from '../payment.js';
import { whyToCheck } from '../report-route.js';

paymentStoreConformance('memory', () => new MemoryPaymentStore());
// The real Durable Object classes on a stand-in platform (testkit/durable-objects.ts): one
// instance per name, one request at a time, storage kept between requests.
paymentStoreConformance('durable-object', () => new DurableObjectPaymentStore({
  requests: fakeDurableNamespace((state) => new PaymentRequestObject(state)),
  indexes: fakeDurableNamespace((state) => new DurableIndexObject(state)),
}));

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/7', { maxRetriesPerRequest: 1 });
// A prefix per run: Redis is shared, and reruns must not see each other's payments.
const prefix = `test:pay:${process.pid}:${Date.now()}:`;
paymentStoreConformance('redis', () => new RedisPaymentStore(redis, prefix), async () => {
  await deleteKeysUnder(redis, prefix);
  redis.disconnect();
});

// Redis only: REDIS_PREFIX is how two deployments share one Redis (issue 11 item 7).
describe('RedisPaymentStore under REDIS_PREFIX', () => {
  // Its own connection: the conformance suite closes the shared one when it is done.
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/7', { maxRetriesPerRequest: 1 });
  afterAll(async () => {
    await deleteKeysUnder(redis, prefix);
    redis.disconnect();
  });

  it('two deployments on one Redis never see each other, even with the same payment id', async () => {
    const staging = new RedisPaymentStore(redis, `${prefix}staging:`);
    const production = new RedisPaymentStore(redis, `${prefix}production:`);
    const id = crypto.randomUUID();
    const payment = { id, requestNumber: 'PS00373-240002', amountXof: 1900, payerMsisdn: '+2290197000001', operator: 'MTN', provider: 'sandbox', createdAt: '2026-11-23T09:00:00.000Z', expiresAt: '2026-11-23T09:10:00.000Z' };
    expect(await staging.create(payment)).toBe(true);
    expect(await production.get(id)).toBeNull();
    expect(await production.latestForRequest('PS00373-240002')).toBeNull();
    expect(await production.create({ ...payment, amountXof: 500 })).toBe(true);
    expect((await staging.get(id))?.amountXof).toBe(1900);
    expect((await redis.keys(`${prefix}staging:*`)).every((key) => key.startsWith(`${prefix}staging:pay:`))).toBe(true);
  });

  // Issue 12 item 9: nothing in Redis lives for ever; a finished payment is kept for its retention.
  it('a finished payment and its indexes expire after the retention period, an unfinished one does not', async () => {
    const store = new RedisPaymentStore(redis, `${prefix}retention:`, 60_000);
    const id = crypto.randomUUID();
    const payment = { id, requestNumber: 'PS00373-240077', amountXof: 1900, payerMsisdn: '+2290197000001', operator: 'MTN', provider: 'sandbox', createdAt: '2026-11-23T09:00:00.000Z', expiresAt: '2026-11-23T09:10:00.000Z' };
    expect(await store.create(payment)).toBe(true);
    const keys = paymentKeys(`${prefix}retention:`);
    const ttl = async (key: string) => redis.pttl(key);
    expect(await ttl(keys.payment('PS00373-240077', id))).toBe(-1);
    expect(await ttl(keys.pointer(id))).toBe(-1);
    expect(await ttl(keys.day('2026-11-23'))).toBeGreaterThan(0);
    await store.transition(id, { to: 'pending', at: '2026-11-23T09:00:01.000Z', reason: 'sent', code: 'provider_pending' });
    await store.transition(id, { to: 'succeeded', at: '2026-11-23T09:01:00.000Z', reason: 'approved', code: 'provider_succeeded', providerTransactionId: 'tx-77' });
    for (const key of [keys.payment('PS00373-240077', id), keys.history('PS00373-240077', id), keys.paid('PS00373-240077'), keys.last('PS00373-240077'), keys.pointer(id)]) {
      const left = await ttl(key);
      expect(left, key).toBeGreaterThan(0);
      expect(left, key).toBeLessThanOrEqual(60_000);
    }
  });

  it('REDIS_PREFIX defaults to guichet: and refuses what could not be a key prefix', () => {
    expect(loadConfig({}).redisPrefix).toBe('guichet:');
    expect(loadConfig({ REDIS_PREFIX: 'guichet-staging:' }).redisPrefix).toBe('guichet-staging:');
    for (const bad of ['', 'no-colon', 'two words:', '*:', ':']) expect(() => loadConfig({ REDIS_PREFIX: bad })).toThrow(/REDIS_PREFIX/);
  });
});

// Redis only: the memory store is lost on restart, so it never holds a record older than reason codes.
describe('RedisPaymentStore: history written before reason codes (issue 13 item 5)', () => {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/7', { maxRetriesPerRequest: 1 });
  const legacyPrefix = `${prefix}legacy:`;
  afterAll(async () => {
    await deleteKeysUnder(redis, legacyPrefix);
    redis.disconnect();
  });

  /** A payment whose history list holds entries as the Lua script wrote them before codes: no `code`. */
  async function legacyPayment(moves: [PaymentState, string][], reference?: string): Promise<Payment> {
    const store = new RedisPaymentStore(redis, legacyPrefix);
    const id = crypto.randomUUID();
    const createdAt = '2026-11-23T09:00:00.000Z';
    const requestNumber = `PS00373-${id.slice(0, 8)}`;
    await store.create({ id, requestNumber, amountXof: 1900, payerMsisdn: '+2290197000001', operator: 'MOOV', provider: 'moov-money', createdAt, expiresAt: '2026-11-23T09:10:00.000Z' });
    for (const [to, reason] of moves) await store.transition(id, { to, at: createdAt, reason, code: 'provider_pending' });
    // Rewrite the list as the store wrote it then (cjson, no code field).
    const historyKey = paymentKeys(legacyPrefix).history(requestNumber, id);
    await redis.del(historyKey);
    let previous: PaymentState = 'created';
    for (const [to, reason] of moves) {
      await redis.rpush(historyKey, JSON.stringify({ from: previous, to, at: createdAt, reason }));
      previous = to;
    }
    if (reference) await store.rememberReference(id, reference);
    return (await store.get(id))!;
  }

  it('reads a missing code as what the old prose meant, and as no code for prose the service never wrote', async () => {
    const paid = await legacyPayment([['pending', 'request: answered'], ['succeeded', 'callback verified: succeeded']]);
    expect(paid.history.map((h) => h.code)).toEqual(['provider_answered', 'provider_succeeded']);
    const handWritten = await legacyPayment([['pending', 'pushed by an operator'], ['failed', 'declined']]);
    expect(handWritten.history).toEqual([
      { from: 'created', to: 'pending', at: '2026-11-23T09:00:00.000Z', reason: 'pushed by an operator' },
      { from: 'pending', to: 'failed', at: '2026-11-23T09:00:00.000Z', reason: 'declined' },
    ]);
  });

  it('keeps old problem payments in the report: an amount mismatch and an unconfirmed push', async () => {
    const mismatch = await legacyPayment([['pending', 'request: pending'], ['failed', 'callback verified: amount mismatch, provider reported 100 XOF (reconcile)']]);
    const unconfirmed = await legacyPayment([['pending', 'request: sending, never resent'], ['expired', 'reconciliation: past expiry']]);
    const confirmed = await legacyPayment([['pending', 'request: sending, never resent'], ['expired', 'no answer before expiry']], '72024103000000009');
    expect([mismatch, unconfirmed, confirmed].map(whyToCheck)).toEqual(['amount_mismatch', 'push_unconfirmed', null]);
    expect(unconfirmed.history.map((h) => h.code)).toEqual(['push_sent_once', 'expired_overdue']);
  });
});

describe('legacyReasonCode: the prose the payment service wrote before codes', () => {
  it.each<[PaymentState, string, ReasonCode | undefined]>([
    ['pending', 'request: pending', 'provider_pending'],
    ['pending', 'status: pending', 'provider_pending'],
    ['pending', 'callback hint: pending', 'provider_pending'],
    ['pending', 'request: answered', 'provider_answered'],
    ['pending', 'request: sending, never resent', 'push_sent_once'],
    ['succeeded', 'callback verified: succeeded', 'provider_succeeded'],
    ['succeeded', 'reconciliation: succeeded', 'provider_succeeded'],
    ['succeeded', 'late success: callback verified: succeeded', 'late_success'],
    ['failed', 'status: FAILED: PAYER_NOT_FOUND', 'provider_failed'],
    ['failed', 'callback verified: declined\nby the bank', 'provider_failed'],
    ['failed', 'callback verified: amount mismatch, provider reported 100 XOF (reconcile)', 'amount_mismatch'],
    ['failed', 'status: amount mismatch, provider reported 1900 EUR (reconcile)', 'amount_mismatch'],
    ['failed', 'request: not sent (connect ECONNREFUSED 127.0.0.1:9)', 'not_sent'],
    ['expired', 'no answer before expiry', 'expired_unanswered'],
    ['expired', 'reconciliation: past expiry', 'expired_overdue'],
    ['expired', 'no answer', undefined],
    ['pending', 'pushed', undefined],
    ['succeeded', 'paid', undefined],
    ['failed', 'declined', undefined],
    ['failed', 'someone: amount mismatch', undefined],
  ])('%s after %j reads as %s', (to, reason, code) => {
    expect(legacyReasonCode(to, reason)).toBe(code);
  });
});

// Durable Objects only: a payment and its indexes are separate objects, so a call can be cut
// between them (a Worker evicted, a network error). Each case cuts one step and checks that the
// reads and the sweep still see every payment and nothing that is not one.
describe('DurableObjectPaymentStore: a call cut between its objects', () => {
  function platform() {
    const requests = fakeDurableNamespace((state) => new PaymentRequestObject(state));
    const indexes = fakeDurableNamespace((state) => new DurableIndexObject(state));
    return { requests, indexes, store: new DurableObjectPaymentStore({ requests, indexes }) };
  }
  const payment = (requestNumber: string) => ({
    id: crypto.randomUUID(), requestNumber, amountXof: 1900, payerMsisdn: '+2290197000001', operator: 'MTN', provider: 'sandbox',
    createdAt: '2026-11-23T09:00:00.000Z', expiresAt: '2026-11-23T09:10:00.000Z',
  });
  const cut = (op: string) => (_name: string, command: unknown) => {
    if ((command as { op: string }).op === op) throw new Error(`cut before ${op}`);
  };

  it('a create cut before its record is no payment: not listed, not overdue, pruned by the sweep, and the request stays free', async () => {
    const { requests, indexes, store } = platform();
    const lost = payment('PS00373-300001');
    requests.beforeRequest = cut('create');
    await expect(store.create(lost)).rejects.toThrow(/cut before create/);
    requests.beforeRequest = undefined;
    expect(await store.get(lost.id)).toBeNull();
    expect(await store.createdOn('2026-11-23')).toEqual([]);
    expect(indexes.storageOf('pay-open').size).toBe(1); // the entry written before the record
    expect(await store.overdue('2026-11-23T09:15:00.000Z', 10)).toEqual([]);
    expect(indexes.storageOf('pay-open').size).toBe(1); // still within its grace: the create may be on its way
    expect(await store.overdue('2026-11-23T09:30:00.000Z', 10)).toEqual([]);
    expect(indexes.storageOf('pay-open').size).toBe(0);
    const retried = payment('PS00373-300001');
    expect(await store.create(retried)).toBe(true);
    expect(await store.overdue('2026-11-23T09:30:00.000Z', 10)).toEqual([retried.id]);
  });

  it('a finish whose index clean-up is lost: the sweep sees it finished, leaves it alone and prunes the entry', async () => {
    const { indexes, store } = platform();
    const paid = payment('PS00373-300002');
    await store.create(paid);
    await store.transition(paid.id, { to: 'pending', at: '2026-11-23T09:01:00.000Z', reason: 'sent', code: 'provider_pending' });
    indexes.beforeRequest = cut('delete');
    await expect(store.transition(paid.id, { to: 'succeeded', at: '2026-11-23T09:02:00.000Z', reason: 'paid', code: 'provider_succeeded' })).rejects.toThrow(/cut before delete/);
    indexes.beforeRequest = undefined;
    // The move itself landed, once: a retry of the callback is a replay.
    expect((await store.get(paid.id))?.state).toBe('succeeded');
    expect((await store.transition(paid.id, { to: 'succeeded', at: '2026-11-23T09:03:00.000Z', reason: 'again', code: 'provider_succeeded' })).kind).toBe('unchanged');
    expect(await store.paidPaymentOf('PS00373-300002')).toBe(paid.id);
    expect(await store.create(payment('PS00373-300002'))).toBe(false);
    expect(await store.overdue('2026-11-23T09:20:00.000Z', 10)).toEqual([]);
    expect(indexes.storageOf('pay-open').size).toBe(0);
  });

  it('two Workers on the same objects: of ten racing confirmations one payment is created; of its racing callbacks one applies', async () => {
    const { requests, indexes } = platform();
    const workers = [new DurableObjectPaymentStore({ requests, indexes }), new DurableObjectPaymentStore({ requests, indexes })];
    const attempts = Array.from({ length: 10 }, () => payment('PS00373-300003'));
    const created = await Promise.all(attempts.map((p, i) => workers[i % 2]!.create(p)));
    expect(created.filter(Boolean)).toHaveLength(1);
    const winner = attempts[created.indexOf(true)]!;
    await workers[0]!.transition(winner.id, { to: 'pending', at: '2026-11-23T09:01:00.000Z', reason: 'sent', code: 'provider_pending' });
    const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => workers[i % 2]!.transition(winner.id, { to: 'succeeded', at: '2026-11-23T09:02:00.000Z', reason: `callback ${i}`, code: 'provider_succeeded' })));
    expect(outcomes.filter((o) => o.kind === 'applied')).toHaveLength(1);
    // The refused ones took back their index entries: the report lists the one payment.
    expect((await workers[1]!.createdOn('2026-11-23')).map((p) => p.id)).toEqual([winner.id]);
    expect([...indexes.storageOf('pay-day:2026-11-23').keys()].filter((key) => key.startsWith('e:'))).toEqual([`e:${winner.id}`]);
  });

  it('a finished request keeps its payments for the retention period (an alarm), an unfinished one has none', async () => {
    const { requests, store } = platform();
    const failed = payment('PS00373-300004');
    await store.create(failed);
    expect(requests.alarmOf('payreq:PS00373-300004')).toBeUndefined();
    const before = Date.now();
    await store.transition(failed.id, { to: 'failed', at: '2026-11-23T09:01:00.000Z', reason: 'declined', code: 'provider_failed' });
    const alarm = requests.alarmOf('payreq:PS00373-300004')!;
    expect(alarm).toBeGreaterThanOrEqual(before + 400 * 24 * 3_600_000);
    await requests.runDueAlarms(alarm - 1);
    expect((await store.get(failed.id))?.state).toBe('failed');
  });
});

// Redis only: what one gateway process keeps of payments, with several processes on one Redis (issue 18 part 2).
describe('RedisPaymentStore: pointers kept per process', () => {
  // Two connections, as two gateway processes would have.
  const one = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/7', { maxRetriesPerRequest: 1 });
  const two = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/7', { maxRetriesPerRequest: 1 });
  const keptPrefix = `${prefix}kept:`;
  afterAll(async () => {
    await deleteKeysUnder(one, keptPrefix);
    one.disconnect();
    two.disconnect();
  });
  const newPayment = (requestNumber: string, id = crypto.randomUUID()) => ({ id, requestNumber, amountXof: 1900, payerMsisdn: '+2290197000001', operator: 'MTN', provider: 'mtn-momo', createdAt: '2026-11-23T09:00:00.000Z', expiresAt: '2026-11-23T09:10:00.000Z' });
  const move = (to: PaymentState, code: ReasonCode = 'provider_pending') => ({ to, at: '2026-11-23T09:00:01.000Z', reason: to, code, ...(to === 'succeeded' ? { providerTransactionId: 'tx-1' } : {}) });
  /** The pointer GETs a connection sends while `run` runs. */
  async function pointerGets(redis: Redis, run: () => Promise<unknown>): Promise<number> {
    const spy = vi.spyOn(redis, 'get');
    try {
      await run();
      return spy.mock.calls.filter(([key]) => String(key).includes('pay:id:')).length;
    } finally {
      spy.mockRestore();
    }
  }

  it('a payment this process created or read is found again without its pointer, and nothing else is kept', async () => {
    const store = new RedisPaymentStore(one, keptPrefix);
    const payment = newPayment(`PS00373-${crypto.randomUUID().slice(0, 8)}`);
    expect(await store.create(payment)).toBe(true);
    expect(
      await pointerGets(one, async () => {
        expect(await store.providerOf(payment.id)).toBe('mtn-momo');
        expect((await store.transition(payment.id, move('pending'))).kind).toBe('applied');
        expect((await store.get(payment.id))?.state).toBe('pending');
        expect(await store.markPortalNotified(payment.id, '2026-11-23T09:02:00.000Z')).toBe(true);
      }),
    ).toBe(0);
    // Another process asks Redis once, then keeps it.
    const other = new RedisPaymentStore(two, keptPrefix);
    expect(await pointerGets(two, async () => {
      for (let i = 0; i < 3; i++) expect(await other.providerOf(payment.id)).toBe('mtn-momo');
      expect((await other.get(payment.id))?.state).toBe('pending');
    })).toBe(1);
    // An id that is no payment is asked about every time: a miss is never kept.
    const unknown = crypto.randomUUID();
    expect(await pointerGets(one, async () => {
      expect(await store.providerOf(unknown)).toBeNull();
      expect(await store.get(unknown)).toBeNull();
    })).toBe(2);
  });

  it('states, flags, acknowledgements and the first success are read from Redis whatever this process kept', async () => {
    const a = new RedisPaymentStore(one, keptPrefix);
    const b = new RedisPaymentStore(two, keptPrefix);
    const requestNumber = `PS00373-${crypto.randomUUID().slice(0, 8)}`;
    const payment = newPayment(requestNumber);
    expect(await a.create(payment)).toBe(true);
    expect((await a.get(payment.id))?.state).toBe('created');
    expect(await a.paidPaymentOf(requestNumber)).toBeNull();
    // The other process moves it; the first sees every change at once.
    await b.transition(payment.id, move('pending'));
    expect((await b.transition(payment.id, move('succeeded', 'provider_succeeded'))).kind).toBe('applied');
    expect((await a.get(payment.id))?.state).toBe('succeeded');
    expect(await a.paidPaymentOf(requestNumber)).toBe(payment.id);
    expect((await a.transition(payment.id, move('succeeded', 'provider_succeeded'))).kind).toBe('unchanged');
    expect(await b.flag(payment.id, 'paid_twice')).toBe(true);
    const replay = await a.transition(payment.id, move('succeeded', 'provider_succeeded'));
    // The flags come back with the move itself (the script reads them), as another process left them.
    expect(replay.kind === 'unchanged' && replay.payment.reconciliationFlags).toEqual(['paid_twice']);
    expect(await b.markPortalNotified(payment.id, '2026-11-23T09:02:00.000Z')).toBe(true);
    expect(await a.markPortalNotified(payment.id, '2026-11-23T09:03:00.000Z')).toBe(false);
    expect((await a.get(payment.id))?.portalNotifiedAt).toBe('2026-11-23T09:02:00.000Z');
  });

  it('keeps no pointer of a create refused for its request: the id may later name a payment elsewhere', async () => {
    const a = new RedisPaymentStore(one, keptPrefix);
    const b = new RedisPaymentStore(two, keptPrefix);
    const requestNumber = `PS00373-${crypto.randomUUID().slice(0, 8)}`;
    const first = newPayment(requestNumber);
    expect(await a.create(first)).toBe(true);
    const refused = newPayment(requestNumber);
    // The request has an unfinished payment of its holder's: refused, its pointer taken back.
    expect(await a.create(refused)).toBe(false);
    expect(await a.get(refused.id)).toBeNull();
    const elsewhere = { ...refused, requestNumber: `PS00373-${crypto.randomUUID().slice(0, 8)}` };
    expect(await b.create(elsewhere)).toBe(true);
    expect((await a.get(refused.id))?.requestNumber).toBe(elsewhere.requestNumber);
  });

  it('keeps at most pointerCacheSize pointers, each at most pointerCacheMs, and none with 0', async () => {
    let clock = 0;
    const small = new RedisPaymentStore(one, keptPrefix, undefined, { pointerCacheSize: 2, pointerCacheMs: 1_000, now: () => clock });
    const payments = Array.from({ length: 3 }, () => newPayment(`PS00373-${crypto.randomUUID().slice(0, 8)}`));
    for (const p of payments) expect(await small.create(p)).toBe(true);
    // The oldest went when the third came.
    expect(await pointerGets(one, () => small.providerOf(payments[0]!.id))).toBe(1);
    expect(await pointerGets(one, () => small.providerOf(payments[2]!.id))).toBe(0);
    clock += 1_000;
    expect(await pointerGets(one, () => small.providerOf(payments[2]!.id))).toBe(1);
    const none = new RedisPaymentStore(one, keptPrefix, undefined, { pointerCacheSize: 0 });
    const p = newPayment(`PS00373-${crypto.randomUUID().slice(0, 8)}`);
    expect(await none.create(p)).toBe(true);
    expect(await pointerGets(one, async () => {
      await none.providerOf(p.id);
      await none.get(p.id);
    })).toBe(2);
  });
});
