import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AmbiguousCollectionError, type CollectionRequest, type ProviderStatus } from '../../src/payments/port.js';
import type { CallbackVerdict } from '../../src/payments/payment-provider-callback.js';
import { COLLECT_QUEUE } from '../../src/payments/payment-service.js';
import { createKkiapay, kkiapayConfigFromEnv, type KkiapayConfig } from './collection.js';
import { KKIAPAY_STATUS_SAMPLES } from './fixtures.js';
import { closeAfterEach } from '../../testkit/cleanup.js';
import { FAKE_KKIAPAY_KEYS, startFakeKkiapay, type FakeKkiapayTransaction as FakeTransaction, type KkiapayMisbehaviour as Misbehaviour } from '../../testkit/fakes/kkiapay.js';
import { closedLoopbackUrl } from '../../testkit/loopback-server.js';
import { collectionRequest, paymentHarness, rejectionOf as errorOf } from '../../testkit/payment-harness.js';

const { publicKey: PUBLIC_KEY, privateKey: PRIVATE_KEY, secret: SECRET, webhookSecret: WEBHOOK_SECRET } = FAKE_KKIAPAY_KEYS;
const CALLBACK_URL = 'https://guichet.example/payments/kkiapay/callback';
/** DEMO_MSISDN as KKiaPay wants it: E.164 without the `+`. */
const PAYER = '2290197000001';
/** Client time-out in these tests: the fake's `hang` waits far longer. */
const TIMEOUT_MS = 300;

const closeLater = closeAfterEach();
afterEach(() => {
  vi.restoreAllMocks();
});

