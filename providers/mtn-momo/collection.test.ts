import { describe, expect, it } from 'vitest';
import type { CollectionRequest } from '../../src/payments/port.js';
import { createMomoCollection, momoConfigFromEnv } from './collection.js';
import { MOMO_STATUS_SAMPLES, MOMO_TOKEN_ANSWER, momoCallbackBody } from './fixtures.js';
import { closeAfterEach } from '../../testkit/cleanup.js';
import { testClock } from '../../testkit/clock.js';
import { startFakeMomo } from '../../testkit/fakes/momo.js';
import { collectionRequest, paymentHarness } from '../../testkit/payment-harness.js';

const collection = (paymentId: string): CollectionRequest => collectionRequest([], { paymentId, description: 'x' });

const closeLater = closeAfterEach();

async function setup() {
  const fake = closeLater(await startFakeMomo());
  const clock = testClock(Date.parse('2026-11-23T09:00:00Z'));
  const momo = createMomoCollection({
    baseUrl: fake.baseUrl, apiUser: 'api-user', apiKey: 'api-key', subscriptionKey: 'sub-key',
    targetEnvironment: 'sandbox', callbackUrl: 'https://guichet.example/payments/mtn-momo/callback', now: clock.now, timeoutMs: 300,
  });
  const h = closeLater(paymentHarness(momo, { clock }));
  const newPayment = () => h.newPayment();
  /** A callback as MoMo sends it; answered before its confirmation job has run. */
  const callback = (body: unknown, method: 'PUT' | 'POST' = 'PUT') =>
    h.app.request('/payments/mtn-momo/callback', { method, headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { fake, momo, portal: h.portal, store: h.store, jobs: h.jobs, payments: h.payments, newPayment, callback, advance: h.advance };
}

describe('MTN MoMo Collection against a local fake', () => {
  it('sends request-to-pay with the payment id as X-Reference-Id and the callback URL, caching the token', async () => {
    const t = await setup();
    const first = await t.newPayment();
    const second = await t.newPayment();
    await t.payments.collect(first);
    await t.payments.collect(second);
    expect(t.fake.calls.token).toBe(1);
    const sent = t.fake.requests.get(first)!;
    expect(sent.callbackUrl).toBe('https://guichet.example/payments/mtn-momo/callback');
    expect(sent.body).toMatchObject({ amount: '1900', currency: 'XOF', externalId: first, payer: { partyIdType: 'MSISDN', partyId: '2290197000001' } });
    expect((await t.store.get(first))?.state).toBe('pending');
  });

  it('checks the wallet first: an inactive account holder fails at once, with no PIN prompt pushed', async () => {
    const t = await setup();
    const id = await t.newPayment();
    t.fake.inactive.add('2290197000001');
    await t.payments.collect(id);
    const payment = await t.store.get(id);
    expect(payment?.state).toBe('failed');
    expect(payment?.history.at(-1)?.reason).toContain('PAYER_NOT_ACTIVE');
    expect(t.fake.calls).toMatchObject({ accountHolder: 1, requestToPay: 0 });
  });

  it('refreshes the token before it expires', async () => {
    const t = await setup();
    await t.payments.collect(await t.newPayment());
    t.advance(3600_000 - 30_000); // inside the refresh margin
    await t.momo.checkStatus({ paymentId: crypto.randomUUID() });
    expect(t.fake.calls.token).toBe(2);
  });

  it('treats 409 on a reused reference as "already sent" and reads its status', async () => {
    const t = await setup();
    const id = await t.newPayment();
    await t.momo.requestCollection(collection(id));
    t.fake.requests.get(id)!.outcome = { status: 'SUCCESSFUL', financialTransactionId: '1234567' };
    const again = await t.momo.requestCollection(collection(id));
    expect(again).toEqual({ status: 'succeeded', providerTransactionId: '1234567', amountXof: 1900, currency: 'XOF' });
    expect(t.fake.calls.requestToPay).toBe(2);
  });

  it.each(['PAYER_NOT_FOUND', 'NOT_ENOUGH_FUNDS', 'APPROVAL_REJECTED', 'EXPIRED', 'TRANSACTION_CANCELED'])(
    'maps FAILED with reason %s to a failed payment, never to the portal',
    async (reason) => {
      const t = await setup();
      const id = await t.newPayment();
      await t.payments.collect(id);
      t.fake.requests.get(id)!.outcome = { status: 'FAILED', reason };
      const res = await t.callback(momoCallbackBody(id, 'FAILED', { reason }));
      expect(res.status).toBe(202);
      await t.jobs.drain();
      const payment = await t.store.get(id);
      expect(payment?.state).toBe('failed');
      expect(payment?.history.at(-1)?.reason).toContain(reason);
      await t.jobs.drain();
      expect(t.portal.payments).toHaveLength(0);
    },
  );

  it('callbacks for unknown payments, without externalId or not JSON are refused without effect', async () => {
    const t = await setup();
    expect((await t.callback({ externalId: crypto.randomUUID(), status: 'SUCCESSFUL' })).status).toBe(404);
    expect((await t.callback({ status: 'SUCCESSFUL' })).status).toBe(400);
    expect((await t.callback('{not json')).status).toBe(400);
    expect(t.fake.calls.status).toBe(0);
  });

  it('answers the callback before the status GET is done: a hanging status API does not hold it', async () => {
    const t = await setup();
    const id = await t.newPayment();
    await t.payments.collect(id);
    t.fake.requests.get(id)!.outcome = { status: 'SUCCESSFUL', financialTransactionId: '77' };
    t.fake.misbehave('status', 'hang');
    const res = await t.callback(momoCallbackBody(id, 'SUCCESSFUL'));
    // Answered while nothing has been confirmed yet: the status GET is the job's business.
    expect(res.status).toBe(202);
    expect((await t.store.get(id))?.state).toBe('pending');
    t.fake.misbehave('status', undefined);
    t.fake.release();
    await t.jobs.drain();
    expect((await t.store.get(id))?.state).toBe('succeeded');
  });

  it('reads MOMO_TIMEOUT_MS, 10 s by default', () => {
    const env = { MOMO_BASE_URL: 'https://sandbox.momodeveloper.mtn.com', MOMO_API_USER: 'u', MOMO_API_KEY: 'k', MOMO_SUBSCRIPTION_KEY: 's' };
    expect(momoConfigFromEnv(env).timeoutMs).toBe(10_000);
    expect(momoConfigFromEnv({ ...env, MOMO_TIMEOUT_MS: '2500' }).timeoutMs).toBe(2500);
  });
});

describe('MTN MoMo wire samples (fixtures.ts)', () => {
  it.each(MOMO_STATUS_SAMPLES)('$name ($source)', async ({ httpStatus, body, expect: expected }) => {
    const momo = createMomoCollection({
      baseUrl: 'https://momo.example', apiUser: 'u', apiKey: 'k', subscriptionKey: 's', targetEnvironment: 'sandbox',
      fetch: async (url) => {
        if (String(url).endsWith('/collection/token/')) return Response.json(MOMO_TOKEN_ANSWER.body);
        return Response.json(body, { status: httpStatus });
      },
    });
    const asked = momo.checkStatus({ paymentId: crypto.randomUUID() });
    if (expected.status === 'error') await expect(asked).rejects.toThrow(/momo status/);
    else expect(await asked).toEqual(expected);
  });

});
