import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMomoCollection } from '../../providers/mtn-momo/collection.js';
import { MemoryJobQueue } from '../../src/jobs/memory.js';
import type { JobQueue } from '../../src/jobs/port.js';
import type { Logger } from '../../src/observability/logger.js';
import { registerPaymentCallbackRoutes } from '../../src/payments/callback-route.js';
import { createEmbeddedPayments } from '../../src/payments/embedded-payments.js';
import { POLL_QUEUE } from '../../src/payments/queues.js';
import { whyToCheck } from '../../src/payments/report-route.js';
import { MemoryPaymentStore } from '../../src/payments/store/memory.js';
import { createDemoPortal, DEMO_MSISDN } from '../../src/portal/demo.js';
import type { PortalClient } from '../../src/portal/port.js';
import { createKeepAliveFetch } from '../../src/runtime/node/http-client.js';
import { FAKE_MOMO_CREDENTIALS, startFakeMomo, type FakeMomo } from '../../testkit/fakes/momo.js';

/**
 * Issue 18 part 2, the decision kept while the callback path got cheaper: a MoMo callback for a
 * payment already succeeded and acknowledged by the portal is still confirmed with MoMo's status
 * API (`GET requesttopay/{id}`), never answered from the record, so a reversal at the provider is
 * seen. It cannot take the credit back (the portal may have delivered the service): it flags the
 * payment for finance, once. The provider is MoMo over the Node runtime's keep-alive client, against
 * the tests' fake MoMo; the callback goes through the real route and the confirmation job.
 */
let momo: FakeMomo;
const http = createKeepAliveFetch();
beforeAll(async () => {
  momo = await startFakeMomo();
});
afterAll(async () => {
  await http.close();
  await momo.close();
});

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const record = (fields: Record<string, unknown>, message: string) => void lines.push(`${message} ${JSON.stringify(fields)}`);
  return { lines, debug: record, info: record, warn: record, error: record };
}

async function setup() {
  const demo = createDemoPortal();
  const told: string[] = [];
  const portal: PortalClient = { ...demo, recordPayment: async (notice, call) => (told.push(notice.paymentId), demo.recordPayment(notice, call)) };
  const logger = recordingLogger();
  const provider = createMomoCollection({ baseUrl: momo.baseUrl, ...FAKE_MOMO_CREDENTIALS, callbackUrl: 'https://guichet.example.bj/payments/mtn-momo/callback', fetch: http });
  const store = new MemoryPaymentStore();
  const jobs = new MemoryJobQueue();
  // The status poller is not what is tested here (and its first question waits 30 s): its jobs are dropped.
  const withoutPolls: JobQueue = {
    enqueue: (queue, payload, options) => (queue === POLL_QUEUE ? Promise.resolve() : jobs.enqueue(queue, payload, options)),
    process: (queue, handler, options) => jobs.process(queue, handler, options),
    cancel: (queue, jobId) => jobs.cancel(queue, jobId),
    close: () => jobs.close(),
  };
  const payments = createEmbeddedPayments(portal, { provider, store, jobs: withoutPolls, logger, sms: { enqueue: async () => ({ messageId: 'x' }) } });
  payments.start();
  const app = new Hono();
  registerPaymentCallbackRoutes(app, { providers: payments.providers, store, apply: payments.apply, logger, enqueueHintConfirmation: payments.enqueueHintConfirmation });
  const id = crypto.randomUUID();
  const now = Date.now();
  await store.create({ id, requestNumber: 'PS00373-240002', amountXof: 1900, payerMsisdn: DEMO_MSISDN, operator: 'MTN', provider: 'mtn-momo', createdAt: new Date(now).toISOString(), expiresAt: new Date(now + 600_000).toISOString() });
  await payments.collect(id);
  /** MoMo's callback as it sends it, through the route; then every job it queued, run. */
  async function callback(): Promise<number> {
    const { path, method, headers, body } = momo.callbackFor(id);
    const res = await app.request(path, { method, headers, body });
    await jobs.drain();
    return res.status;
  }
  return { id, store, told, logger, callback };
}

describe('a callback for a payment already succeeded and acknowledged', () => {
  it('is confirmed with the status API, and a success seen again changes nothing', async () => {
    const { id, store, told, callback } = await setup();
    momo.settle(id, { status: 'succeeded' });
    expect(await callback()).toBe(202);
    const paid = await store.get(id);
    expect(paid).toMatchObject({ state: 'succeeded', portalNotifiedAt: expect.any(String) });
    expect(told).toEqual([id]);

    const asked = momo.calls.status;
    for (let i = 0; i < 3; i++) expect(await callback()).toBe(202);
    // Each late callback was asked of MoMo, one status GET each (run in turn, none coalesced away).
    expect(momo.calls.status - asked).toBe(3);
    expect(told).toEqual([id]);
    expect(await store.get(id)).toEqual(paid);
  });

  it('sees a reversal: the credit stands, the payment is flagged for finance once, the portal told nothing more', async () => {
    const { id, store, told, logger, callback } = await setup();
    momo.settle(id, { status: 'succeeded' });
    expect(await callback()).toBe(202);
    const paid = (await store.get(id))!;
    expect(paid.portalNotifiedAt).toEqual(expect.any(String));

    // MoMo now answers FAILED for the same request-to-pay, and calls back again.
    momo.settle(id, { status: 'failed' });
    const asked = momo.calls.status;
    expect(await callback()).toBe(202);
    expect(momo.calls.status - asked).toBe(1);
    const reversed = (await store.get(id))!;
    expect(reversed).toMatchObject({ state: 'succeeded', providerTransactionId: paid.providerTransactionId, portalNotifiedAt: paid.portalNotifiedAt, reconciliationFlags: ['failed_after_success'] });
    expect(reversed.history).toEqual(paid.history);
    expect(whyToCheck(reversed)).toBe('failed_after_success');
    expect(logger.lines.filter((l) => l.startsWith('provider reports a recorded success as failed')).length).toBe(1);

    // Replayed: asked again, flagged once, nothing else moves.
    expect(await callback()).toBe(202);
    expect(await store.get(id)).toEqual(reversed);
    expect(logger.lines.filter((l) => l.startsWith('provider reports a recorded success as failed')).length).toBe(1);
    expect(told).toEqual([id]);
  });

  it('a FAILED answer for a payment still pending fails it as before (no flag)', async () => {
    const { id, store, callback } = await setup();
    momo.settle(id, { status: 'failed' });
    expect(await callback()).toBe(202);
    const failed = await store.get(id);
    expect(failed?.state).toBe('failed');
    expect(failed?.reconciliationFlags).toBeUndefined();
  });
});