async function setup(overrides: Partial<KkiapayConfig> = {}) {
  const fake = closeLater(await startFakeKkiapay());
  const kkiapay = createKkiapay({ baseUrl: fake.baseUrl, publicKey: PUBLIC_KEY, privateKey: PRIVATE_KEY, secret: SECRET, webhookSecret: WEBHOOK_SECRET, callbackUrl: CALLBACK_URL, timeoutMs: TIMEOUT_MS, ...overrides });
  const h = closeLater(paymentHarness(kkiapay, { service: { pollIntervalMs: 1, unsentRetryDelaysMs: [1, 1] } }));
  const { app, jobs } = h;
  const newPayment = (requestNumber = 'PS00373-240002', amountXof = 1900) => h.newPayment({ requestNumber, amountXof });
  /** A payment collected through the service: pending, with KKiaPay's transaction id kept. */
  async function collected(requestNumber?: string): Promise<{ id: string; tx: string }> {
    const payment = await h.collected(requestNumber === undefined ? {} : { requestNumber });
    return { id: payment.id, tx: payment.providerReference ?? '' };
  }
  /**
   * A webhook as KKiaPay delivers it; `secret: null` sends no secret header. Answered at once
   * (202) with the confirmation queued; this waits for the queue too, so tests see its effect.
   */
  const webhook = async (body: unknown, secret: string | null = WEBHOOK_SECRET) => {
    const res = await app.request('/payments/kkiapay/callback', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(secret === null ? {} : { 'x-kkiapay-secret': secret }) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    await jobs.drain();
    return res;
  };
  /** The provider alone, as the payment service calls it; `kept` lists what it asked to keep. */
  const kept: string[] = [];
  const collection = (paymentId: string, extra: Partial<CollectionRequest> = {}): CollectionRequest => collectionRequest(kept, { paymentId, ...extra });
  return { fake, kkiapay, portal: h.portal, store: h.store, jobs, payments: h.payments, app, newPayment, collected, webhook, collection, kept };
}

describe('KKiaPay debit request', () => {
  it('sends the exact debit request and keeps KKiaPay\'s transaction id before anything else', async () => {
    const t = await setup();
    const { id, tx } = await t.collected();
    expect(t.fake.debits).toEqual([
      {
        // The public key only: the private key and the secret never travel with a debit.
        headers: { 'x-api-key': PUBLIC_KEY, 'x-private-key': undefined, 'x-secret-key': undefined, 'content-type': 'application/json' },
        body: { phoneNumber: PAYER, amount: 1900, firstname: '', lastname: '', email: '', partnerId: id, stateData: id, callback: CALLBACK_URL, direct: true },
      },
    ]);
    expect(t.fake.transactions.has(tx)).toBe(true);
    expect(t.fake.calls).toEqual({ debit: 1, status: 0 });
  });

  it('a retried job for a payment that already has a transaction asks its status and never pushes again', async () => {
    const t = await setup();
    const { id, tx } = await t.collected();
    t.fake.settleTransaction(tx, { status: 'SUCCESS' });
    expect(await t.kkiapay.requestCollection(t.collection(id, { providerReference: tx }))).toEqual({ status: 'succeeded', providerTransactionId: tx, amountXof: 1900 });
    expect(t.fake.calls).toEqual({ debit: 1, status: 1 });
  });

  it('when another attempt kept its transaction first, that one is followed', async () => {
    const t = await setup();
    const first = await t.kkiapay.requestCollection(t.collection('race'));
    expect(first).toEqual({ status: 'pending' });
    const winner = t.kept[0]!;
    t.fake.settleTransaction(winner, { status: 'SUCCESS', partnerId: 'race' });
    const second = await t.kkiapay.requestCollection(t.collection('race', { rememberReference: async () => winner }));
    expect(second).toEqual({ status: 'succeeded', providerTransactionId: winner, amountXof: 1900 });
  });

  it.each<[string, { httpStatus: 400 | 403 | 422 | 429; body: unknown }, 'failed' | 'retry', string]>([
    ['refused, invalid number (400)', { httpStatus: 400, body: { status: 4000, reason: 'invalid phone number' } }, 'failed', 'kkiapay 4000: invalid phone number'],
    ['refused, account not allowed (403)', { httpStatus: 403, body: { status: 4003, reason: 'direct debit not enabled for this account' } }, 'failed', 'kkiapay 4003: direct debit not enabled for this account'],
    ['refused with a text status (422)', { httpStatus: 422, body: { status: 'UNPROCESSABLE', reason: 'amount below minimum' } }, 'failed', 'kkiapay UNPROCESSABLE: amount below minimum'],
    ['throttled (429)', { httpStatus: 429, body: { status: 4029, reason: 'too many requests' } }, 'retry', 'HTTP 429'],
  ])('debit %s', async (_label, refusal, expected, reason) => {
    const t = await setup();
    t.fake.refuse.next = refusal;
    const id = await t.newPayment();
    if (expected === 'failed') {
      expect(await t.kkiapay.requestCollection(t.collection(id))).toEqual({ status: 'failed', reason });
      await t.payments.collect(id);
      const payment = await t.store.get(id);
      expect(payment?.state).toBe('failed');
      expect(payment?.history.at(-1)?.reason).toContain(reason);
    } else {
      const error = await errorOf(t.kkiapay.requestCollection(t.collection(id)));
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(AmbiguousCollectionError);
      expect((error as Error).message).toContain(reason);
      // Through the service: sent again within the job (three tries in all), still throttled, so
      // the payment fails at once with nothing charged rather than waiting for an hour.
      await t.payments.collect(id);
      const payment = await t.store.get(id);
      expect(payment?.state).toBe('failed');
      expect(payment?.history.at(-1)?.reason).toMatch(/not sent .*HTTP 429/);
      expect(t.fake.calls.debit).toBe(1 + 3);
    }
    expect(t.fake.calls.status).toBe(0);
    expect(t.portal.payments).toHaveLength(0);
  });

  it('a bad public key (401) pushes nothing: the payment fails at once instead of waiting', async () => {
    const t = await setup({ publicKey: 'not-the-key' });
    const id = await t.newPayment();
    await t.payments.collect(id);
    const payment = await t.store.get(id);
    expect(payment?.state).toBe('failed');
    expect(payment?.history.at(-1)?.reason).toMatch(/not sent .*HTTP 401.*KKIAPAY_PUBLIC_KEY/);
    expect(t.fake.calls.debit).toBe(0);
  });

  it('an answer without a transaction id is accepted: pending, nothing kept', async () => {
    const t = await setup();
    t.fake.misbehave('debit', 'no-id');
    expect(await t.kkiapay.requestCollection(t.collection('p-no-id'))).toEqual({ status: 'pending' });
    expect(t.kept).toEqual([]);
    expect(t.fake.transactions.size).toBe(1);
  });

  // No answer at all, a lost answer and a reset are the conformance suite's (test/payments/provider-conformance.test.ts).
  const LOST_ANSWERS: Misbehaviour[] = ['http-500', 'html-502', 'cut-off-200', 'html-200', 'html-400'];

  it.each(LOST_ANSWERS)('debit answer lost (%s): AmbiguousCollectionError, nothing kept', async (misbehaviour) => {
    const t = await setup();
    // @hono/node-server reports the stream the fake breaks on purpose.
    if (misbehaviour === 'cut-off-200') vi.spyOn(console, 'error').mockImplementation(() => undefined);
    t.fake.misbehave('debit', misbehaviour);
    const error = await errorOf(t.kkiapay.requestCollection(t.collection(crypto.randomUUID())));
    expect(error).toBeInstanceOf(AmbiguousCollectionError);
    expect(t.fake.calls.debit).toBe(1);
    expect(t.kept).toEqual([]);
  });

  it.each<Misbehaviour>(['http-500'])(
    'debit answer lost (%s) through the payment service: pending, ONE debit even when the job runs again, then the webhook completes it',
    async (misbehaviour) => {
      const t = await setup();
      t.fake.misbehave('debit', misbehaviour);
      t.jobs.keptPollRounds = 3; // the poller runs, but without KKiaPay's id it has nothing to ask
      const id = await t.newPayment();
      await t.jobs.enqueue(COLLECT_QUEUE, { paymentId: id }, { jobId: `collect-${id}` });
      await t.jobs.drain();
      const pending = await t.store.get(id);
      expect(pending?.state).toBe('pending');
      expect(pending?.providerReference).toBeUndefined();
      expect(pending?.history.at(-1)?.reason).toMatch(/never resent/);
      // KKiaPay answers normally again, and the collect job is delivered once more (a worker crash).
      t.fake.misbehave('debit', undefined);
      await t.jobs.enqueue(COLLECT_QUEUE, { paymentId: id }, { jobId: `collect-${id}-redelivered` });
      await t.jobs.drain();
      expect(t.fake.calls).toEqual({ debit: 1, status: 0 });
      expect(t.jobs.failed).toEqual([]);
      // The payer approved; KKiaPay's webhook is the first to name the transaction.
      const [tx] = [...t.fake.transactions.keys()];
      t.fake.settleTransaction(tx!, { status: 'SUCCESS' });
      const res = await t.webhook(t.fake.webhookOf(tx!));
      expect(res.status).toBe(202);
      expect((await t.store.get(id))?.state).toBe('succeeded');
      await t.jobs.drain();
      expect(await t.store.get(id)).toMatchObject({ state: 'succeeded', providerReference: tx, providerTransactionId: tx });
      expect(t.portal.payments.filter((p) => p.paymentId === id)).toHaveLength(1);
      expect(t.fake.calls).toEqual({ debit: 1, status: 1 });
    },
  );

  it('a refused connection (closed port) is tried again within the job, then debits once', async () => {
    const closed = await closedLoopbackUrl();
    let refusals = 2;
    const t = await setup({ fetch: (input, init) => (refusals-- > 0 ? fetch(String(input).replace(/^http:\/\/127\.0\.0\.1:\d+/, closed), init) : fetch(input, init)) });
    const id = await t.newPayment();
    await t.payments.collect(id);
    expect((await t.store.get(id))?.state).toBe('pending');
    expect(t.fake.calls.debit).toBe(1);
  });

  it('a connection refused on every try fails the payment at once: nothing charged', async () => {
    const closed = await closedLoopbackUrl();
    const t = await setup({ fetch: (input, init) => fetch(String(input).replace(/^http:\/\/127\.0\.0\.1:\d+/, closed), init) });
    const id = await t.newPayment();
    await t.payments.collect(id);
    expect((await t.store.get(id))?.history.at(-1)?.reason).toMatch(/not sent .*ECONNREFUSED/);
    expect((await t.store.get(id))?.state).toBe('failed');
    expect(t.fake.calls.debit).toBe(0);
  });

  const connectionError = (code: string) => Object.assign(new Error(`connect ${code} 198.51.100.7:443`), { code });
  it.each<[string, unknown, 'retry' | 'ambiguous']>([
    ['ECONNREFUSED', new TypeError('fetch failed', { cause: connectionError('ECONNREFUSED') }), 'retry'],
    ['ENOTFOUND', new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND api.kkiapay.me'), { code: 'ENOTFOUND' }) }), 'retry'],
    ['every address refused', new TypeError('fetch failed', { cause: new AggregateError([connectionError('ECONNREFUSED'), connectionError('ECONNREFUSED')]) }), 'retry'],
    ['one address refused, one reset', new TypeError('fetch failed', { cause: new AggregateError([connectionError('ECONNREFUSED'), connectionError('ECONNRESET')]) }), 'ambiguous'],
    ['ECONNRESET', new TypeError('fetch failed', { cause: connectionError('ECONNRESET') }), 'ambiguous'],
    ['socket closed by the other side', new TypeError('fetch failed', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) }), 'ambiguous'],
    ['a TypeError without a cause (Workers)', new TypeError('Network connection lost.'), 'ambiguous'],
    ['time-out', new DOMException('The operation was aborted due to timeout', 'TimeoutError'), 'ambiguous'],
  ])('fetch rejecting with %s: %s', async (_label, rejection, expected) => {
    const t = await setup({ fetch: async () => Promise.reject(rejection) });
    const error = await errorOf(t.kkiapay.requestCollection(t.collection('p-net')));
    expect(error).toBeInstanceOf(Error);
    expect(error instanceof AmbiguousCollectionError).toBe(expected === 'ambiguous');
  });

  it('the caller\'s signal aborts the debit too, and that is ambiguous once sent', async () => {
    const t = await setup({ timeoutMs: 60_000 });
    t.fake.misbehave('debit', 'hang');
    const caller = new AbortController();
    setTimeout(() => caller.abort(new Error('hop budget spent')), 100);
    const started = Date.now();
    const error = await errorOf(t.kkiapay.requestCollection(t.collection('p-abort'), caller.signal));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(AmbiguousCollectionError);
    // Already aborted before anything left: nothing sent, a plain error.
    const before = t.fake.calls.debit;
    expect(await errorOf(t.kkiapay.requestCollection(t.collection('p-abort-2'), caller.signal))).not.toBeInstanceOf(AmbiguousCollectionError);
    expect(t.fake.calls.debit).toBe(before);
  });
});

