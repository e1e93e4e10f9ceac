import { describe, expect, it } from 'vitest';
import type { CallbackParser } from '../src/payments/payment-provider-callback.js';
import { AmbiguousCollectionError, type PaymentProvider } from '../src/payments/port.js';
import { closeAfterEach } from './cleanup.js';
import { testClock } from './clock.js';
import { deliver, type PaymentApiFake } from './fakes/primitives.js';
import { collectionRequest, paymentHarness } from './payment-harness.js';

/*
 * The contract every payment provider registered in providers/index.ts must keep (the style of the
 * session and payment store suites), each run against its loopback fake (testkit/fakes/), which
 * answers with the samples of providers/<name>/fixtures.ts. test/payments/provider-conformance.test.ts
 * runs it once per registered provider, with the entry that says how to build the provider and
 * what it declares it cannot do. What a provider cannot be asked is declared with the reason, as a
 * skipped case that names it, never left out silently. providers/<name>/*.test.ts keep what only
 * that provider has (its wire details, its error codes, its configuration).
 */

/** Something the provider cannot do or be asked, and why (from its published source). */
export type Unsupported = { unsupported: string };
const supported = (capability: true | Unsupported): capability is true => capability === true;

/** How a provider that makes network calls is put against its fake, and what it says of itself. */
export interface NetworkConformance {
  start(): Promise<PaymentApiFake>;
  /** Every call the adapter makes, each of which must have a deadline (the fake names them too). */
  operations: readonly string[];
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

/** One registered payment provider, as the conformance suite is told about it. */
export interface PaymentProviderEntry {
  /** The provider pointed at an address: its fake's, or `http://127.0.0.1:9` where nothing listens. */
  make(baseUrl: string): PaymentProvider & Partial<CallbackParser>;
  network: NetworkConformance | Unsupported;
}

const closeLater = closeAfterEach();

async function startFake(network: NetworkConformance): Promise<PaymentApiFake> {
  return closeLater(await network.start());
}

/** The provider behind the real payment service and callback route, against its fake. */
async function harness(entry: PaymentProviderEntry, network: NetworkConformance) {
  const fake = await startFake(network);
  const harnessed = closeLater(paymentHarness(entry.make(fake.baseUrl), { clock: testClock(Date.now()), service: { pollIntervalMs: 1, unsentRetryDelaysMs: [1, 1] } }));
  return { ...harnessed, fake };
}

export function describePaymentProviderConformance(name: string, entry: PaymentProviderEntry): void {
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

      it.each(network.operations)('a %s answer slow but well inside the deadline is an answer like any other', async (operation) => {
        const fake = await startFake(network);
        const provider = entry.make(fake.baseUrl);
        fake.misbehave(operation, 'delayed');
        const kept: string[] = [];
        const asked = collectionRequest(kept);
        expect(await provider.requestCollection(asked)).toEqual({ status: 'pending' });
        const reference = kept[0];
        expect(await provider.checkStatus({ paymentId: asked.paymentId, ...(reference ? { providerReference: reference } : {}) })).toMatchObject({ status: 'pending' });
        expect(fake.pushes()).toBe(1);
      });

      it.each(network.operations)('a hanging %s call', async (operation) => {
        const fake = await startFake(network);
        const provider = entry.make(fake.baseUrl);
        if (operation === 'status') {
          const kept: string[] = [];
          const asked = collectionRequest(kept);
          await provider.requestCollection(asked);
          fake.misbehave('status', 'hang');
          const reference = kept[0];
          await expect(provider.checkStatus({ paymentId: asked.paymentId, ...(reference ? { providerReference: reference } : {}) })).rejects.toThrow();
          return;
        }
        fake.misbehave(operation, 'hang');
        const outcome = await provider.requestCollection(collectionRequest()).then((status) => ({ status }), (error: unknown) => ({ error }));
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
        const t = await harness(entry, network);
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
        const t = await harness(entry, network);
        const { id } = await t.collected();
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
        const t = await harness(entry, network);
        const inTurn = await t.newPayment();
        await t.payments.collect(inTurn);
        await t.payments.collect(inTurn);
        expect(t.fake.pushes()).toBe(1);
        const atOnce = await t.newPayment({ requestNumber: 'PS00150-240004' });
        await Promise.all([t.payments.collect(atOnce), t.payments.collect(atOnce)]);
        expect(t.fake.pushes()).toBe(2);
      });

      it('the success seen twice by the poller credits once', async () => {
        const t = await harness(entry, network);
        const { id } = await t.collected();
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
        const t = await harness(entry, network);
        const { id } = await t.collected();
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
        const t = await harness(entry, network);
        const { id } = await t.collected();
        const [answer] = await deliver(t.target, t.fake.forgedCallbackFor!(id, t.now()));
        expect(network.forgedAnswer).toContain(answer!.status);
        expect(await t.credits(id)).toBe(0);
        expect(await t.state(id)).toBe('pending');
      });

      it('a genuine callback replayed later, or an older one arriving after the success, changes nothing', async () => {
        const t = await harness(entry, network);
        const { id } = await t.collected();
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
      const t = await harness(entry, network);
      const { id } = await t.collected();
      t.fake.settle(id, { status: 'unknown' });
      const payment = await t.store.get(id);
      await expect(t.provider.checkStatus({ paymentId: id, ...(payment?.providerReference ? { providerReference: payment.providerReference } : {}) })).rejects.toThrow();
      await expect(t.payments.poll(id, 1)).rejects.toThrow();
      expect(await t.state(id)).toBe('pending');
      expect(await t.credits(id)).toBe(0);
    });

    it('a refusal fails the payment, and the portal hears nothing', async () => {
      const t = await harness(entry, network);
      const { id } = await t.collected();
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
          const t = await harness(entry, network);
          const { id } = await t.collected();
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
        const t = await harness(entry, network);
        const { id } = await t.collected();
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
