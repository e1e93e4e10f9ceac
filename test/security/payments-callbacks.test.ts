import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createFedapay, DEFAULT_FEDAPAY_MODES } from '../../providers/fedapay/collection.js';
import { createMomoCollection } from '../../providers/mtn-momo/collection.js';
import { MemoryJobQueue } from '../../src/jobs/memory.js';
import { silentLogger } from '../../src/observability/logger.js';
import { RETRY_AFTER_SECONDS } from '../../src/payments/callback-route.js';
import { createEmbeddedPayments } from '../../src/payments/embedded-payments.js';
import { MemoryPaymentStore } from '../../src/payments/store/memory.js';
import type { PaymentStore } from '../../src/payments/store/port.js';
import { PaymentProviderDirectory } from '../../src/payments/provider-directory.js';
import { RedisPaymentStore } from '../../src/payments/store/redis.js';
import { createDemoPortal, DEMO_MSISDN } from '../../src/portal/demo.js';
import { fedapaySignature } from '../../testkit/fakes/fedapay.js';
import { createTestGateway } from '../../testkit/harness.js';

/**
 * Issue 11 items 7 and 11, issue 12 item 10, through the real callback route: forged ids naming
 * the store's own keys, replays, and a store that is away. Each case: the raw request, the status
 * expected, and the store compared before and after (raw Redis keys too, for the Redis store).
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
const prefixes: string[] = [];
afterAll(async () => {
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  redis.disconnect();
});

const WEBHOOK_SECRET = 'wh_security_test';
const CLOCK = Date.parse('2026-11-23T09:00:00Z');
/** The providers' APIs are never reached by these cases: a call would fail the test loudly. */
const noNetwork: typeof fetch = async () => {
  throw new Error('this test expects no provider API call');
};

async function callbackGateway(store: PaymentStore) {
  const momo = createMomoCollection({ baseUrl: 'http://127.0.0.1:9', apiUser: 'u', apiKey: 'k', subscriptionKey: 's', targetEnvironment: 'sandbox', fetch: noNetwork, now: () => CLOCK });
  const fedapay = createFedapay({ baseUrl: 'http://127.0.0.1:9', secretKey: 'sk', webhookSecret: WEBHOOK_SECRET, modes: DEFAULT_FEDAPAY_MODES, fetch: noNetwork });
  const providers = new PaymentProviderDirectory([momo, fedapay], {}, 'mtn-momo');
  const portal = createDemoPortal();
  const jobs = new MemoryJobQueue();
  const payments = createEmbeddedPayments(portal, { providers, store, jobs, now: () => CLOCK });
  payments.start();
  const hints: string[] = [];
  const gateway = await createTestGateway({
    payments: { providers, store, apply: payments.apply, logger: silentLogger, now: () => CLOCK, enqueueHintConfirmation: async (id) => void hints.push(id) },
  });
  const created = new Date(CLOCK).toISOString();
  const expires = new Date(CLOCK + 600_000).toISOString();
  const momoPayment = crypto.randomUUID();
  const fedapayPayment = crypto.randomUUID();
  await store.create({ id: momoPayment, requestNumber: 'PS00373-240002', amountXof: 1900, payerMsisdn: DEMO_MSISDN, operator: 'MTN', provider: 'mtn-momo', createdAt: created, expiresAt: expires });
  await store.transition(momoPayment, { to: 'pending', at: created, reason: 'pushed', code: 'provider_pending' });
  await store.create({ id: fedapayPayment, requestNumber: 'PS00150-240004', amountXof: 500, payerMsisdn: DEMO_MSISDN, operator: 'MTN', provider: 'fedapay', createdAt: created, expiresAt: expires });
  await store.transition(fedapayPayment, { to: 'pending', at: created, reason: 'pushed', code: 'provider_pending' });
  return { app: gateway.app, store, hints, portal, jobs, momoPayment, fedapayPayment };
}

function fedapayEvent(paymentId: unknown, status = 'approved', amount = 500) {
  const body = JSON.stringify({ name: `transaction.${status}`, object: 'transaction', entity: { id: 1042, reference: 'trx_1042', status, amount, custom_metadata: { payment_id: paymentId }, last_error_code: null } });
  return { body, headers: { 'content-type': 'application/json', 'x-fedapay-signature': fedapaySignature(body, WEBHOOK_SECRET, CLOCK) } };
}
const momoHint = (externalId: unknown) => ({ body: JSON.stringify({ externalId, status: 'SUCCESSFUL' }), headers: { 'content-type': 'application/json' } });

