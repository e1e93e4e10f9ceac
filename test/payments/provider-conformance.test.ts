import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { paymentProviders } from '../../providers/index.js';
import { createFedapay, DEFAULT_FEDAPAY_MODES } from '../../providers/fedapay/collection.js';
import { createKkiapay } from '../../providers/kkiapay/collection.js';
import { createMoovMoney } from '../../providers/moov-money/collection.js';
import { MOOV_TOKEN_VECTORS } from '../../providers/moov-money/fixtures.js';
import { createMomoCollection } from '../../providers/mtn-momo/collection.js';
import { createSandboxPaymentProvider } from '../../providers/sandbox-payment/payment.js';
import { silentLogger } from '../../src/observability/logger.js';
import { registerPaymentCallbackRoutes } from '../../src/payments/callback-route.js';
import { createEmbeddedPayments } from '../../src/payments/embedded-payments.js';
import { MemoryPaymentStore } from '../../src/payments/store/memory.js';
import type { CallbackParser } from '../../src/payments/payment-provider-callback.js';
import { AmbiguousCollectionError, type CollectionRequest, type PaymentProvider } from '../../src/payments/port.js';
import { PaymentProviderDirectory } from '../../src/payments/provider-directory.js';
import { createDemoPortal, DEMO_MSISDN } from '../../src/portal/demo.js';
import { FAKE_FEDAPAY_SECRET_KEY, FAKE_FEDAPAY_WEBHOOK_SECRET, startFakeFedapay } from '../../testkit/fakes/fedapay.js';
import { FAKE_KKIAPAY_KEYS, startFakeKkiapay } from '../../testkit/fakes/kkiapay.js';
import { FAKE_MOMO_CREDENTIALS, startFakeMomo } from '../../testkit/fakes/momo.js';
import { startFakeMoov } from '../../testkit/fakes/moov.js';
import { callbackTargetOf, deliver, type PaymentApiFake } from '../../testkit/fakes/primitives.js';
import { PollRoundsQueue } from '../../testkit/poll-rounds-queue.js';

/*
 * One contract for every payment provider registered in providers/index.ts (the style of the
 * session and payment store suites), each run against its loopback fake (testkit/fakes/),
 * which answers with the samples of providers/<name>/fixtures.ts. A registered provider without an
 * entry fails the suite. What a provider cannot be asked is declared with the reason, as a skipped
 * case that names it, never left out silently. providers/<name>/*.test.ts keep what only that
 * provider has (its wire details, its error codes, its configuration).
 */

/** Client deadline in this suite: a hanging fake never answers at all; a healthy call on a busy 2-core machine fits easily. */
const DEADLINE_MS = 500;

/** Something the provider cannot do or be asked, and why (from its published source). */
type Unsupported = { unsupported: string };
const supported = (capability: true | Unsupported): capability is true => capability === true;

interface NetworkConformance {
  start(): Promise<PaymentApiFake>;
  /** Every call the adapter makes, each of which must have a deadline (the fake names them too). */
  operations: readonly string[];
  make(fake: PaymentApiFake): PaymentProvider & Partial<CallbackParser>;
  /** Calls whose failure is advisory by design: a hanging one is cut and the collection goes on. */
  advisory?: Readonly<Record<string, string>>;
  /**
   * What a callback is worth: `hint` (unsigned or a static secret: only names a payment to re-check
   * with the status API), `signed` (HMAC with a timestamp: believed once verified, a replay refused).
   */
  callbacks: 'hint' | 'signed' | Unsupported;
  /** How a callback without the provider's secret is answered: 202 for an unsigned hint, else 401/403. */
  forgedAnswer?: readonly number[];
  amountReported: true | Unsupported;
  currencyReported: true | Unsupported;
  refunds: true | Unsupported;
}

interface ConformanceEntry {
  /** The provider pointed at an address (`http://127.0.0.1:9`: nothing listens). */
  make(baseUrl: string): PaymentProvider;
  network: NetworkConformance | Unsupported;
}

