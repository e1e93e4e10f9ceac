import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AmbiguousCollectionError, type CollectionRequest, type ProviderStatus } from '../../src/payments/port.js';
import { COLLECT_QUEUE } from '../../src/payments/payment-service.js';
import { createMoovMoney, moovConfigFromEnv, moovToken, type MoovConfig } from './collection.js';
import { MOOV_SAMPLES, MOOV_TOKEN_VECTORS } from './fixtures.js';
import { FAKE_MOOV_ENDPOINT as ENDPOINT, startFakeMoov, type MoovMisbehaviour as Misbehaviour } from '../../testkit/fakes/moov.js';
import { closedLoopbackUrl } from '../../testkit/loopback-server.js';
import { closeAfterEach } from '../../testkit/cleanup.js';
import { testClock } from '../../testkit/clock.js';
import { collectionRequest, paymentHarness, rejectionOf as errorOf } from '../../testkit/payment-harness.js';

const USERNAME = 'guichet-bj';
const PASSWORD = 'p@ss:w0rd&<x>';
const KEY16 = '0123456789abcdef';
const KEY24 = 'guichet-moov-key-24bytes';
const KEY32 = 'guichet-moov-money-key-32-bytes!';
/** 15 characters, 16 bytes: the key length is counted in bytes, as PHP's strlen does. */
const KEY16_UTF8 = 'clé-moov-benin!';
/** A Moov Benin number (01 + 95…); the API wants it without the `+`. */
const MOOV_PAYER = '+2290195123456';
/** Client time-out in these tests: the fake's `hang` waits far longer. */
const TIMEOUT_MS = 300;

function openssl(args: string[], input: string): string {
  return execFileSync('openssl', args, { input }).toString('latin1').trim();
}

/**
 * The token as the `openssl` command line makes it (zero IV, base64 once, a short key NUL-padded
 * as PHP's OpenSSL does): an implementation independent of Web Crypto.
 */
function opensslToken(username: string, password: string, key: string): string {
  const keyBytes = Buffer.from(key, 'utf8');
  const keyHex = Buffer.concat([keyBytes, Buffer.alloc(32 - keyBytes.length)]).toString('hex');
  return openssl(['enc', '-aes-256-cbc', '-K', keyHex, '-iv', '00'.repeat(16), '-a', '-A'], `0:${username}:${password}`);
}

const TOKEN = opensslToken(USERNAME, PASSWORD, KEY32);

const closeLater = closeAfterEach();
afterEach(() => {
  vi.restoreAllMocks();
});

async function setup(overrides: Partial<MoovConfig> = {}) {
  const fake = closeLater(await startFakeMoov(TOKEN));
  const moov = createMoovMoney({ baseUrl: fake.baseUrl, username: USERNAME, password: PASSWORD, encryptionKey: KEY32, timeoutMs: TIMEOUT_MS, ...overrides });
  const h = closeLater(
    paymentHarness(moov, {
      clock: testClock(Date.parse('2026-11-23T09:00:00Z')), keptPollRounds: 50, service: { pollIntervalMs: 1, unsentRetryDelaysMs: [1, 1] },
      payer: { msisdn: MOOV_PAYER, operator: 'MOOV' },
    }),
  );
  const newPayment = () => h.newPayment();
  /** The provider alone, as the payment service calls it; `kept` lists what it asked to keep. */
  const kept: string[] = [];
  const collection = (paymentId: string, extra: Partial<CollectionRequest> = {}): CollectionRequest =>
    collectionRequest(kept, { paymentId, payerMsisdn: MOOV_PAYER, operator: 'MOOV', ...extra });
  /** Pushes one collection straight through the provider; answers Moov's reference id. */
  async function pushed(paymentId = crypto.randomUUID()): Promise<string> {
    expect(await moov.requestCollection(collection(paymentId))).toEqual({ status: 'pending' });
    return kept.at(-1)!;
  }
  return { fake, moov, portal: h.portal, store: h.store, jobs: h.jobs, payments: h.payments, newPayment, collection, kept, pushed, advance: h.advance };
}