/** Everything the store holds about these payments; for Redis, every raw key under its prefix as well. */
async function snapshot(store: PaymentStore, prefix?: string): Promise<string> {
  const payments = await store.createdOn('2026-11-23');
  const raw: Record<string, unknown> = {};
  if (prefix) {
    for (const key of (await redis.keys(`${prefix}*`)).sort()) {
      const type = await redis.type(key);
      raw[key] = type === 'hash' ? await redis.hgetall(key)
        : type === 'list' ? await redis.lrange(key, 0, -1)
        : type === 'set' ? (await redis.smembers(key)).sort()
        : type === 'zset' ? await redis.zrangebyscore(key, '-inf', '+inf', 'WITHSCORES')
        : await redis.get(key);
    }
  }
  return JSON.stringify({ payments: payments.sort((a, b) => a.id.localeCompare(b.id)), raw });
}

type Attack = [name: string, provider: 'mtn-momo' | 'fedapay', request: (ids: { momo: string; fedapay: string }) => { body: string; headers: Record<string, string> }, status: number];
const ATTACKS: Attack[] = [
  ['MoMo externalId naming the open index', 'mtn-momo', () => momoHint('open'), 400],
  ['MoMo externalId naming a day index', 'mtn-momo', () => momoHint('day:2026-11-23'), 400],
  ['MoMo externalId naming the index namespace', 'mtn-momo', () => momoHint('pay:i:open'), 400],
  ["MoMo externalId naming a payment's history", 'mtn-momo', ({ momo }) => momoHint(`${momo}:h`), 400],
  ["MoMo externalId naming a payment's flags", 'mtn-momo', ({ momo }) => momoHint(`${momo}:f`), 400],
  ['MoMo externalId __proto__', 'mtn-momo', () => momoHint('__proto__'), 400],
  ['MoMo externalId with a wildcard', 'mtn-momo', () => momoHint('*'), 400],
  ['MoMo externalId a number', 'mtn-momo', () => momoHint(42), 400],
  ['MoMo externalId a UUID we never made', 'mtn-momo', () => momoHint(crypto.randomUUID()), 404],
  ["MoMo naming FedaPay's payment", 'mtn-momo', ({ fedapay }) => momoHint(fedapay), 404],
  ['FedaPay signed event naming the open index', 'fedapay', () => fedapayEvent('open'), 400],
  ['FedaPay signed event naming a history list', 'fedapay', ({ fedapay }) => fedapayEvent(`${fedapay}:h`), 400],
  ['FedaPay signed event naming a day index', 'fedapay', () => fedapayEvent('day:2026-11-23'), 400],
];