const ENTRIES: Readonly<Record<string, ConformanceEntry>> = {
  sandbox: {
    make: () => createSandboxPaymentProvider({ approveAfterMs: 60_000 }),
    network: { unsupported: 'the sandbox makes no network calls and sends no callbacks' },
  },
  'mtn-momo': {
    make: (baseUrl) => createMomoCollection({ baseUrl, ...FAKE_MOMO_CREDENTIALS, timeoutMs: DEADLINE_MS }),
    network: {
      start: startFakeMomo,
      operations: ['token', 'accountholder', 'requesttopay', 'status'],
      make: (fake) => createMomoCollection({ baseUrl: fake.baseUrl, ...FAKE_MOMO_CREDENTIALS, timeoutMs: DEADLINE_MS }),
      advisory: { accountholder: 'the account-holder check only stops a collection on a clear "result": false' },
      callbacks: 'hint',
      forgedAnswer: [202],
      amountReported: true,
      currencyReported: true,
      refunds: { unsupported: 'a request-to-pay has no refunded status (Collection API: PENDING, SUCCESSFUL, FAILED)' },
    },
  },
  'moov-money': {
    make: (baseUrl) => createMoovMoney({ baseUrl, ...moovCredentials(), timeoutMs: DEADLINE_MS }),
    network: {
      start: () => startFakeMoov(MOOV_TOKEN_VECTORS[0].token),
      operations: ['push', 'status'],
      make: (fake) => createMoovMoney({ baseUrl: fake.baseUrl, ...moovCredentials(), timeoutMs: DEADLINE_MS }),
      callbacks: { unsupported: 'Moov Money sends no callback: it is polled (community SDKs)' },
      amountReported: { unsupported: 'getTransactionStatus carries no amount (Brainsial/moov-money-api-sdk test server)' },
      currencyReported: { unsupported: 'getTransactionStatus carries no currency' },
      refunds: { unsupported: 'no refund operation or status in the community SDKs' },
    },
  },
  fedapay: {
    make: (baseUrl) => createFedapay({ baseUrl, secretKey: FAKE_FEDAPAY_SECRET_KEY, webhookSecret: FAKE_FEDAPAY_WEBHOOK_SECRET, modes: DEFAULT_FEDAPAY_MODES, timeoutMs: DEADLINE_MS }),
    network: {
      start: () => startFakeFedapay(),
      operations: ['create', 'token', 'send', 'status'],
      make: (fake) => createFedapay({ baseUrl: fake.baseUrl, secretKey: FAKE_FEDAPAY_SECRET_KEY, webhookSecret: FAKE_FEDAPAY_WEBHOOK_SECRET, modes: DEFAULT_FEDAPAY_MODES, timeoutMs: DEADLINE_MS }),
      callbacks: 'signed',
      forgedAnswer: [403],
      amountReported: true,
      currencyReported: { unsupported: 'a transaction names its currency by currency_id, not by code (fedapay-node test/TransactionTest.ts)' },
      refunds: true,
    },
  },
  kkiapay: {
    make: (baseUrl) => createKkiapay({ baseUrl, ...FAKE_KKIAPAY_KEYS, timeoutMs: DEADLINE_MS }),
    network: {
      start: startFakeKkiapay,
      operations: ['debit', 'status'],
      make: (fake) => createKkiapay({ baseUrl: fake.baseUrl, ...FAKE_KKIAPAY_KEYS, timeoutMs: DEADLINE_MS }),
      callbacks: 'hint',
      forgedAnswer: [401, 403],
      amountReported: true,
      currencyReported: { unsupported: 'the status answer carries no currency (PythonBenin/kkiapay-python readme)' },
      refunds: {
        unsupported:
          'a revert is ours to ask (kkiapay/nodejs-sdk refund → /api/v1/transactions/revert) and Guichet never does; the status list documents no reverted status',
      },
    },
  },
};

function moovCredentials() {
  const { username, password, encryptionKey } = MOOV_TOKEN_VECTORS[0];
  return { username, password, encryptionKey };
}

/** A collection as the payment service asks for it; `kept` is what the provider asked to keep. */
function request(kept: string[] = []): CollectionRequest {
  return {
    paymentId: crypto.randomUUID(), amountXof: 1900, payerMsisdn: DEMO_MSISDN, operator: 'MTN', description: 'Frais PS00373-240002',
    rememberReference: async (reference) => {
      kept.push(reference);
      return reference;
    },
  };
}

const errorOf = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => null, (error: unknown) => error);

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

