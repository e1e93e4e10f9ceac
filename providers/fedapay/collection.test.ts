import { describe, expect, it } from 'vitest';
import { DEMO_MSISDN } from '../../src/portal/demo.js';
import { createFedapay, DEFAULT_FEDAPAY_MODES, fedapayConfigFromEnv } from './collection.js';
import { FEDAPAY_STATUS_SAMPLES, FEDAPAY_TRANSACTION } from './fixtures.js';
import { closeAfterEach } from '../../testkit/cleanup.js';
import { testClock } from '../../testkit/clock.js';
import { FAKE_FEDAPAY_SECRET_KEY as SECRET_KEY, fedapaySignature, startFakeFedapay, type FakeTransaction } from '../../testkit/fakes/fedapay.js';
import { paymentHarness } from '../../testkit/payment-harness.js';

const WEBHOOK_SECRET = 'wh_sandbox_guichet';

const closeLater = closeAfterEach();

async function setup() {
  const fake = closeLater(await startFakeFedapay());
  const fedapay = createFedapay({ baseUrl: fake.baseUrl, secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET, modes: DEFAULT_FEDAPAY_MODES });
  const clock = testClock(Date.parse('2026-11-23T09:00:00Z'));
  const h = closeLater(paymentHarness(fedapay, { clock }));
  const { app, store } = h;
  const newPayment = (operator = 'MTN', payerMsisdn = DEMO_MSISDN, requestNumber = 'PS00373-240002') => h.newPayment({ operator, payerMsisdn, requestNumber });
  /** `X-FEDAPAY-SIGNATURE` for a raw body, as FedaPay computes it at `clock`. */
  const sign = (body: string, secret = WEBHOOK_SECRET) => fedapaySignature(body, secret, clock.now());
  /** A webhook as FedaPay signs it: the transaction as it is now at the fake. */
  function signedWebhook(transactionId: number, name: string, override: Partial<FakeTransaction> = {}, secret = WEBHOOK_SECRET) {
    const body = JSON.stringify({ name, object: 'transaction', entity: { ...fake.transactions.get(transactionId), ...override } });
    return { body, signature: sign(body, secret) };
  }
  const deliver = ({ body, signature }: { body: string; signature?: string }) =>
    app.request('/payments/fedapay/callback', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(signature ? { 'x-fedapay-signature': signature } : {}) },
      body,
    });
  const webhook = (...args: Parameters<typeof signedWebhook>) => deliver(signedWebhook(...args));
  const transactionOf = async (paymentId: string) => Number((await store.get(paymentId))?.providerReference);
  return { fake, fedapay, portal: h.portal, store, jobs: h.jobs, payments: h.payments, newPayment, sign, webhook, signedWebhook, deliver, transactionOf, advance: h.advance };
}