describe.each([
  ['memory', () => ({ store: new MemoryPaymentStore() as PaymentStore, prefix: undefined })],
  ['redis', () => {
    const prefix = `test-sec-cb:${process.pid}:${Date.now()}:${Math.random()}:`;
    prefixes.push(prefix);
    return { store: new RedisPaymentStore(redis, prefix) as PaymentStore, prefix };
  }],
])('payment callbacks under attack (%s store)', (_name, makeStore) => {
  it.each(ATTACKS)('%s: %s answers %i and changes nothing', async (_attack, provider, request, status) => {
    const { store, prefix } = makeStore();
    const gw = await callbackGateway(store);
    const before = await snapshot(store, prefix);
    const { body, headers } = request({ momo: gw.momoPayment, fedapay: gw.fedapayPayment });
    const res = await gw.app.request(`/payments/${provider}/callback`, { method: provider === 'mtn-momo' ? 'PUT' : 'POST', headers, body });
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ error: expect.any(String), reason: expect.any(String) });
    expect(await snapshot(store, prefix)).toBe(before);
    expect(gw.hints).toEqual([]);
  });

  it('a genuine hint is still taken (the control case)', async () => {
    const { store } = makeStore();
    const gw = await callbackGateway(store);
    const res = await gw.app.request('/payments/mtn-momo/callback', { method: 'PUT', ...momoHint(gw.momoPayment) });
    expect(res.status).toBe(202);
    expect(gw.hints).toEqual([gw.momoPayment]);
  });

  it('a signed late success replayed 30 times flags the payment once; its history does not grow (issue 11 item 11)', async () => {
    const { store, prefix } = makeStore();
    const gw = await callbackGateway(store);
    await store.transition(gw.fedapayPayment, { to: 'expired', at: new Date(CLOCK).toISOString(), reason: 'no answer', code: 'expired_unanswered' });
    const first = await gw.app.request('/payments/fedapay/callback', { method: 'POST', ...fedapayEvent(gw.fedapayPayment) });
    expect(first.status).toBe(200);
    const afterFirst = await snapshot(store, prefix);
    for (let i = 0; i < 30; i++) {
      expect((await gw.app.request('/payments/fedapay/callback', { method: 'POST', ...fedapayEvent(gw.fedapayPayment) })).status).toBe(200);
    }
    expect(await snapshot(store, prefix)).toBe(afterFirst);
    const payment = await store.get(gw.fedapayPayment);
    expect(payment).toMatchObject({ state: 'expired', needsReconciliation: true });
    expect(payment?.history.map((h) => `${h.from}>${h.to}`)).toEqual(['created>pending', 'pending>expired', 'expired>succeeded']);
    await gw.jobs.drain();
    expect(gw.portal.payments).toEqual([]);
  });

  it('a signed success replayed 30 times: one move, one portal notice', async () => {
    const { store } = makeStore();
    const gw = await callbackGateway(store);
    for (let i = 0; i < 31; i++) {
      expect((await gw.app.request('/payments/fedapay/callback', { method: 'POST', ...fedapayEvent(gw.fedapayPayment) })).status).toBe(200);
      await gw.jobs.drain();
    }
    expect((await store.get(gw.fedapayPayment))?.history).toHaveLength(2);
    expect(gw.portal.payments.map((p) => p.paymentId)).toEqual([gw.fedapayPayment]);
  });
});

describe('payment callbacks while the store is away (issue 12 item 10)', () => {
  // A Redis that is not there: commands fail at once (no offline queue), as the gateway's do.
  const away = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  away.on('error', () => {});
  afterAll(() => away.disconnect());

  it.each<[string, 'mtn-momo' | 'fedapay', (id: string) => { body: string; headers: Record<string, string> }]>([
    ['an unsigned MoMo hint', 'mtn-momo', (id) => momoHint(id)],
    ['a signed FedaPay success', 'fedapay', (id) => fedapayEvent(id)],
  ])('%s answers 503 with Retry-After, never 500', async (_name, provider, request) => {
    const momo = createMomoCollection({ baseUrl: 'http://127.0.0.1:9', apiUser: 'u', apiKey: 'k', subscriptionKey: 's', targetEnvironment: 'sandbox', fetch: noNetwork });
    const fedapay = createFedapay({ baseUrl: 'http://127.0.0.1:9', secretKey: 'sk', webhookSecret: WEBHOOK_SECRET, modes: DEFAULT_FEDAPAY_MODES, fetch: noNetwork });
    const providers = new PaymentProviderDirectory([momo, fedapay], {}, 'mtn-momo');
    const store = new RedisPaymentStore(away, 'test-away:');
    const payments = createEmbeddedPayments(createDemoPortal(), { providers, store });
    payments.start();
    const { app } = await createTestGateway({ payments: { providers, store, apply: payments.apply, logger: silentLogger, now: () => CLOCK } });
    const res = await app.request(`/payments/${provider}/callback`, { method: 'POST', ...request(crypto.randomUUID()) });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe(String(RETRY_AFTER_SECONDS));
    expect(await res.json()).toMatchObject({ error: 'unavailable', reason: expect.stringMatching(/retry later/) });
  });

  it('a hint whose queue is away answers 503 with Retry-After', async () => {
    const store = new MemoryPaymentStore();
    const gw = await callbackGateway(store);
    const providers = new PaymentProviderDirectory([createMomoCollection({ baseUrl: 'http://127.0.0.1:9', apiUser: 'u', apiKey: 'k', subscriptionKey: 's', targetEnvironment: 'sandbox', fetch: noNetwork })], {}, 'mtn-momo');
    const { app } = await createTestGateway({
      payments: { providers, store, apply: async () => 'pending', logger: silentLogger, enqueueHintConfirmation: async () => { throw new Error('Connection is closed.'); } },
    });
    const res = await app.request('/payments/mtn-momo/callback', { method: 'PUT', ...momoHint(gw.momoPayment) });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe(String(RETRY_AFTER_SECONDS));
  });
});