describe('Moov Money token', () => {
  it.each([
    ['16-byte key', KEY16],
    ['24-byte key', KEY24],
    ['32-byte key', KEY32],
    ['16-byte key of 15 characters', KEY16_UTF8],
  ])('matches the openssl command line for a %s', async (_label, key) => {
    expect([16, 24, 32]).toContain(Buffer.byteLength(key));
    expect(await moovToken(USERNAME, PASSWORD, key)).toBe(opensslToken(USERNAME, PASSWORD, key));
  });

  it.each(MOOV_TOKEN_VECTORS)('gives the token of $source', async ({ username, password, encryptionKey, token }) => {
    expect(await moovToken(username, password, encryptionKey)).toBe(token);
    expect(opensslToken(username, password, encryptionKey)).toBe(token);
  });

  it('refuses a key of another length, at creation', async () => {
    expect(() => createMoovMoney({ baseUrl: 'https://moov.example/api', username: 'u', password: 'p', encryptionKey: 'twenty-bytes-key-xyz' })).toThrow(/16, 24 or 32 bytes, not 20/);
    await expect(moovToken('u', 'p', 'x'.repeat(33))).rejects.toThrow(/not 33/);
  });
});

describe('Moov Money wire samples from the community SDKs (fixtures.ts)', () => {
  /** The adapter against one recorded answer, over a fetch that answers it (HTTP 200, as the SDKs' test server does). */
  function replaying(xml: string) {
    const bodies: string[] = [];
    const moov = createMoovMoney({
      baseUrl: 'https://moov.example/api', username: USERNAME, password: PASSWORD, encryptionKey: KEY32,
      fetch: async (_url, init) => {
        bodies.push(String(init?.body));
        return new Response(xml, { status: 200, headers: { 'content-type': 'text/xml;charset=utf-8' } });
      },
    });
    return { moov, bodies };
  }

  it.each(MOOV_SAMPLES)('$name ($source)', async ({ operation, xml, expect: expected }) => {
    const { moov } = replaying(xml);
    const kept: string[] = [];
    if (operation === 'PushWithPending') {
      const request: CollectionRequest = {
        paymentId: crypto.randomUUID(), amountXof: 1900, payerMsisdn: MOOV_PAYER, operator: 'MOOV', description: 'Frais',
        rememberReference: async (reference) => {
          kept.push(reference);
          return reference;
        },
      };
      const outcome = moov.requestCollection(request);
      if (!('push' in expected)) throw new Error('a push sample needs a push expectation');
      if (expected.push === 'ambiguous') {
        expect(await errorOf(outcome)).toBeInstanceOf(AmbiguousCollectionError);
      } else if (expected.push === 'failed') {
        expect(await outcome).toMatchObject({ status: 'failed' });
      } else {
        // Never a success from the push itself, and a pending push without a reference is followed.
        expect(await outcome).toEqual({ status: 'pending' });
        expect(kept).toEqual(expected.reference ? [expected.reference] : []);
      }
      return;
    }
    if (!('status' in expected)) throw new Error('a status sample needs a status expectation');
    const asked = moov.checkStatus({ paymentId: 'p', providerReference: '020190503000000' });
    if (expected.status === 'error') expect(await errorOf(asked)).toBeInstanceOf(Error);
    else if (expected.status === 'succeeded') expect(await asked).toEqual({ status: 'succeeded', providerTransactionId: expected.transactionId });
    else expect(await asked).toMatchObject({ status: expected.status });
  });

  it('asks getTransactionStatus with <request><transid>, as the SDKs build it', async () => {
    const { moov, bodies } = replaying(MOOV_SAMPLES.find((sample) => sample.operation === 'getTransactionStatus')!.xml);
    await moov.checkStatus({ paymentId: 'p', providerReference: '020190503000000' });
    expect(bodies[0]).toContain('<api:getTransactionStatus><token>');
    expect(bodies[0]).toContain('<request><transid>020190503000000</transid></request>');
  });
});

describe('moovConfigFromEnv', () => {
  const env = { MOOV_BASE_URL: 'https://moov.example/merchant/api', MOOV_USERNAME: 'user', MOOV_PASSWORD: 'pass', MOOV_ENCRYPTION_KEY: KEY24 };

  it('reads the configuration, with a 15 s time-out by default', () => {
    expect(moovConfigFromEnv(env)).toEqual({ baseUrl: env.MOOV_BASE_URL, username: 'user', password: 'pass', encryptionKey: KEY24, timeoutMs: 15_000 });
    expect(moovConfigFromEnv({ ...env, MOOV_TIMEOUT_MS: '5000' }).timeoutMs).toBe(5000);
  });

  it.each([
    ['MOOV_BASE_URL', 'not a url'],
    ['MOOV_USERNAME', undefined],
    ['MOOV_PASSWORD', ''],
    ['MOOV_ENCRYPTION_KEY', 'twenty-bytes-key-xyz'],
    ['MOOV_TIMEOUT_MS', '-1'],
  ])('refuses a bad %s, naming it', (name, value) => {
    expect(() => moovConfigFromEnv({ ...env, [name]: value })).toThrow(name);
  });
});