describe('KKiaPay status API', () => {
  /** Status answers as the fake serves them, and what Guichet makes of them. */
  it.each<[string, Partial<FakeTransaction>, ProviderStatus | 'own' | RegExp]>([
    ['SUCCESS', { status: 'SUCCESS' }, 'own'],
    ['PENDING', { status: 'PENDING' }, { status: 'pending' }],
    ['FAILED with a code and a message', { status: 'FAILED', failureCode: 'processing_error', failureMessage: 'Le client a refuse la transaction' }, { status: 'failed', reason: 'FAILED: processing_error: Le client a refuse la transaction' }],
    ['FAILED, bare', { status: 'FAILED' }, { status: 'failed', reason: 'FAILED' }],
    ['INSUFFICIENT_FUND', { status: 'INSUFFICIENT_FUND', failureCode: 'insufficient_fund' }, { status: 'failed', reason: 'INSUFFICIENT_FUND: insufficient_fund' }],
    ['SUCCESS for another amount (the service refuses to credit it)', { status: 'SUCCESS', amount: 100 }, { status: 'succeeded', providerTransactionId: 'own', amountXof: 100 }],
    ['SUCCESS of another payment (partnerId)', { status: 'SUCCESS', partnerId: 'another-payment' }, { status: 'pending' }],
    ['FAILED of another payment (partnerId)', { status: 'FAILED', partnerId: 'another-payment' }, { status: 'pending' }],
    ['SUCCESS of another payment (stateData, no partnerId)', { status: 'SUCCESS', partnerId: null, stateData: 'another-payment' }, { status: 'pending' }],
    ['an unknown status', { status: 'REVERTED' }, /unknown transaction status "REVERTED"/],
  ])('%s', async (_label, change, expected) => {
    const t = await setup();
    const { id, tx } = await t.collected();
    t.fake.settleTransaction(tx, change);
    const asked = t.kkiapay.checkStatus({ paymentId: id, providerReference: tx });
    if (expected instanceof RegExp) {
      await expect(asked).rejects.toThrow(expected);
    } else if (expected === 'own') {
      expect(await asked).toEqual({ status: 'succeeded', providerTransactionId: tx, amountXof: 1900 });
    } else if (expected.status === 'succeeded') {
      expect(await asked).toEqual({ ...expected, providerTransactionId: tx });
    } else {
      expect(await asked).toEqual(expected);
    }
    expect(t.fake.calls.status).toBe(1);
  });

  it('without KKiaPay\'s id there is nothing to ask: pending, no call', async () => {
    const t = await setup();
    expect(await t.kkiapay.checkStatus({ paymentId: crypto.randomUUID() })).toEqual({ status: 'pending' });
    expect(t.fake.calls.status).toBe(0);
  });

  it('an id KKiaPay does not know (404) neither credits nor fails', async () => {
    const t = await setup();
    expect(await t.kkiapay.checkStatus({ paymentId: 'p', providerReference: 'NoSuchTx1' })).toEqual({ status: 'pending' });
    expect(t.fake.calls.status).toBe(1);
  });

  it('asks with all three keys: a wrong private key is a plain error naming the variables', async () => {
    const t = await setup({ privateKey: 'tpk_wrong' });
    const { id, tx } = await t.collected();
    await expect(t.kkiapay.checkStatus({ paymentId: id, providerReference: tx })).rejects.toThrow(/HTTP 401.*KKIAPAY_PRIVATE_KEY/);
  });

  it('a success without an amount is an error, not a credit', async () => {
    const t = await setup({
      fetch: async () => Response.json({ transactionId: 'Tx1234567', status: 'SUCCESS', partnerId: 'p' }),
    });
    await expect(t.kkiapay.checkStatus({ paymentId: 'p', providerReference: 'Tx1234567' })).rejects.toThrow(/without an amount/);
  });


});

