import { Hono } from 'hono';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMomoCollection } from '../../providers/mtn-momo/collection.js';
import { BullMqJobQueue } from '../../src/jobs/bullmq.js';
import { silentLogger } from '../../src/observability/logger.js';
import { registerPaymentCallbackRoutes } from '../../src/payments/callback-route.js';
import { createEmbeddedPayments } from '../../src/payments/embedded-payments.js';
import { CONFIRM_QUEUE } from '../../src/payments/queues.js';
import { RedisPaymentStore } from '../../src/payments/store/redis.js';
import { createDemoPortal, DEMO_MSISDN, type DemoRequest } from '../../src/portal/demo.js';
import type { PortalClient } from '../../src/portal/port.js';
import { createKeepAliveFetch } from '../../src/runtime/node/http-client.js';
import { FAKE_MOMO_CREDENTIALS, startFakeMomo, type FakeMomo } from '../../testkit/fakes/momo.js';
import { deleteKeysUnder } from '../../testkit/redis-keys.js';
import { until } from '../../testkit/until.js';

/**
 * Issue 18 part 2: MoMo's callback hints confirmed in the gateway's process (`hintsInProcess`, as the
 * Node gateway runs them) instead of one durable BullMQ job each, on a real Redis and BullMQ, against
 * the tests' fake MoMo (its callbacks are the body MoMo sends, `momoCallbackBody`), through the real
 * callback route. Exactly once still holds: duplicates at once credit once, a status API that fails
 * hands the hint to the durable job, and a process stuck (or dead) with a hint leaves the payment to
 * the status poll, which settles it once.
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `test-hints-${process.pid}:`;
const BULL_PREFIX = `test-hints-bull-${process.pid}`;
let momo: FakeMomo;
let redis: Redis;
const http = createKeepAliveFetch();
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  momo = await startFakeMomo();
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await http.close();
  await momo.close();
  await deleteKeysUnder(redis, PREFIX);
  await deleteKeysUnder(redis, BULL_PREFIX);
  await redis.quit();
});

/** One gateway process's payment flow on the shared Redis and queue: its own store object, its own in-process hints. */
function gatewayProcess(told: string[]) {
  const demo = createDemoPortal(REQUESTS);
  const portal: PortalClient = { ...demo, recordPayment: async (notice, call) => (told.push(notice.paymentId), demo.recordPayment(notice, call)) };
  const provider = createMomoCollection({ baseUrl: momo.baseUrl, ...FAKE_MOMO_CREDENTIALS, callbackUrl: 'https://guichet.example.bj/payments/mtn-momo/callback', fetch: http, timeoutMs: 10_000 });
  const store = new RedisPaymentStore(redis, PREFIX);
  const jobs = new BullMqJobQueue({ redisUrl: REDIS_URL, prefix: BULL_PREFIX });
  const payments = createEmbeddedPayments(portal, { provider, store, jobs, logger: silentLogger, sms: { enqueue: async () => ({ messageId: 'receipt' }) }, hintsInProcess: {} });
  const app = new Hono();
  registerPaymentCallbackRoutes(app, { providers: payments.providers, store, apply: payments.apply, logger: silentLogger, enqueueHintConfirmation: payments.enqueueHintConfirmation });
  closers.push(async () => {
    await payments.handOverHints();
    await jobs.close();
  });
  /** MoMo's callback for `id` as it sends it, through the route: the status answered. */
  const callback = async (id: string) => {
    const { path, method, headers, body } = momo.callbackFor(id);
    return (await app.request(path, { method, headers, body })).status;
  };
  return { payments, store, jobs, callback };
}

/** The portal's unpaid requests, one for each payment the tests make. */
const REQUESTS: DemoRequest[] = Array.from({ length: 10 }, (_, i) => ({
  requestNumber: `PS00373-${240100 + i}`, serviceCode: 'PS00373', status: 'submitted', updatedAt: '2026-11-23',
  holderMsisdn: DEMO_MSISDN, holderNpi: '1234567890', holderBirthDate: '15031990', amountXof: 1900, paid: false,
}));