async function startFake(network: NetworkConformance): Promise<PaymentApiFake> {
  const fake = await network.start();
  closers.push(() => fake.close());
  return fake;
}

/** The provider behind the real payment service and callback route, against its fake. */
async function harness(network: NetworkConformance) {
  const fake = await startFake(network);
  const provider = network.make(fake);
  let clock = Date.now();
  const portal = createDemoPortal();
  const store = new MemoryPaymentStore();
  const jobs = new PollRoundsQueue(0);
  closers.push(() => jobs.close());
  const payments = createEmbeddedPayments(portal, { provider, store, jobs, now: () => clock, pollIntervalMs: 1, unsentRetryDelaysMs: [1, 1] });
  payments.start();
  const app = new Hono();
  registerPaymentCallbackRoutes(app, {
    providers: PaymentProviderDirectory.single(provider), store, apply: payments.apply, logger: silentLogger, now: () => clock,
    enqueueHintConfirmation: payments.enqueueHintConfirmation,
  });
  const target = callbackTargetOf(app);
  /** One unfinished payment per request (the store's rule): a second one needs another request. */
  async function newPayment(requestNumber = 'PS00373-240002'): Promise<string> {
    const id = crypto.randomUUID();
    await store.create({
      id, requestNumber, amountXof: 1900, payerMsisdn: DEMO_MSISDN, operator: 'MTN', provider: provider.name,
      createdAt: new Date(clock).toISOString(), expiresAt: new Date(clock + 600_000).toISOString(),
    });
    return id;
  }
  /** A payment the provider was asked to collect: pending, its reference kept. */
  async function collected(): Promise<string> {
    const id = await newPayment();
    await payments.collect(id);
    expect((await store.get(id))?.state).toBe('pending');
    return id;
  }
  /** Portal credits of a payment once every queued job has run. */
  async function credits(id: string): Promise<number> {
    await jobs.drain();
    return portal.payments.filter((p) => p.paymentId === id).length;
  }
  const state = async (id: string) => (await store.get(id))?.state;
  return { fake, provider, store, jobs, payments, target, newPayment, collected, credits, state, advance: (ms: number) => (clock += ms), now: () => clock };
}

describe('payment provider conformance: the registry', () => {
  it('every provider registered in providers/index.ts has a conformance entry, and no entry is stale', () => {
    expect(Object.keys(ENTRIES).sort()).toEqual(Object.keys(paymentProviders).sort());
  });
});