describe('KKiaPay webhooks', () => {
  /** Raw bodies as KKiaPay POSTs them; `{id}` and `{tx}` are filled in. */
  const SUCCESS_BODY =
    '{"transactionId":"{tx}","isPaymentSucces":true,"account":"2290197000001","label":"Guichet","method":"MOBILE_MONEY","amount":1900,"fees":0,"partnerId":"{id}","performedAt":"2026-11-23T09:00:42.123Z","stateData":"{id}","event":"transaction.success"}';
  const FAILED_BODY =
    '{"transactionId":"{tx}","isPaymentSucces":false,"account":"2290197000001","label":"Guichet","method":"MOBILE_MONEY","amount":1900,"fees":0,"partnerId":"{id}","performedAt":"2026-11-23T09:00:42.123Z","stateData":"{id}","event":"transaction.failed","failureCode":"processing_error","failureMessage":"Le client a refuse la transaction"}';
  const STATE_DATA_ONLY = '{"transactionId":"{tx}","isPaymentSucces":true,"amount":1900,"fees":0,"stateData":"{id}","event":"transaction.success"}';
  const WIDGET_STATE_DATA = '{"transactionId":"{tx}","isPaymentSucces":true,"amount":1900,"fees":0,"partnerId":"","stateData":{"bookingId":"{id}"},"event":"transaction.success"}';
  const NO_TRANSACTION = '{"isPaymentSucces":true,"amount":1900,"partnerId":"{id}","stateData":"{id}","event":"transaction.success"}';
  const fill = (raw: string, id: string, tx: string) => raw.replaceAll('{id}', id).replaceAll('{tx}', tx);

  it.each<[string, string, string | null, CallbackVerdict | 'hint']>([
    ['a success', SUCCESS_BODY, WEBHOOK_SECRET, 'hint'],
    ['a failure (the status API decides, not the event)', FAILED_BODY, WEBHOOK_SECRET, 'hint'],
    ['stateData only', STATE_DATA_ONLY, WEBHOOK_SECRET, 'hint'],
    ['no secret', SUCCESS_BODY, null, { kind: 'rejected', httpStatus: 401, reason: 'missing x-kkiapay-secret' }],
    ['an empty secret', SUCCESS_BODY, '', { kind: 'rejected', httpStatus: 401, reason: 'missing x-kkiapay-secret' }],
    ['a wrong secret', SUCCESS_BODY, 'tsk_guessed', { kind: 'rejected', httpStatus: 403, reason: 'bad secret' }],
    ['the API secret key instead of the webhook hash secret', SUCCESS_BODY, SECRET, { kind: 'rejected', httpStatus: 403, reason: 'bad secret' }],
    ['the secret with a suffix', SUCCESS_BODY, `${WEBHOOK_SECRET}x`, { kind: 'rejected', httpStatus: 403, reason: 'bad secret' }],
    ['not JSON', '{"transactionId":', WEBHOOK_SECRET, { kind: 'rejected', httpStatus: 400, reason: 'not a KKiaPay webhook' }],
    ['a widget stateData object and no partnerId', WIDGET_STATE_DATA, WEBHOOK_SECRET, { kind: 'rejected', httpStatus: 400, reason: 'webhook names no payment or no transaction' }],
    ['no transaction id', NO_TRANSACTION, WEBHOOK_SECRET, { kind: 'rejected', httpStatus: 400, reason: 'webhook names no payment or no transaction' }],
  ])('parses %s', async (_label, raw, secret, expected) => {
    const kkiapay = createKkiapay({ baseUrl: 'http://127.0.0.1:9', publicKey: PUBLIC_KEY, privateKey: PRIVATE_KEY, secret: SECRET, webhookSecret: WEBHOOK_SECRET });
    const id = crypto.randomUUID();
    const verdict = await kkiapay.parseCallback(
      { rawBody: fill(raw, id, 'Lw3Jv2Xgk'), header: (name) => (name.toLowerCase() === 'x-kkiapay-secret' && secret !== null ? secret : undefined) },
      Date.now(),
    );
    expect(verdict).toEqual(expected === 'hint' ? { kind: 'hint', paymentId: id, providerReference: 'Lw3Jv2Xgk' } : expected);
  });

  it('collect → pending with the transaction kept → webhook → confirmed by the status API → succeeded, portal told once', async () => {
    const t = await setup();
    const { id, tx } = await t.collected();
    expect(tx).not.toBe('');
    t.fake.settleTransaction(tx, { status: 'SUCCESS' });
    const res = await t.webhook(fill(SUCCESS_BODY, id, tx));
    expect(res.status).toBe(202);
    expect((await t.store.get(id))?.state).toBe('succeeded');
    expect(t.fake.calls).toEqual({ debit: 1, status: 1 });
    await t.jobs.drain();
    const payment = await t.store.get(id);
    expect(payment).toMatchObject({ state: 'succeeded', providerReference: tx, providerTransactionId: tx });
    expect(t.portal.payments).toEqual([expect.objectContaining({ paymentId: id, amountXof: 1900, provider: 'kkiapay', providerTransactionId: tx })]);
  });

  it.each<[string, string, Partial<FakeTransaction>, number]>([
    ['FAILED', 'failed', { status: 'FAILED', failureCode: 'processing_error' }, 0],
    ['INSUFFICIENT_FUND', 'failed', { status: 'INSUFFICIENT_FUND' }, 0],
    ['PENDING', 'pending', { status: 'PENDING' }, 0],
    ['SUCCESS', 'succeeded', { status: 'SUCCESS' }, 1],
  ])('a webhook when the status API says %s leaves the payment %s', async (_label, state, change, credited) => {
    const t = await setup();
    const { id, tx } = await t.collected();
    t.fake.settleTransaction(tx, change);
    const res = await t.webhook(t.fake.webhookOf(tx));
    expect(res.status).toBe(202);
    expect((await t.store.get(id))?.state).toBe(state);
    await t.jobs.drain();
    expect((await t.store.get(id))?.state).toBe(state);
    expect(t.portal.payments).toHaveLength(credited);
  });

  it.each<[string, string]>([
    ['not JSON', '{"transactionId":'],
    ['no ids', '{"isPaymentSucces":true,"event":"transaction.success","amount":1900}'],
  ])('a webhook with %s is refused with 400', async (_label, raw) => {
    const t = await setup();
    const res = await t.webhook(raw);
    expect(res.status).toBe(400);
    expect(t.fake.calls.status).toBe(0);
  });

  it('a webhook claiming success while the status API says PENDING changes nothing', async () => {
    const t = await setup();
    const { id, tx } = await t.collected();
    const res = await t.webhook(fill(SUCCESS_BODY, id, tx));
    expect((await t.store.get(id))?.state).toBe('pending');
    await t.jobs.drain();
    expect((await t.store.get(id))?.state).toBe('pending');
    expect(t.fake.calls.status).toBe(1);
    expect(t.portal.payments).toHaveLength(0);
  });

  it('a failure event arriving while the status API says SUCCESS credits: the status API decides, not the event', async () => {
    const t = await setup();
    const { id, tx } = await t.collected();
    t.fake.settleTransaction(tx, { status: 'SUCCESS' });
    expect((await t.webhook(fill(FAILED_BODY, id, tx))).status).toBe(202);
    expect((await t.store.get(id))?.state).toBe('succeeded');
    await t.jobs.drain();
    expect(t.portal.payments.filter((p) => p.paymentId === id)).toHaveLength(1);
  });

  it('a webhook naming another payment\'s transaction does not credit this one (it has its own)', async () => {
    const t = await setup();
    const mine = await t.collected('PS00373-240002');
    const other = await t.collected('PS00150-240004');
    t.fake.settleTransaction(other.tx, { status: 'SUCCESS', amount: 1900 });
    const res = await t.webhook(fill(SUCCESS_BODY, mine.id, other.tx));
    expect((await t.store.get(mine.id))?.state).toBe('pending');
    await t.jobs.drain();
    expect(await t.store.get(mine.id)).toMatchObject({ state: 'pending', providerReference: mine.tx });
    expect(t.portal.payments).toHaveLength(0);
  });

  it('a webhook naming another payment\'s transaction does not credit a payment whose debit answer was lost', async () => {
    const t = await setup();
    const other = await t.collected('PS00150-240004');
    t.fake.settleTransaction(other.tx, { status: 'SUCCESS', amount: 1900 });
    t.fake.misbehave('debit', 'http-500');
    const mineId = await t.newPayment('PS00373-240002');
    await t.payments.collect(mineId);
    expect((await t.store.get(mineId))?.providerReference).toBeUndefined();
    // The status API's partnerId shows the transaction belongs to another payment, so the route
    // does not keep the id this webhook named: the genuine one can still complete the payment.
    const res = await t.webhook(fill(SUCCESS_BODY, mineId, other.tx));
    expect((await t.store.get(mineId))?.state).toBe('pending');
    expect((await t.store.get(mineId))?.providerReference).toBeUndefined();
    await t.jobs.drain();
    expect((await t.store.get(mineId))?.state).toBe('pending');
    expect(t.portal.payments).toHaveLength(0);
    expect((await t.store.get(other.id))?.state).toBe('pending'); // untouched until its own webhook
  });

  it('when the status API is down the webhook is still answered at once; the queued confirmation retries and completes the payment', async () => {
    const t = await setup();
    const { id, tx } = await t.collected();
    t.fake.settleTransaction(tx, { status: 'SUCCESS' });
    t.fake.misbehave('status', 'http-500');
    // Send without waiting for the queue: the answer must not depend on the status API.
    const res = await t.app.request('/payments/kkiapay/callback', {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-kkiapay-secret': WEBHOOK_SECRET }, body: JSON.stringify(t.fake.webhookOf(tx)),
    });
    expect(res.status).toBe(202);
    expect((await t.store.get(id))?.state).toBe('pending');
    t.fake.misbehave('status', undefined);
    await t.jobs.drain();
    expect((await t.store.get(id))?.state).toBe('succeeded');
    expect(t.portal.payments).toHaveLength(1);
  });
});