/** A payment collected (pending at MoMo, its first status poll queued 30 s ahead); a request of its own each. */
let nextRequest = 240100;
async function collected(gateway: ReturnType<typeof gatewayProcess>): Promise<string> {
  const id = crypto.randomUUID();
  const now = Date.now();
  await gateway.store.create({ id, requestNumber: `PS00373-${nextRequest++}`, amountXof: 1900, payerMsisdn: DEMO_MSISDN, operator: 'MTN', provider: 'mtn-momo', createdAt: new Date(now).toISOString(), expiresAt: new Date(now + 600_000).toISOString() });
  await gateway.payments.collect(id);
  expect((await gateway.store.get(id))?.state).toBe('pending');
  return id;
}

describe('callback hints confirmed in the process (Redis, BullMQ, MoMo)', () => {
  it('ten duplicate callbacks at once: every one answered 202, one or two status checks, no job queued, the portal told once', async () => {
    const told: string[] = [];
    const gateway = gatewayProcess(told);
    const id = await collected(gateway);
    momo.settle(id, { status: 'succeeded' });
    const asked = momo.calls.status;
    const statuses = await Promise.all(Array.from({ length: 10 }, () => gateway.callback(id)));
    expect(statuses).toEqual(Array(10).fill(202));
    await until(async () => (await gateway.store.get(id))?.portalNotifiedAt !== undefined, 'the portal’s acknowledgement to be recorded', 10_000);
    const paid = await gateway.store.get(id);
    expect(paid).toMatchObject({ state: 'succeeded', portalNotifiedAt: expect.any(String) });
    // One confirmation, and at most the one more look for the duplicates that came while it ran.
    expect(momo.calls.status - asked).toBeGreaterThanOrEqual(1);
    expect(momo.calls.status - asked).toBeLessThanOrEqual(2);
    expect(await gateway.jobs.queue(CONFIRM_QUEUE).getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed')).toEqual({ waiting: 0, delayed: 0, active: 0, completed: 0, failed: 0 });
    // A late duplicate is still asked of MoMo, and changes nothing.
    expect(await gateway.callback(id)).toBe(202);
    await until(async () => momo.calls.status - asked >= 2, 'the late duplicate to be asked of MoMo', 10_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(told).toEqual([id]);
    expect((await gateway.store.get(id))?.history.filter((h) => h.to === 'succeeded')).toHaveLength(1);
  });

  it('MoMo’s status API cut: the hint goes to the durable job, whose retry credits once when MoMo is back', async () => {
    const told: string[] = [];
    const gateway = gatewayProcess(told);
    gateway.payments.start();
    const id = await collected(gateway);
    momo.settle(id, { status: 'succeeded' });
    momo.misbehave('status', 'reset');
    expect(await gateway.callback(id)).toBe(202);
    const confirmJobs = gateway.jobs.queue(CONFIRM_QUEUE);
    // Its first run here failed too, and it waits for its retry (1 s back-off).
    await until(async () => ((await confirmJobs.getJobCounts('delayed')).delayed ?? 0) > 0, 'the hint to reach the durable job and wait for its retry', 10_000);
    expect(told).toEqual([]);
    momo.misbehave('status', undefined);
    await until(() => told.includes(id), 'the durable job’s retry to tell the portal', 20_000);
    expect(told).toEqual([id]);
    expect((await gateway.store.get(id))?.state).toBe('succeeded');
  });

  it('a process stuck with the hint (or dead): the status poll of another process settles the payment once; the stuck one, answered late, changes nothing', async () => {
    const told: string[] = [];
    const stuck = gatewayProcess(told);
    const other = gatewayProcess(told);
    const id = await collected(stuck);
    momo.settle(id, { status: 'succeeded' });
    // The stuck process's status question is held by MoMo; questions after it are answered.
    momo.misbehave('status', 'hang');
    expect(await stuck.callback(id)).toBe(202);
    await until(() => momo.held() > 0, 'the stuck process to ask MoMo', 10_000);
    // What the gateway's `guichet_payment_hints_pending` gauge reads.
    expect(stuck.payments.hintsPending()).toBe(1);
    momo.misbehave('status', undefined);
    // What the poll job does when it comes (here run by hand in the other process: its first waits 30 s).
    await other.payments.poll(id, 1);
    expect(told).toEqual([id]);
    expect((await other.store.get(id))?.state).toBe('succeeded');
    momo.release();
    await until(() => momo.held() === 0, 'the held question to be answered', 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stuck.payments.hintsPending()).toBe(0);
    expect(told).toEqual([id]);
    expect((await other.store.get(id))?.history.filter((h) => h.to === 'succeeded')).toHaveLength(1);
  });
});
