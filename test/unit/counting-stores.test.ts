import { describe, expect, it } from 'vitest';
import type { NewPayment, TransitionRequest } from '../../src/payments/payment.js';
import { MemoryPaymentStore } from '../../src/payments/store/memory.js';
import { paymentStoreConformance } from '../../src/payments/store/conformance.js';
import { MemoryMessageStore } from '../../src/sms/store/memory.js';
import type { SmsMessage, StatusUpdate } from '../../src/sms/store/port.js';
import { CountingMessageStore, CountingPaymentStore } from '../../src/observability/counting-stores.js';
import { InProcessFunnels } from '../../src/observability/funnels.js';

/** Payments and SMS counted around their stores: once per change the store applied, never for a replay. */

// The decorator is still a payment store, to the letter.
paymentStoreConformance('memory, counted', () => new CountingPaymentStore(new MemoryPaymentStore(), new InProcessFunnels({ sessionTtlSeconds: 180 })));

const at = '2026-11-23T09:01:00.000Z';
const newPayment = (id: string, provider = 'mtn-momo'): NewPayment => ({
  id,
  requestNumber: `PS00373-${id.replace(/\D/g, '').padStart(6, '0')}`,
  amountXof: 1900,
  payerMsisdn: '+2290196123456',
  operator: 'MTN',
  provider,
  createdAt: '2026-11-23T09:00:00.000Z',
  expiresAt: '2026-11-23T09:10:00.000Z',
});
const move = (to: TransitionRequest['to']): TransitionRequest => ({ to, at, reason: `to ${to}`, code: to === 'failed' ? 'provider_failed' : to === 'expired' ? 'expired_unanswered' : to === 'succeeded' ? 'provider_succeeded' : 'provider_pending' });

describe('CountingPaymentStore', () => {
  const cases: { name: string; script: (store: CountingPaymentStore) => Promise<unknown>; counts: Record<string, number>; flagged?: number }[] = [
    { name: 'a new payment is counted created once; a second create of the same id is not', script: async (s) => [await s.create(newPayment('p1')), await s.create(newPayment('p1'))], counts: { created: 1 } },
    {
      name: 'each state entered once, however often the same move is replayed',
      script: async (s) => {
        await s.create(newPayment('p1'));
        await s.transition('p1', move('pending'));
        await s.transition('p1', move('pending'));
        await s.transition('p1', move('succeeded'));
        await Promise.all([s.transition('p1', move('succeeded')), s.transition('p1', move('succeeded'))]);
      },
      counts: { created: 1, pending: 1, succeeded: 1 },
    },
    {
      name: 'a refused move counts nothing',
      script: async (s) => {
        await s.create(newPayment('p1'));
        await s.transition('p1', move('failed'));
        await s.transition('p1', move('succeeded'));
      },
      counts: { created: 1, failed: 1 },
    },
    {
      name: 'a success after expiry is a flag, not a success',
      script: async (s) => {
        await s.create(newPayment('p1'));
        await s.transition('p1', move('expired'));
        await s.transition('p1', move('succeeded'));
      },
      counts: { created: 1, expired: 1 },
      flagged: 1,
    },
    {
      name: 'a new reconciliation flag counts once, under the payment’s provider',
      script: async (s) => {
        await s.create(newPayment('p1'));
        await s.transition('p1', move('pending'));
        await s.transition('p1', move('succeeded'));
        await s.flag('p1', 'refunded_after_success');
        await s.flag('p1', 'refunded_after_success');
        await s.flag('no-such-payment', 'paid_twice');
      },
      counts: { created: 1, pending: 1, succeeded: 1 },
      flagged: 1,
    },
    { name: 'a move for a payment the store does not have counts nothing', script: (s) => s.transition('nope', move('pending')), counts: {} },
  ];

  it.each(cases)('$name', async ({ script, counts, flagged }) => {
    const funnels = new InProcessFunnels({ sessionTtlSeconds: 180 });
    await script(new CountingPaymentStore(new MemoryPaymentStore(), funnels));
    const snapshot = funnels.snapshot();
    expect(Object.fromEntries(snapshot.payments.map((p) => [p.state, p.count]))).toEqual(counts);
    expect(snapshot.payments.every((p) => p.provider === 'mtn-momo')).toBe(true);
    expect(snapshot.paymentsFlagged).toEqual(flagged ? [{ provider: 'mtn-momo', count: flagged }] : []);
  });
});