describe('FedaPay against a local fake', () => {
  it.each([
    ['MTN', 'mtn_open'],
    ['MOOV', 'moov'],
  ])('creates one transaction for the payment, keeps its id, and pushes to the %s wallet (%s)', async (operator, mode) => {
    const t = await setup();
    const id = await t.newPayment(operator, '+2290196123456');
    await t.payments.collect(id);
    const payment = await t.store.get(id);
    expect(payment?.state).toBe('pending');
    const created = t.fake.transactions.get(Number(payment?.providerReference))!;
    expect(created).toMatchObject({ amount: 1900, merchant_reference: id, custom_metadata: { payment_id: id }, customer: { phone_number: { number: '0196123456', country: 'bj' } } });
    expect(t.fake.sends).toEqual([{ mode, body: { token: `tok-${created.id}`, phone_number: { number: '0196123456', country: 'bj' } } }]);
  });

  it('refuses a Celtiis payer without calling FedaPay (it has no Celtiis wallet)', async () => {
    const t = await setup();
    const id = await t.newPayment('CELTIIS', '+2290140123456');
    await t.payments.collect(id);
    expect(await t.store.get(id)).toMatchObject({ state: 'failed' });
    expect(t.fake.calls.create).toBe(0);
  });

  it('a retried job reuses the kept transaction: never a second one pushed', async () => {
    const t = await setup();
    const id = await t.newPayment();
    // First attempt: FedaPay created the transaction but the answer was lost.
    t.fake.misbehave('create', 'http-502');
    await expect(t.payments.collect(id)).rejects.toThrow(/HTTP 502/);
    expect((await t.store.get(id))?.state).toBe('created');
    t.fake.misbehave('create', undefined);
    await t.payments.collect(id);
    await t.payments.collect(id); // a duplicate job: the payment is no longer `created`
    expect(t.fake.calls.create).toBe(2); // one orphan, never pushed
    expect(t.fake.sends).toHaveLength(1);
    expect(Number(String(t.fake.sends[0]!.body.token).slice(4))).toBe(await t.transactionOf(id));
  });

  it.each([
    ['approved', 'succeeded'],
    ['transferred', 'succeeded'],
    ['declined', 'failed'],
    ['canceled', 'failed'],
    ['pending', 'pending'],
  ])('a signed webhook with status %s moves the payment to %s', async (status, state) => {
    const t = await setup();
    const id = await t.newPayment();
    await t.payments.collect(id);
    const tx = await t.transactionOf(id);
    t.fake.transactions.get(tx)!.status = status;
    const res = await t.webhook(tx, `transaction.${status}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ state });
    await t.jobs.drain();
    expect(t.portal.payments).toHaveLength(state === 'succeeded' ? 1 : 0);
    if (state === 'succeeded') expect((await t.store.get(id))?.providerTransactionId).toBe(`trx_${tx}`);
  });

  it("a signed webhook about another payment's transaction, or for another amount, credits nothing", async () => {
    const t = await setup();
    const id = await t.newPayment();
    await t.payments.collect(id);
    const tx = await t.transactionOf(id);
    const other = await t.newPayment('MTN', DEMO_MSISDN, 'PS00373-240001');
    // Metadata naming a payment that is not the transaction's own: the route looks up `other`,
    // whose provider reference is unset, and the verified status still cannot settle it.
    const res = await t.webhook(tx, 'transaction.approved', { status: 'approved', custom_metadata: { payment_id: other }, amount: 1 });
    expect(res.status).toBe(200);
    expect((await t.store.get(other))?.state).toBe('failed');
    expect((await t.store.get(other))?.history.at(-1)?.reason).toMatch(/amount mismatch/);
    expect((await t.store.get(id))?.state).toBe('pending');
    await t.jobs.drain();
    expect(t.portal.payments).toHaveLength(0);
  });

  it('acknowledges events about other things, and refuses unsigned or malformed ones', async () => {
    const t = await setup();
    const body = JSON.stringify({ name: 'customer.created', entity: { id: 5 } });
    const post = (raw: string, signed = true) => t.deliver({ body: raw, ...(signed ? { signature: t.sign(raw) } : {}) });
    expect((await post(body)).status).toBe(200);
    expect((await post(body, false)).status).toBe(401);
    expect((await post('{oops')).status).toBe(400);
    const noTx = JSON.stringify({ name: 'transaction.approved', entity: { id: 'x' } });
    expect((await post(noTx)).status).toBe(400);
  });

  it('reads its secrets from the environment and names what is missing', () => {
    expect(() => fedapayConfigFromEnv({ FEDAPAY_WEBHOOK_SECRET: 'w' })).toThrow(/FEDAPAY_SECRET_KEY/);
    expect(fedapayConfigFromEnv({ FEDAPAY_SECRET_KEY: 'k', FEDAPAY_WEBHOOK_SECRET: 'w', FEDAPAY_MODES: 'MTN=mtn,MOOV=moov_bj' }).modes).toEqual({ MTN: 'mtn', MOOV: 'moov_bj' });
  });
  it('a signed webhook with a status this table does not know is acknowledged and checked with the status API', async () => {
    const t = await setup();
    const id = await t.newPayment();
    await t.payments.collect(id);
    const tx = await t.transactionOf(id);
    const res = await t.webhook(tx, 'transaction.updated', { status: 'on_hold' });
    expect(res.status).toBe(202);
    await t.jobs.drain();
    expect((await t.store.get(id))?.state).toBe('pending');
  });
});

describe('FedaPay wire samples (fixtures.ts)', () => {
  it.each(FEDAPAY_STATUS_SAMPLES)('$name ($source)', async ({ httpStatus, body, expect: expected }) => {
    const fedapay = createFedapay({
      baseUrl: 'https://sandbox-api.fedapay.com', secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET, modes: DEFAULT_FEDAPAY_MODES,
      fetch: async () => Response.json(body, { status: httpStatus }),
    });
    const asked = fedapay.checkStatus({ paymentId: crypto.randomUUID(), providerReference: String(FEDAPAY_TRANSACTION.id) });
    if (expected.status === 'error') await expect(asked).rejects.toThrow(/fedapay/);
    else if (expected.status === 'succeeded') {
      expect(await asked).toEqual({
        status: 'succeeded', providerTransactionId: FEDAPAY_TRANSACTION.reference, amountXof: FEDAPAY_TRANSACTION.amount,
        ...(expected.refunded ? { refunded: expected.refunded } : {}),
      });
    } else expect(await asked).toMatchObject({ status: expected.status });
  });
});
