import { describe, expect, it } from 'vitest';
import { createEmbeddedPayments } from '../../src/payments/embedded-payments.js';
import type { ReasonCode } from '../../src/payments/payment.js';
import { AmbiguousCollectionError, type PaymentProvider, type ProviderStatus } from '../../src/payments/port.js';
import { MemoryPaymentStore } from '../../src/payments/store/memory.js';
import { createDemoPortal, DEMO_MSISDN } from '../../src/portal/demo.js';

/** A provider that answers the collection request with `onRequest` and every status question with `onStatus`. */
function scripted(resendSafe: boolean, onRequest: () => ProviderStatus, onStatus: () => ProviderStatus): PaymentProvider {
  return { name: 'scripted', resendSafe, requestCollection: async () => onRequest(), checkStatus: async () => onStatus() };
}

async function flow(provider: PaymentProvider) {
  let clock = Date.parse('2026-11-23T09:00:00Z');
  const store = new MemoryPaymentStore();
  // Not started: the steps are run by hand, one at a time.
  const payments = createEmbeddedPayments(createDemoPortal(), { provider, store, now: () => clock, unsentRetryDelaysMs: [], sms: { enqueue: async () => ({ messageId: 'x' }) } });
  const id = crypto.randomUUID();
  await store.create({
    id, requestNumber: 'PS00373-240002', amountXof: 1900, payerMsisdn: DEMO_MSISDN, operator: 'MTN', provider: provider.name,
    createdAt: new Date(clock).toISOString(), expiresAt: new Date(clock + 60_000).toISOString(),
  });
  const codes = async (): Promise<(ReasonCode | undefined)[]> => (await store.get(id))!.history.map((h) => h.code);
  return { payments, id, codes, pastExpiry: () => (clock += 61_000) };
}

const pending = (): ProviderStatus => ({ status: 'pending' });
const paid = (): ProviderStatus => ({ status: 'succeeded', providerTransactionId: 'TX-1', amountXof: 1900 });

describe('the reason code of every move the payment service makes (issue 13 item 5)', () => {
  it('pending, then succeeded on a status question', async () => {
    const t = await flow(scripted(true, pending, paid));
    await t.payments.collect(t.id);
    await t.payments.poll(t.id, 1);
    expect(await t.codes()).toEqual(['provider_pending', 'provider_succeeded']);
  });

  it('succeeded in the answer to the request itself', async () => {
    const t = await flow(scripted(true, paid, paid));
    await t.payments.collect(t.id);
    expect(await t.codes()).toEqual(['provider_answered', 'provider_succeeded']);
  });

  it('declined by the provider', async () => {
    const t = await flow(scripted(true, () => ({ status: 'failed', reason: 'PAYER_NOT_FOUND' }), pending));
    await t.payments.collect(t.id);
    expect(await t.codes()).toEqual(['provider_failed']);
  });

  it('another amount, another currency', async () => {
    const amount = await flow(scripted(true, () => ({ status: 'succeeded', providerTransactionId: 'TX-1', amountXof: 100 }), pending));
    await amount.payments.collect(amount.id);
    expect(await amount.codes()).toEqual(['amount_mismatch']);
    const currency = await flow(scripted(true, () => ({ status: 'succeeded', providerTransactionId: 'TX-1', currency: 'EUR' }), pending));
    await currency.payments.collect(currency.id);
    expect(await currency.codes()).toEqual(['currency_mismatch']);
  });

  it('sent once, nothing reached the provider', async () => {
    const t = await flow(scripted(false, () => { throw new Error('connect ECONNREFUSED'); }, pending));
    await t.payments.collect(t.id);
    expect(await t.codes()).toEqual(['push_sent_once', 'not_sent']);
  });

  it('sent once, the answer lost, expired by the overdue sweep', async () => {
    const t = await flow(scripted(false, () => { throw new AmbiguousCollectionError('timed out'); }, pending));
    await t.payments.collect(t.id);
    expect(await t.codes()).toEqual(['push_sent_once']);
    t.pastExpiry();
    expect(await t.payments.reconcileOverdue()).toBe(1);
    expect(await t.codes()).toEqual(['push_sent_once', 'expired_overdue']);
  });

  it('still unanswered when the poller passes the expiry', async () => {
    const t = await flow(scripted(true, pending, pending));
    await t.payments.collect(t.id);
    t.pastExpiry();
    await t.payments.poll(t.id, 2);
    expect(await t.codes()).toEqual(['provider_pending', 'expired_unanswered']);
  });

  it('a success after expiry', async () => {
    let status = pending;
    const t = await flow(scripted(true, pending, () => status()));
    await t.payments.collect(t.id);
    t.pastExpiry();
    await t.payments.poll(t.id, 2);
    status = paid; // the citizen approved late
    expect(await t.payments.reconcileOverdue()).toBe(0);
    await t.payments.apply((await t.payments.store.get(t.id))!, status(), 'callback verified');
    expect(await t.codes()).toEqual(['provider_pending', 'expired_unanswered', 'late_success']);
  });
});