const message = (id: string, overrides: Partial<SmsMessage> = {}): SmsMessage => ({
  id,
  to: '+2290196123456',
  text: 'Votre paiement est confirme.',
  encoding: 'GSM-7',
  segments: 1,
  route: 'kannel',
  purpose: 'receipt',
  idempotencyKey: `key-${id}`,
  requestedBy: 'guichet',
  status: 'queued',
  createdAt: at,
  updatedAt: at,
  history: [{ at, status: 'queued', detail: 'queued on kannel' }],
  ...overrides,
});
const claim: StatusUpdate = { expect: 'queued', status: 'sending', claim: 'c1', detail: 'submitting to kannel (attempt 1)' };
const accepted = (providerMessageId: string, index = 0, count = 1): StatusUpdate => ({
  acceptedPart: { providerMessageId, index, count },
  ...(index === 0 ? { providerMessageId } : {}),
  detail: `part ${index + 1}/${count} accepted`,
});
const report = (status: StatusUpdate['status'], reportedPart?: string): StatusUpdate => ({ ...(status ? { status } : {}), ...(reportedPart ? { reportedPart } : {}), detail: `kannel report: ${status}` });

describe('CountingMessageStore', () => {
  const cases: { name: string; created?: Partial<SmsMessage>; updates: StatusUpdate[]; counts: Record<string, number> }[] = [
    {
      name: 'the whole life of a message: queued, sent, delivered; the claim is not a status counted',
      updates: [claim, accepted('k1'), { status: 'sent', detail: 'accepted by kannel' }, report('delivered')],
      counts: { queued: 1, sent: 1, delivered: 1 },
    },
    { name: 'a repeated receipt counts once', updates: [claim, { status: 'sent', detail: 'accepted by kannel' }, report('delivered'), report('delivered'), report('delivered')], counts: { queued: 1, sent: 1, delivered: 1 } },
    { name: 'a late failure after delivery changes nothing and counts nothing', updates: [claim, report('delivered'), report('failed')], counts: { queued: 1, delivered: 1 } },
    {
      name: 'a long message is delivered once every part is, and counted then only',
      updates: [claim, accepted('k1', 0, 2), accepted('k2', 1, 2), { status: 'sent', detail: 'accepted by kannel' }, report('delivered', 'k1'), report('delivered', 'k2')],
      counts: { queued: 1, sent: 1, delivered: 1 },
    },
    { name: 'one failed part fails the message, once', updates: [claim, accepted('k1', 0, 2), accepted('k2', 1, 2), report('failed', 'k1'), report('failed', 'k2')], counts: { queued: 1, failed: 1 } },
    {
      name: 'a claim given back to queued is not a new message',
      updates: [claim, { expect: 'sending', status: 'queued', detail: 'not sent: throttled' }, { ...claim, claim: 'c2', detail: 'submitting to kannel (attempt 2)' }, { status: 'sent', detail: 'accepted by kannel' }],
      counts: { queued: 1, sent: 1 },
    },
    { name: 'a submit whose fate is unknown, then expired', updates: [claim, { expect: 'sending', status: 'unknown', detail: 'not sent again, fate unknown' }, { status: 'expired', detail: 'no final delivery receipt' }], counts: { queued: 1, unknown: 1, expired: 1 } },
    { name: 'an opted-out number: failed at creation', created: { status: 'failed', history: [{ at, status: 'failed', detail: 'opted out: not sent' }] }, updates: [], counts: { failed: 1 } },
    {
      name: 'a USSD push confirmed on the handset is not an SMS delivered',
      created: { channel: 'ussd-push', push: { route: 'smpp-mtn', phase: 'waiting' } },
      updates: [
        { push: { expect: 'waiting', phase: 'pushing', claim: 'c1' }, detail: 'pushing on smpp-mtn' },
        { push: { expect: 'pushing', phase: 'confirmed', outcome: 'confirmed' }, status: 'delivered', detail: 'USSD push confirmed on smpp-mtn' },
      ],
      counts: { queued: 1 },
    },
    { name: 'a report we cannot map is noted, not counted', updates: [claim, { status: 'sent', detail: 'accepted by kannel' }, report(undefined)], counts: { queued: 1, sent: 1 } },
  ];

  it.each(cases)('$name', async ({ created, updates, counts }) => {
    const funnels = new InProcessFunnels({ sessionTtlSeconds: 180 });
    const store = new CountingMessageStore(new MemoryMessageStore(), funnels);
    await store.create(message('m1', created));
    // The same idempotency key again: the existing message, nothing new counted.
    await store.create(message('m1-again', { ...created, idempotencyKey: 'key-m1' }));
    for (const update of updates) await store.transition('m1', update);
    expect(Object.fromEntries(funnels.snapshot().sms.map((m) => [m.status, m.count]))).toEqual(counts);
    expect(funnels.snapshot().sms.every((m) => m.route === 'kannel')).toBe(true);
  });
});