for (const [name, entry] of Object.entries(ENTRIES)) {
  describe(`payment provider conformance: ${name}`, () => {
    it('is named as registered', () => {
      expect(entry.make('http://127.0.0.1:9').name).toBe(name);
    });

    it('a payment it never heard of is never a success', async () => {
      const status = await entry.make('http://127.0.0.1:9').checkStatus({ paymentId: crypto.randomUUID() }).catch(() => null);
      expect(status?.status).not.toBe('succeeded');
    });

    const network = entry.network;
    if (!('start' in network)) {
      it.skip(`declares: ${network.unsupported} (no deadline, wire or callback case applies)`, () => {});
      return;
    }

    describe('deadlines: a hanging API never holds a call past its deadline', () => {
      it('the fake answers for every call the entry declares', async () => {
        const fake = await startFake(network);
        expect(fake.operations).toEqual(network.operations);
        expect(network.operations).toContain(fake.pushOperation);
      });

      it.each(network.operations)('a hanging %s call', async (operation) => {
        const fake = await startFake(network);
        const provider = network.make(fake);
        if (operation === 'status') {
          const kept: string[] = [];
          const asked = request(kept);
          await provider.requestCollection(asked);
          fake.misbehave('status', 'hang');
          const reference = kept[0];
          await expect(provider.checkStatus({ paymentId: asked.paymentId, ...(reference ? { providerReference: reference } : {}) })).rejects.toThrow();
          return;
        }
        fake.misbehave(operation, 'hang');
        const outcome = await provider.requestCollection(request()).then((status) => ({ status }), (error: unknown) => ({ error }));
        if (network.advisory?.[operation]) {
          // Cut at its deadline, and the collection went on without it.
          expect(outcome).toEqual({ status: { status: 'pending' } });
          return;
        }
        expect('error' in outcome && outcome.error).toBeInstanceOf(Error);
        // It may have arrived: from a provider without idempotency it must never be sent again.
        if (!provider.resendSafe && operation === fake.pushOperation) expect('error' in outcome && outcome.error).toBeInstanceOf(AmbiguousCollectionError);
      });
    });

    describe('lost answers', () => {
      it.each(['lost', 'reset'] as const)('the push answer %s: never a second collection, never failed while it may be charged, credited at most once', async (mode) => {
        const t = await harness(network);
        const id = await t.newPayment();
        t.fake.misbehave(t.fake.pushOperation, mode);
        // A resend-safe provider's job fails and is retried; the others follow the payment instead.
        await t.payments.collect(id).catch(() => undefined);
        expect(await t.state(id)).not.toBe('failed');
        t.fake.misbehave(t.fake.pushOperation, undefined);
        await t.payments.collect(id); // the job delivered again (a retry, or a worker crash)
        expect(t.fake.pushes()).toBe(1);
        expect(await t.state(id)).toBe('pending');
        t.fake.settle(id, { status: 'succeeded' });
        await t.payments.poll(id, 1);
        const payment = await t.store.get(id);
        // Where the provider's id for it is known, the success is seen; otherwise it waits for a
        // callback or its expiry into the report (push_unconfirmed), and is never credited twice.
        if (t.provider.resendSafe || payment?.providerReference) {
          expect(payment?.state).toBe('succeeded');
          expect(await t.credits(id)).toBe(1);
        } else {
          expect(payment?.state).toBe('pending');
          expect(await t.credits(id)).toBe(0);
        }
      });

      it('the status answer lost is an error (asked again later), never a verdict', async () => {
        const t = await harness(network);
        const id = await t.collected();
        t.fake.settle(id, { status: 'succeeded' });
        t.fake.misbehave('status', 'lost');
        await expect(t.payments.poll(id, 1)).rejects.toThrow();
        expect(await t.state(id)).toBe('pending');
        t.fake.misbehave('status', undefined);
        await t.payments.poll(id, 1);
        expect(await t.state(id)).toBe('succeeded');
        expect(await t.credits(id)).toBe(1);
      });
    });

    describe('duplicates', () => {
      it('the collect job delivered twice, in turn and at once, asks for one collection', async () => {
        const t = await harness(network);
        const inTurn = await t.newPayment();
        await t.payments.collect(inTurn);
        await t.payments.collect(inTurn);
        expect(t.fake.pushes()).toBe(1);
        const atOnce = await t.newPayment('PS00150-240004');
        await Promise.all([t.payments.collect(atOnce), t.payments.collect(atOnce)]);
        expect(t.fake.pushes()).toBe(2);
      });

      it('the success seen twice by the poller credits once', async () => {
        const t = await harness(network);
        const id = await t.collected();
        t.fake.settle(id, { status: 'succeeded' });
        await Promise.all([t.payments.poll(id, 1), t.payments.poll(id, 1)]);
        await t.payments.poll(id, 2);
        expect(await t.credits(id)).toBe(1);
        expect((await t.store.get(id))?.history.filter((h) => h.to === 'succeeded')).toHaveLength(1);
      });

      const callbacks = network.callbacks;
      if (typeof callbacks !== 'string') {
        it.skip(`declares no callbacks: ${callbacks.unsupported}`, () => {});
        return;
      }
      it('a success callback delivered ten times at once, then late, credits once', async () => {
        const t = await harness(network);
        const id = await t.collected();
        t.fake.settle(id, { status: 'succeeded' });
        const callback = t.fake.callbackFor!(id, t.now());
        const answers = await deliver(t.target, callback, { copies: 10 });
        expect(answers.every((res) => res.ok)).toBe(true);
        expect(await deliver(t.target, callback, { delayMs: 20 })).toHaveLength(1);
        expect(await t.credits(id)).toBe(1);
        const payment = await t.store.get(id);
        expect(payment?.state).toBe('succeeded');
        expect(payment?.history.filter((h) => h.to === 'succeeded')).toHaveLength(1);
      });
    });

    describe('forged and replayed callbacks', () => {
      const callbacks = network.callbacks;
      if (typeof callbacks !== 'string') {
        it.skip(`declares no callbacks: ${callbacks.unsupported}`, () => {});
        return;
      }
      it('a callback without the provider\'s secret claiming success credits nothing', async () => {
        const t = await harness(network);
        const id = await t.collected();
        const [answer] = await deliver(t.target, t.fake.forgedCallbackFor!(id, t.now()));
        expect(network.forgedAnswer).toContain(answer!.status);
        expect(await t.credits(id)).toBe(0);
        expect(await t.state(id)).toBe('pending');
      });

      it('a genuine callback replayed later, or an older one arriving after the success, changes nothing', async () => {
        const t = await harness(network);
        const id = await t.collected();
        const stale = t.fake.callbackFor!(id, t.now()); // captured while the payer had not answered yet
        t.fake.settle(id, { status: 'succeeded' });
        const genuine = t.fake.callbackFor!(id, t.now());
        await deliver(t.target, genuine);
        expect(await t.credits(id)).toBe(1);
        t.advance(301_000);
        const [replayed] = await deliver(t.target, genuine);
        // Signed with a timestamp: refused outside the tolerance. A hint is confirmed again, harmlessly.
        if (callbacks === 'signed') expect(replayed!.status).toBe(403);
        await deliver(t.target, stale);
        expect(await t.credits(id)).toBe(1);
        const payment = await t.store.get(id);
        expect(payment?.state).toBe('succeeded');
        expect(payment?.history.filter((h) => h.to === 'succeeded')).toHaveLength(1);
      });
    });

    it('a status it does not know is never final: the payment stays pending', async () => {
      const t = await harness(network);
      const id = await t.collected();
      t.fake.settle(id, { status: 'unknown' });
      const payment = await t.store.get(id);
      await expect(t.provider.checkStatus({ paymentId: id, ...(payment?.providerReference ? { providerReference: payment.providerReference } : {}) })).rejects.toThrow();
      await expect(t.payments.poll(id, 1)).rejects.toThrow();
      expect(await t.state(id)).toBe('pending');
      expect(await t.credits(id)).toBe(0);
    });

    it('a refusal fails the payment, and the portal hears nothing', async () => {
      const t = await harness(network);
      const id = await t.collected();
      t.fake.settle(id, { status: 'failed' });
      await t.payments.poll(id, 1);
      expect(await t.state(id)).toBe('failed');
      expect(await t.credits(id)).toBe(0);
    });

    describe('amount and currency', () => {
      const mismatches = [
        ['another amount', network.amountReported, { amountXof: 100 }, 'amount_mismatch'],
        ['another currency', network.currencyReported, { currency: 'EUR' }, 'currency_mismatch'],
      ] as const;
      for (const [label, capability, change, code] of mismatches) {
        if (!supported(capability)) {
          it.skip(`declares it cannot tell ${label}: ${capability.unsupported}`, () => {});
          continue;
        }
        it(`a success for ${label} is not credited (amount_mismatch)`, async () => {
          const t = await harness(network);
          const id = await t.collected();
          t.fake.settle(id, { status: 'succeeded', ...change });
          await t.payments.poll(id, 1);
          const payment = await t.store.get(id);
          expect(payment?.state).toBe('failed');
          expect(payment?.history.at(-1)?.reason).toMatch(/amount mismatch/);
          expect(payment?.history.at(-1)?.code).toBe(code);
          expect(await t.credits(id)).toBe(0);
        });
      }
    });

    describe('refund after success', () => {
      const refunds = network.refunds;
      if (!supported(refunds)) {
        it.skip(`declares no refunds: ${refunds.unsupported}`, () => {});
        return;
      }
      it.each([
        [false, 'refunded_after_success'],
        [true, 'partially_refunded_after_success'],
      ] as const)('a refund (partial: %s) reported after the success keeps the credit and flags %s, answered 2xx every time', async (partial, flag) => {
        const t = await harness(network);
        const id = await t.collected();
        t.fake.settle(id, { status: 'succeeded' });
        await t.payments.poll(id, 1);
        expect(await t.credits(id)).toBe(1);
        t.fake.settle(id, { status: 'refunded', partial });
        const answers = await deliver(t.target, t.fake.callbackFor!(id, t.now()), { copies: 2 });
        expect(answers.every((res) => res.ok)).toBe(true);
        expect(await t.store.get(id)).toMatchObject({ state: 'succeeded', reconciliationFlags: [flag] });
        expect(await t.credits(id)).toBe(1);
      });
    });
  });
}