describe('Moov Money against a local fake', () => {
  it('pushes exactly the PushWithPending Moov expects, keeps the reference, asks getTransactionStatus by it; one token per instance', async () => {
    const t = await setup();
    const encrypt = vi.spyOn(crypto.subtle, 'encrypt');
    const id = await t.newPayment();
    await t.payments.collect(id);
    const reference = (await t.store.get(id))?.providerReference;
    expect(reference).toBe([...t.fake.transactions.keys()][0]);
    await t.moov.checkStatus({ paymentId: id, providerReference: reference! });
    await t.moov.checkStatus({ paymentId: id, providerReference: reference! });
    const headers = { contentType: 'text/xml; charset=utf-8', soapAction: '""' };
    expect(t.fake.received[0]).toEqual({
      operation: 'PushWithPending', ...headers,
      fields: { token: TOKEN, msisdn: '2290195123456', message: 'Frais PS00373-240002', amount: '1900', externaldata1: id, externaldata2: '', fee: '0' },
    });
    expect(t.fake.received.slice(1).every((r) => r.operation === 'getTransactionStatus')).toBe(true);
    expect(t.fake.received.at(-1)).toEqual({ operation: 'getTransactionStatus', ...headers, fields: { token: TOKEN, request: { transid: reference } } });
    expect(t.fake.calls.push).toBe(1);
    expect(encrypt).toHaveBeenCalledTimes(1);
  });

  it('escapes every value it puts in the envelope', async () => {
    const t = await setup();
    const description = `Frais <PS00373> & "casier" d'extrait`;
    await t.moov.requestCollection(t.collection('pay&<1>', { description }));
    expect(t.fake.received[0]?.fields).toMatchObject({ message: description, externaldata1: 'pay&<1>' });
  });

  it('collects through the payment service: pending with the reference kept, the poller sees success, the portal is told once', async () => {
    const t = await setup();
    const id = await t.newPayment();
    await t.payments.collect(id);
    const pending = await t.store.get(id);
    expect(pending?.state).toBe('pending');
    const reference = pending?.providerReference;
    expect(reference).toMatch(/^72024103\d{9}$/);
    t.fake.settleReference(reference!, '0', 'Transaction Completed');
    await t.jobs.drain();
    expect(await t.store.get(id)).toMatchObject({ state: 'succeeded', providerTransactionId: reference });
    await t.payments.poll(id, 99); // a late duplicate poll changes nothing
    await t.jobs.drain();
    expect(t.portal.payments).toEqual([expect.objectContaining({ paymentId: id, amountXof: 1900, provider: 'moov-money', providerTransactionId: reference })]);
    expect(t.fake.calls.push).toBe(1);
    expect(t.fake.calls.status).toBeGreaterThanOrEqual(1);
    expect(t.jobs.failed).toEqual([]);
  });

  const STATUS_ANSWERS: { status: string; description: string; expected: ((reference: string) => ProviderStatus) | RegExp }[] = [
    { status: '0', description: 'Transaction Completed', expected: (reference) => ({ status: 'succeeded', providerTransactionId: reference }) },
    { status: '100', description: 'Transaction en attente de validation', expected: () => ({ status: 'pending' }) },
    { status: '95', description: 'Transaction failed due to error', expected: () => ({ status: 'failed', reason: 'moov 95: Transaction failed due to error' }) },
    { status: '10', description: 'Funds is insufficient', expected: () => ({ status: 'failed', reason: 'moov 10: Funds is insufficient' }) },
    { status: '10', description: '', expected: () => ({ status: 'failed', reason: 'moov 10: insufficient funds' }) },
    { status: '94', description: 'Transaction does not exist', expected: () => ({ status: 'failed', reason: 'moov 94: Transaction does not exist' }) },
    { status: '92', description: 'Exception on USSD PUSH Timeout in USSD PUSH/ Cancel in USSD PUSH', expected: () => ({ status: 'failed', reason: 'moov 92: Exception on USSD PUSH Timeout in USSD PUSH/ Cancel in USSD PUSH' }) },
    { status: '555', description: 'Not Registered: Destination Subscriber is not registered on Moov Money', expected: () => ({ status: 'failed', reason: 'moov 555: Not Registered: Destination Subscriber is not registered on Moov Money' }) },
    { status: '98', description: 'Invalid Credentials', expected: /moov 98: Invalid Credentials: check MOOV_USERNAME/ },
    { status: '99', description: 'Interface Internal error/Database connection error', expected: /moov status: moov 99: Interface Internal error/ },
    { status: '-1', description: 'Interface Internal error/Database connection error', expected: /moov status: moov -1/ },
  ];

  it.each(STATUS_ANSWERS)('maps getTransactionStatus $status "$description"', async ({ status, description, expected }) => {
    const t = await setup();
    const reference = await t.pushed();
    t.fake.settleReference(reference, status, description);
    const asked = t.moov.checkStatus({ paymentId: 'p', providerReference: reference });
    if (expected instanceof RegExp) {
      const error = await errorOf(asked);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(expected);
    } else {
      expect(await asked).toEqual(expected(reference));
    }
  });

  it('a reference Moov never gave is answered 94: failed', async () => {
    const t = await setup();
    expect(await t.moov.checkStatus({ paymentId: 'p', providerReference: '72024103999999999' })).toEqual({ status: 'failed', reason: 'moov 94: Transaction does not exist' });
  });

  it('without a reference there is nothing to ask Moov: pending, no call', async () => {
    const t = await setup();
    expect(await t.moov.checkStatus({ paymentId: crypto.randomUUID() })).toEqual({ status: 'pending' });
    expect(t.fake.calls.status).toBe(0);
  });

  it.each(['http-500', 'soap-fault', 'html-502', 'cut-off-200'] as const)('a status question answered %s is an error (asked again later), never a verdict', async (misbehaviour) => {
    const t = await setup();
    const reference = await t.pushed();
    t.fake.misbehave('status', misbehaviour);
    const error = await errorOf(t.moov.checkStatus({ paymentId: 'p', providerReference: reference }));
    expect(error).toBeInstanceOf(Error);
  });

  const PUSH_ANSWERS: { status: string; description: string; expected: 'pending' | 'succeeded' | 'failed' | 'retryable' | 'ambiguous' }[] = [
    { status: '100', description: 'Transaction en attente de validation', expected: 'pending' },
    // PushWithPending stays pending until the customer confirms: 0 on the push means initiated.
    { status: '0', description: 'SUCCESS', expected: 'pending' },
    { status: '10', description: 'Funds is insufficient', expected: 'failed' },
    { status: '777', description: 'a code no SDK lists', expected: 'ambiguous' },
    { status: '555', description: 'Not Registered: Destination Subscriber is not registered on Moov Money', expected: 'failed' },
    { status: '98', description: 'Invalid Credentials', expected: 'retryable' },
    { status: '99', description: 'Interface Internal error/Database connection error', expected: 'ambiguous' },
  ];

  it.each(PUSH_ANSWERS)('maps a PushWithPending answered $status "$description" ($expected)', async ({ status, description, expected }) => {
    const t = await setup();
    Object.assign(t.fake.pushAnswer, { status, description });
    const id = crypto.randomUUID();
    const outcome = t.moov.requestCollection(t.collection(id));
    if (expected === 'retryable' || expected === 'ambiguous') {
      const error = await errorOf(outcome);
      expect(error).toBeInstanceOf(Error);
      expect(error instanceof AmbiguousCollectionError).toBe(expected === 'ambiguous');
      expect(t.kept).toEqual([]);
      return;
    }
    const result = await outcome;
    const answered = [...t.fake.transactions.keys()][0]!;
    if (expected === 'failed') expect(result).toEqual({ status: 'failed', reason: `moov ${status}: ${description}` });
    else {
      expect(t.kept).toEqual([answered]);
      expect(result).toEqual(expected === 'pending' ? { status: 'pending' } : { status: 'succeeded', providerTransactionId: answered });
    }
  });

  it('a pending push without a reference id is followed, not an error: pending, one push, listed for finance at expiry', async () => {
    const t = await setup();
    t.fake.misbehave('push', 'no-reference');
    const id = await t.newPayment();
    await t.payments.collect(id);
    const pending = await t.store.get(id);
    expect(pending).toMatchObject({ state: 'pending' });
    expect(pending?.providerReference).toBeUndefined();
    expect(pending?.history.map((h) => h.reason)).toEqual(['request: sending, never resent']);
    await t.payments.collect(id);
    expect(t.fake.calls.push).toBe(1);
  });

  it('with a reference kept by an earlier attempt, never pushes again: answers the status', async () => {
    const t = await setup();
    const id = crypto.randomUUID();
    const reference = await t.pushed(id);
    t.fake.settleReference(reference, '0', 'Transaction Completed');
    expect(await t.moov.requestCollection(t.collection(id, { providerReference: reference }))).toEqual({ status: 'succeeded', providerTransactionId: reference });
    expect(t.fake.calls).toEqual({ push: 1, status: 1 });
  });

  it('when another attempt kept its reference first, follows that one', async () => {
    const t = await setup();
    const first = await t.pushed();
    const second = t.collection(crypto.randomUUID(), { rememberReference: async () => first });
    t.fake.settleReference(first, '0', 'Transaction Completed');
    expect(await t.moov.requestCollection(second)).toEqual({ status: 'succeeded', providerTransactionId: first });
  });

  it('a reference that cannot be kept after the push is an ambiguous answer, not a retry', async () => {
    const t = await setup();
    const request = t.collection(crypto.randomUUID(), { rememberReference: () => Promise.reject(new Error('redis down')) });
    expect(await errorOf(t.moov.requestCollection(request))).toBeInstanceOf(AmbiguousCollectionError);
    expect(t.fake.calls.push).toBe(1);
  });

  // No answer at all, a lost answer and a reset are the conformance suite's (test/payments/provider-conformance.test.ts).
  const LOST_ANSWERS: [Misbehaviour, string][] = [
    ['http-500', 'HTTP 500 without a SOAP body'],
    ['soap-fault', 'HTTP 500 with a soap:Fault'],
    ['html-502', 'a proxy error page'],
    ['cut-off-200', 'a 200 with a cut-off body'],
  ];

  it.each(LOST_ANSWERS)('push answer lost (%s: %s): AmbiguousCollectionError from the provider', async (misbehaviour) => {
    const t = await setup();
    t.fake.misbehave('push', misbehaviour);
    const error = await errorOf(t.moov.requestCollection(t.collection(crypto.randomUUID())));
    expect(error).toBeInstanceOf(AmbiguousCollectionError);
    expect(t.fake.calls.push).toBe(1);
  });

  it.each(LOST_ANSWERS)('push answer lost (%s) through the payment service: pending, ONE push even when the job runs again, expired by reconciliation', async (misbehaviour) => {
    const t = await setup();
    t.fake.misbehave('push', misbehaviour);
    t.jobs.keptPollRounds = 3;
    const id = await t.newPayment();
    await t.jobs.enqueue(COLLECT_QUEUE, { paymentId: id }, { jobId: `collect-${id}` });
    await t.jobs.drain();
    const pending = await t.store.get(id);
    expect(pending?.state).toBe('pending');
    expect(pending?.providerReference).toBeUndefined();
    expect(pending?.history.at(-1)?.reason).toMatch(/never resent/);
    expect(t.fake.transactions.size).toBe(1); // Moov did take it, and pushed the prompt
    // Moov answers normally again, and the collect job is delivered once more (a worker crash).
    t.fake.misbehave('push', undefined);
    await t.jobs.enqueue(COLLECT_QUEUE, { paymentId: id }, { jobId: `collect-${id}-redelivered` });
    await t.jobs.drain();
    expect(t.fake.calls).toEqual({ push: 1, status: 0 });
    expect(t.jobs.failed).toEqual([]);
    expect(await t.payments.reconcileOverdue()).toBe(0); // not yet due
    t.advance(600_000);
    expect(await t.payments.reconcileOverdue()).toBe(1);
    expect((await t.store.get(id))?.state).toBe('expired');
    expect(t.fake.calls.push).toBe(1);
    expect(t.portal.payments).toHaveLength(0);
  });

  it('a refused connection is tried again within the job (nothing left), and then pushes once', async () => {
    const closed = `${await closedLoopbackUrl()}${ENDPOINT}`;
    let refusals = 2;
    const t = await setup({ fetch: (input, init) => (refusals-- > 0 ? fetch(closed, init) : fetch(input, init)) });
    const id = await t.newPayment();
    await t.payments.collect(id);
    expect(await t.store.get(id)).toMatchObject({ state: 'pending', providerReference: expect.any(String) });
    expect(t.fake.calls.push).toBe(1);
    await t.payments.collect(id); // a duplicated job: the payment is no longer `created`
    expect(t.fake.calls.push).toBe(1);
  });

  it('a connection refused on every try fails the payment at once: nothing charged, the citizen told', async () => {
    const closed = `${await closedLoopbackUrl()}${ENDPOINT}`;
    const t = await setup({ fetch: (_input, init) => fetch(closed, init) });
    const id = await t.newPayment();
    await t.payments.collect(id);
    const payment = await t.store.get(id);
    expect(payment?.state).toBe('failed');
    expect(payment?.history.at(-1)?.reason).toMatch(/not sent .*ECONNREFUSED/);
    expect(t.fake.calls.push).toBe(0);
    expect(t.portal.payments).toHaveLength(0);
  });

  it('a provider pointed at a closed port rejects with a plain Error', async () => {
    const moov = createMoovMoney({ baseUrl: `${await closedLoopbackUrl()}${ENDPOINT}`, username: USERNAME, password: PASSWORD, encryptionKey: KEY32, timeoutMs: TIMEOUT_MS });
    const error = await errorOf(moov.requestCollection({ paymentId: 'p', amountXof: 1900, payerMsisdn: MOOV_PAYER, operator: 'MOOV', description: 'x', rememberReference: async (r) => r }));
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(AmbiguousCollectionError);
  });

  const connectionError = (code: string) => Object.assign(new Error(`connect ${code} 198.51.100.7:443`), { code });
  it.each([
    ['ECONNREFUSED', new TypeError('fetch failed', { cause: connectionError('ECONNREFUSED') }), 'retryable'],
    ['ENOTFOUND', new TypeError('fetch failed', { cause: connectionError('ENOTFOUND') }), 'retryable'],
    ['every address refused', new TypeError('fetch failed', { cause: new AggregateError([connectionError('ECONNREFUSED'), connectionError('ECONNREFUSED')]) }), 'retryable'],
    ['one address refused, one reset', new TypeError('fetch failed', { cause: new AggregateError([connectionError('ECONNREFUSED'), connectionError('ECONNRESET')]) }), 'ambiguous'],
    ['ECONNRESET', new TypeError('fetch failed', { cause: connectionError('ECONNRESET') }), 'ambiguous'],
    ['UND_ERR_SOCKET', new TypeError('fetch failed', { cause: connectionError('UND_ERR_SOCKET') }), 'ambiguous'],
    ['a time-out', new DOMException('The operation was aborted due to timeout', 'TimeoutError'), 'ambiguous'],
    ['a network error without a code (Workers)', new TypeError('Network connection lost.'), 'ambiguous'],
  ] as const)('a fetch rejected with %s is %s', async (_label, rejection, expected) => {
    const moov = createMoovMoney({ baseUrl: 'https://moov.example/api', username: USERNAME, password: PASSWORD, encryptionKey: KEY32, fetch: () => Promise.reject(rejection) });
    const error = await errorOf(moov.requestCollection({ paymentId: 'p', amountXof: 1900, payerMsisdn: MOOV_PAYER, operator: 'MOOV', description: 'x', rememberReference: async (r) => r }));
    expect(error).toBeInstanceOf(Error);
    expect(error instanceof AmbiguousCollectionError).toBe(expected === 'ambiguous');
  });

  it('a caller signal aborted before sending sends nothing and is retryable', async () => {
    const t = await setup();
    const error = await errorOf(t.moov.requestCollection(t.collection('p'), AbortSignal.abort()));
    expect(error).not.toBeInstanceOf(AmbiguousCollectionError);
    expect(t.fake.calls.push).toBe(0);
  });

  it('an invalid token (98) pushes nothing: the payment fails at once instead of waiting', async () => {
    const t = await setup({ password: 'not-the-password' });
    const id = await t.newPayment();
    await t.payments.collect(id);
    const payment = await t.store.get(id);
    expect(payment?.state).toBe('failed');
    expect(payment?.history.at(-1)?.reason).toMatch(/not sent .*moov 98: Invalid Credentials/);
    expect(t.fake.transactions.size).toBe(0);
    expect(t.fake.received[0]?.fields.token).not.toBe(TOKEN);
  });
});
