import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { MemoryPaymentStore } from '../../src/payments/store/memory.js';
import { registerPaymentReport } from '../../src/payments/report-route.js';
import type { PaymentState, ReasonCode } from '../../src/payments/payment.js';

const CODE_FOR: Record<Exclude<PaymentState, 'created'>, ReasonCode> = { pending: 'provider_pending', succeeded: 'provider_succeeded', failed: 'provider_failed', expired: 'expired_unanswered' };

async function reportApp() {
  const store = new MemoryPaymentStore();
  const base = { requestNumber: '', amountXof: 1900, payerMsisdn: '+2290197000001', operator: 'MTN', provider: 'mtn-momo', createdAt: '2026-11-23T10:00:00.000Z', expiresAt: '2026-11-23T10:10:00.000Z' };
  const at = '2026-11-23T10:01:00.000Z';
  const make = async (id: string, over: object, moves: ('pending' | 'succeeded' | 'failed' | 'expired')[], reason = 'test', code?: ReasonCode) => {
    await store.create({ ...base, id, requestNumber: `PS00373-${id}`, ...over });
    for (const to of moves) await store.transition(id, { to, at, reason, code: code ?? CODE_FOR[to], ...(to === 'succeeded' ? { providerTransactionId: `tx-${id}` } : {}) });
  };
  await make('a', {}, ['pending', 'succeeded']);
  await make('b', {}, ['pending', 'succeeded']);
  await make('c', { amountXof: 500 }, ['pending', 'failed']);
  await make('d', { provider: 'sandbox', amountXof: 30000 }, ['pending']);
  await make('e', {}, ['pending', 'expired', 'succeeded']); // late success: flagged
  await make('f', { createdAt: '2026-11-22T10:00:00.000Z' }, ['pending', 'succeeded']); // another day
  await make('g', { provider: 'moov-money' }, ['pending', 'expired'], 'request: sending, never resent', 'push_sent_once'); // no id ever named
  await make('i', { provider: 'moov-money' }, ['pending', 'expired'], 'request: sending, never resent', 'push_sent_once'); // named, then expired: Moov's own record says
  await store.rememberReference('i', '72024103000000009');
  await make('h', { provider: 'fedapay' }, ['pending', 'failed'], 'callback verified: amount mismatch, provider reported 100 XOF (reconcile)', 'amount_mismatch');
  await store.rememberReference('h', '1042');
  const app = new Hono();
  registerPaymentReport(app, { store, apiKeys: { finance: 'fin-key-0001' } });
  return app;
}

describe('daily payments report', () => {
  it('sums payments by provider and state, and lists those to check by hand, and why', async () => {
    const app = await reportApp();
    const res = await app.request('/v1/payments/report?date=2026-11-23', { headers: { 'x-api-key': 'fin-key-0001' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(await res.text()).toBe(
      [
        'date,provider,state,count,total_xof',
        '2026-11-23,fedapay,failed,1,1900',
        '2026-11-23,moov-money,expired,2,3800',
        '2026-11-23,mtn-momo,succeeded,2,3800',
        '2026-11-23,mtn-momo,failed,1,500',
        '2026-11-23,mtn-momo,expired,1,1900',
        '2026-11-23,sandbox,pending,1,30000',
        '',
        'needs_reconciliation: payment_id,request_number,provider,provider_transaction_id,provider_reference,amount_xof,state,why',
        'e,PS00373-e,mtn-momo,tx-e,,1900,expired,success_after_expiry',
        'g,PS00373-g,moov-money,,,1900,expired,push_unconfirmed',
        'h,PS00373-h,fedapay,,1042,1900,failed,amount_mismatch',
        '',
      ].join('\n'),
    );
  });

  it('lists a payment for its reason code, never for the words of its history (issue 13 item 5)', async () => {
    const store = new MemoryPaymentStore();
    const base = { amountXof: 1900, payerMsisdn: '+2290197000001', operator: 'MTN', provider: 'mtn-momo', createdAt: '2026-11-23T10:00:00.000Z', expiresAt: '2026-11-23T10:10:00.000Z' };
    const at = '2026-11-23T10:01:00.000Z';
    const moves: [string, [PaymentState, ReasonCode, string][]][] = [
      // Another currency: the same line for finance as another amount.
      ['euro', [['pending', 'provider_pending', 'request: pending'], ['failed', 'currency_mismatch', 'status: amount mismatch, provider reported 1900 EUR (reconcile)']]],
      // Prose that reads like a problem, codes that say none: not listed.
      ['wordy', [['pending', 'provider_pending', 'request: sending, never resent'], ['failed', 'provider_failed', 'status: amount mismatch, says the provider']]],
      ['quiet', [['pending', 'push_sent_once', 'pushed'], ['expired', 'expired_overdue', 'lapsed']]],
    ];
    for (const [id, path] of moves) {
      await store.create({ ...base, id, requestNumber: `PS00373-${id}` });
      for (const [to, code, reason] of path) await store.transition(id, { to, at, reason, code });
    }
    const app = new Hono();
    registerPaymentReport(app, { store, apiKeys: { finance: 'fin-key-0001' } });
    const res = await app.request('/v1/payments/report?date=2026-11-23', { headers: { 'x-api-key': 'fin-key-0001' } });
    const text = await res.text();
    expect(text.slice(text.indexOf('needs_reconciliation')).split('\n')).toEqual([
      'needs_reconciliation: payment_id,request_number,provider,provider_transaction_id,provider_reference,amount_xof,state,why',
      'euro,PS00373-euro,mtn-momo,,,1900,failed,amount_mismatch',
      'quiet,PS00373-quiet,mtn-momo,,,1900,expired,push_unconfirmed',
      '',
    ]);
  });

  it.each([
    [{}, '/v1/payments/report?date=2026-11-23', 401],
    [{ 'x-api-key': 'fin-key-0002' }, '/v1/payments/report?date=2026-11-23', 401],
    [{ 'x-api-key': 'fin-key-0001' }, '/v1/payments/report?date=23/11/2026', 400],
    [{ 'x-api-key': 'fin-key-0001' }, '/v1/payments/report', 400],
  ])('refuses %j %s with %i', async (headers, path, status) => {
    const app = await reportApp();
    expect((await app.request(path, { headers })).status).toBe(status);
  });
});
