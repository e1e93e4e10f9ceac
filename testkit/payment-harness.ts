import { Hono } from 'hono';
import { expect } from 'vitest';
import { silentLogger } from '../src/observability/logger.js';
import { registerPaymentCallbackRoutes } from '../src/payments/callback-route.js';
import { createEmbeddedPayments } from '../src/payments/embedded-payments.js';
import type { Payment } from '../src/payments/payment.js';
import type { CallbackParser } from '../src/payments/payment-provider-callback.js';
import type { CollectionRequest, PaymentProvider } from '../src/payments/port.js';
import { PaymentProviderDirectory } from '../src/payments/provider-directory.js';
import { MemoryPaymentStore } from '../src/payments/store/memory.js';
import { createDemoPortal, DEMO_MSISDN } from '../src/portal/demo.js';
import { testClock, type TestClock } from './clock.js';
import { callbackTargetOf } from './fakes/primitives.js';
import { PollRoundsQueue } from './poll-rounds-queue.js';

/** What the payment service is given besides the harness's own parts (its timings). */
type ServiceOptions = Omit<NonNullable<Parameters<typeof createEmbeddedPayments>[1]>, 'provider' | 'providers' | 'store' | 'jobs' | 'now'>;

export interface PaymentHarnessOptions {
  /** Shared with the provider when it reads the time too; the real time unless given. */
  clock?: TestClock;
  /** Status-poll rounds the queue keeps (`PollRoundsQueue`): 0 leaves the poller out of the way. */
  keptPollRounds?: number;
  /** The payment service's timings (`pollIntervalMs`, `unsentRetryDelaysMs`). */
  service?: ServiceOptions;
  /** Who pays in `newPayment` unless told: the demo holder on MTN. */
  payer?: { msisdn: string; operator: string };
}

/** A payment `newPayment` creates: the demo request's fee unless told otherwise. */
export interface NewTestPayment {
  requestNumber?: string;
  amountXof?: number;
  payerMsisdn?: string;
  operator?: string;
}

/**
 * One payment provider behind the real payment service and callback route, in memory: the setup
 * every payment provider suite shares (the conformance suite and `providers/<name>/*.test.ts`).
 * The provider is usually pointed at its loopback fake (testkit/fakes/); `close` stops the queue,
 * and the caller closes the fake (`closeAfterEach`, testkit/cleanup.ts).
 */
export function paymentHarness(provider: PaymentProvider & Partial<CallbackParser>, options: PaymentHarnessOptions = {}) {
  const clock = options.clock ?? testClock();
  const payer = options.payer ?? { msisdn: DEMO_MSISDN, operator: 'MTN' };
  const portal = createDemoPortal();
  const store = new MemoryPaymentStore();
  const jobs = new PollRoundsQueue(options.keptPollRounds ?? 0);
  const payments = createEmbeddedPayments(portal, { ...options.service, provider, store, jobs, now: clock.now });
  payments.start();
  const app = new Hono();
  registerPaymentCallbackRoutes(app, {
    providers: PaymentProviderDirectory.single(provider), store, apply: payments.apply, logger: silentLogger, now: clock.now,
    enqueueHintConfirmation: payments.enqueueHintConfirmation,
  });

  /** A payment waiting to be collected; one unfinished payment per request (the store's rule), so a second needs another request. */
  async function newPayment(fields: NewTestPayment = {}): Promise<string> {
    const id = crypto.randomUUID();
    const now = clock.now();
    await store.create({
      id, requestNumber: fields.requestNumber ?? 'PS00373-240002', amountXof: fields.amountXof ?? 1900,
      payerMsisdn: fields.payerMsisdn ?? payer.msisdn, operator: fields.operator ?? payer.operator, provider: provider.name,
      createdAt: new Date(now).toISOString(), expiresAt: new Date(now + 600_000).toISOString(),
    });
    return id;
  }
  /** A payment the provider was asked to collect: pending, with what the provider asked to keep. */
  async function collected(fields: NewTestPayment = {}): Promise<Payment> {
    const id = await newPayment(fields);
    await payments.collect(id);
    const payment = await store.get(id);
    expect(payment?.state).toBe('pending');
    return payment!;
  }
  /** Portal credits of a payment once every queued job has run. */
  async function credits(id: string): Promise<number> {
    await jobs.drain();
    return portal.payments.filter((p) => p.paymentId === id).length;
  }
  const state = async (id: string) => (await store.get(id))?.state;

  return {
    provider, portal, store, jobs, payments, app,
    /** Where a fake delivers its callbacks (`deliver`, testkit/fakes/primitives.ts). */
    target: callbackTargetOf(app),
    newPayment, collected, credits, state,
    now: clock.now,
    advance: clock.advance,
    close: () => jobs.close(),
  };
}

export type PaymentHarness = ReturnType<typeof paymentHarness>;

/**
 * A collection as the payment service asks a provider for one: the demo fee, a fresh payment id;
 * what the provider asks to keep (its own id for the collection) is pushed to `kept`.
 */
export function collectionRequest(kept: string[] = [], fields: Partial<CollectionRequest> = {}): CollectionRequest {
  return {
    paymentId: crypto.randomUUID(), amountXof: 1900, payerMsisdn: DEMO_MSISDN, operator: 'MTN', description: 'Frais PS00373-240002',
    rememberReference: async (reference) => {
      kept.push(reference);
      return reference;
    },
    ...fields,
  };
}

/** What a promise rejects with; a promise that resolves fails the test here. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