describe('KKiaPay wire samples (fixtures.ts)', () => {
  it.each(KKIAPAY_STATUS_SAMPLES)('$name ($source)', async ({ httpStatus, body, expect: expected }) => {
    const kkiapay = createKkiapay({
      baseUrl: 'https://api-sandbox.kkiapay.me', publicKey: PUBLIC_KEY, privateKey: PRIVATE_KEY, secret: SECRET, webhookSecret: WEBHOOK_SECRET,
      fetch: async () => Response.json(body, { status: httpStatus }),
    });
    const asked = kkiapay.checkStatus({ paymentId: crypto.randomUUID(), providerReference: 'LVFNrK1nx' });
    if (expected.status === 'error') await expect(asked).rejects.toThrow(/kkiapay/);
    else if (expected.status === 'succeeded') expect(await asked).toEqual({ status: 'succeeded', providerTransactionId: 'LVFNrK1nx', amountXof: expected.amountXof });
    else expect(await asked).toEqual(expected);
  });
});

describe('KKiaPay configuration', () => {
  const ENV = {
    KKIAPAY_BASE_URL: 'https://api-sandbox.kkiapay.me',
    KKIAPAY_PUBLIC_KEY: PUBLIC_KEY,
    KKIAPAY_PRIVATE_KEY: PRIVATE_KEY,
    KKIAPAY_SECRET: SECRET,
    KKIAPAY_WEBHOOK_SECRET: WEBHOOK_SECRET,
  };

  it('reads its configuration from env, with a 15 s time-out by default', () => {
    expect(kkiapayConfigFromEnv(ENV)).toEqual({ baseUrl: 'https://api-sandbox.kkiapay.me', publicKey: PUBLIC_KEY, privateKey: PRIVATE_KEY, secret: SECRET, webhookSecret: WEBHOOK_SECRET, timeoutMs: 15_000 });
    expect(kkiapayConfigFromEnv({ ...ENV, KKIAPAY_CALLBACK_URL: CALLBACK_URL, KKIAPAY_TIMEOUT_MS: '5000' })).toMatchObject({ callbackUrl: CALLBACK_URL, timeoutMs: 5000 });
  });

  it.each<[string, Record<string, string | undefined>]>([
    ['KKIAPAY_SECRET', { ...ENV, KKIAPAY_SECRET: undefined }],
    ['KKIAPAY_WEBHOOK_SECRET', { ...ENV, KKIAPAY_WEBHOOK_SECRET: undefined }],
    ['KKIAPAY_PRIVATE_KEY', { ...ENV, KKIAPAY_PRIVATE_KEY: '' }],
    ['KKIAPAY_BASE_URL', { ...ENV, KKIAPAY_BASE_URL: 'api.kkiapay.me' }],
    ['KKIAPAY_CALLBACK_URL', { ...ENV, KKIAPAY_CALLBACK_URL: 'not a url' }],
    ['KKIAPAY_TIMEOUT_MS', { ...ENV, KKIAPAY_TIMEOUT_MS: '-1' }],
  ])('refuses to start with a missing or malformed %s, naming it', (name, env) => {
    expect(() => kkiapayConfigFromEnv(env)).toThrow(name);
  });

  it('uses web-standard APIs only, so it can run on Workers', () => {
    for (const file of ['collection.ts', 'webhook.ts']) {
      const source = readFileSync(new URL(file, import.meta.url), 'utf8');
      expect(source).not.toMatch(/from ['"]node:|require\(|\bBuffer\b|\bprocess\./);
    }
  });
});
