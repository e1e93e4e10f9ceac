import { describe, expect, it } from 'vitest';
import type { EnqueueOptions, JobQueue } from '../../src/jobs/port.js';
import { createEmbeddedPayments } from '../../src/payments/embedded-payments.js';
import type { PaymentProvider, ProviderStatus } from '../../src/payments/port.js';
import { POLL_QUEUE, pollDelayMs } from '../../src/payments/queues.js';
import { MemoryPaymentStore } from '../../src/payments/store/memory.js';
import { createDemoPortal, DEMO_MSISDN } from '../../src/portal/demo.js';
import { createMomoCollection } from '../../providers/mtn-momo/collection.js';
import { createKkiapay } from '../../providers/kkiapay/collection.js';

/**
 * Issue 18 part 2: a provider that calls back settles most payments by callback, so the status
 * poller waits longer between questions; it is still the net, so a payment whose callback never
 * comes is still settled by polling, and expired at its end, exactly as without callbacks.
 */

/** Keeps what is enqueued, runs nothing: the test runs each job by hand and reads the delays asked for. */
class RecordingJobQueue implements JobQueue {
  readonly enqueued: { queue: string; payload: unknown; options: EnqueueOptions }[] = [];
  async enqueue<Payload>(queue: string, payload: Payload, options: EnqueueOptions = {}): Promise<void> {
    this.enqueued.push({ queue, payload, options });
  }
  process(): void {}
  async cancel(): Promise<boolean> {
    return false;
  }
  async close(): Promise<void> {}
  pollDelays(): (number | undefined)[] {
    return this.enqueued.filter((e) => e.queue === POLL_QUEUE).map((e) => e.options.delayMs);
  }
}

/** Answers every status question with what `answers` says for its number (1, 2, …), counting them. */
function scripted(callsBack: boolean, answers: (question: number) => ProviderStatus) {
  let questions = 0;
  const provider: PaymentProvider = {
    name: 'scripted',
    resendSafe: true,
    callsBack,
    requestCollection: async () => ({ status: 'pending' }),
    checkStatus: async () => answers(++questions),
  };
  return { provider, questions: () => questions };
}

async function pendingPayment(provider: PaymentProvider, pollIntervalMs = 5000) {
  let clock = Date.parse('2026-11-23T09:00:00Z');
  const store = new MemoryPaymentStore();
  const jobs = new RecordingJobQueue();
  const payments = createEmbeddedPayments(createDemoPortal(), { provider, store, jobs, pollIntervalMs, now: () => clock, sms: { enqueue: async () => ({ messageId: 'x' }) } });
  const id = crypto.randomUUID();
  await store.create({
    id, requestNumber: 'PS00373-240002', amountXof: 1900, payerMsisdn: DEMO_MSISDN, operator: 'MTN', provider: provider.name,
    createdAt: new Date(clock).toISOString(), expiresAt: new Date(clock + 10 * 60_000).toISOString(),
  });
  await payments.collect(id);
  /** Runs the poll jobs in turn as the queue would, moving the clock by each one's delay. */
  async function runPolls(max: number): Promise<void> {
    for (let round = 1; round <= max; round++) {
      const queued = jobs.enqueued.filter((e) => e.queue === POLL_QUEUE);
      if (queued.length < round) return; // the poller stopped: the payment is final
      clock += queued[round - 1]!.options.delayMs ?? 0;
      await payments.poll(id, round);
    }
  }
  return { payments, store, jobs, id, runPolls, advance: (ms: number) => (clock += ms) };
}

const pending = (): ProviderStatus => ({ status: 'pending' });

describe('status polls back off when the provider calls back (issue 18 part 2)', () => {
  it.each([
    // [calls back, round, interval, delay]
    [false, 1, 5000, 5000],
    [false, 7, 5000, 5000],
    [true, 1, 5000, 30_000],
    [true, 2, 5000, 60_000],
    [true, 9, 5000, 60_000],
    [true, 1, 10, 60],
    [true, 3, 10, 120],
  ] as const)('calls back %s, question %i, interval %i ms: waits %i ms', (callsBack, round, interval, delay) => {
    expect(pollDelayMs(interval, round, callsBack)).toBe(delay);
  });

  it('without callbacks, every 5 s; with them, 30 s then every minute', async () => {
    const without = await pendingPayment(scripted(false, pending).provider);
    await without.runPolls(3);
    expect(without.jobs.pollDelays()).toEqual([5000, 5000, 5000, 5000]);
    const withCallbacks = await pendingPayment(scripted(true, pending).provider);
    await withCallbacks.runPolls(3);
    expect(withCallbacks.jobs.pollDelays()).toEqual([30_000, 60_000, 60_000, 60_000]);
  });

  it('a callback that never comes: the poller still finds the success, credits it once and stops', async () => {
    const momo = scripted(true, (question) => (question < 3 ? { status: 'pending' } : { status: 'succeeded', providerTransactionId: 'TX-9', amountXof: 1900 }));
    const t = await pendingPayment(momo.provider);
    await t.runPolls(20);
    const payment = (await t.store.get(t.id))!;
    expect(payment.state).toBe('succeeded');
    expect(payment.portalNotifiedAt).toBeDefined();
    expect(payment.history.filter((h) => h.to === 'succeeded')).toHaveLength(1);
    expect(momo.questions()).toBe(3);
    expect(t.jobs.pollDelays()).toEqual([30_000, 60_000, 60_000]); // no fourth question after the success
  });

  it('a payment nobody answers is still expired by the backed-off poller, in ten questions rather than 120', async () => {
    const momo = scripted(true, pending);
    const t = await pendingPayment(momo.provider);
    await t.runPolls(200);
    expect((await t.store.get(t.id))!.state).toBe('expired');
    // 30 s, then a minute each: past the 10-minute expiry at the 11th question.
    expect(momo.questions()).toBe(11);
  });

  it('a poll job lost: the overdue sweep still settles the payment behind the backed-off poller', async () => {
    const momo = scripted(true, () => ({ status: 'succeeded', providerTransactionId: 'TX-7', amountXof: 1900 }));
    const t = await pendingPayment(momo.provider);
    t.advance(11 * 60_000); // no poll ever ran
    expect(await t.payments.reconcileOverdue()).toBe(1);
    expect((await t.store.get(t.id))!.state).toBe('succeeded');
  });

  it('MoMo and KKiaPay call back only when given a callback URL', () => {
    const momo = { baseUrl: 'http://127.0.0.1:9', apiUser: 'u', apiKey: 'k', subscriptionKey: 's', targetEnvironment: 'sandbox' };
    expect(createMomoCollection(momo).callsBack).toBe(false);
    expect(createMomoCollection({ ...momo, callbackUrl: 'https://guichet.example/payments/mtn-momo/callback' }).callsBack).toBe(true);
    const kkiapay = { baseUrl: 'http://127.0.0.1:9', publicKey: 'p', privateKey: 'k', secret: 's', webhookSecret: 'w' };
    expect(createKkiapay(kkiapay).callsBack).toBe(false);
    expect(createKkiapay({ ...kkiapay, callbackUrl: 'https://guichet.example/payments/kkiapay/callback' }).callsBack).toBe(true);
  });
});
