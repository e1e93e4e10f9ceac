import type { Hono } from 'hono';
import { errorResponse } from '../http/errors.js';
import { secretsMatch } from '../lib/secrets.js';
import type { PaymentStore } from './store/port.js';
import { PAYMENT_STATES, type Payment, type ReconciliationFlag } from './payment.js';
import { csvRow } from './csv.js';

export interface PaymentReportDeps {
  store: PaymentStore;
  /** Who may read the report: `x-api-key` values by team. */
  apiKeys: Readonly<Record<string, string>>;
}

/** What the report's `why` column may say. */
export type ReconciliationWhy = 'success_after_expiry' | ReconciliationFlag | 'amount_mismatch' | 'push_unconfirmed';

/**
 * Why finance must compare a payment with the provider's statement, or null. Each of these is a
 * case where money may have moved without Guichet crediting it. Read from the payment's flags and
 * its history's reason codes, never from history prose.
 */
export function whyToCheck(payment: Payment): ReconciliationWhy | null {
  if (payment.needsReconciliation) return 'success_after_expiry';
  const flagged = payment.reconciliationFlags?.[0];
  if (flagged) return flagged;
  const codes = new Set(payment.history.map((h) => h.code));
  // Another sum or another currency: one line for finance either way, as the report always said.
  if (codes.has('amount_mismatch') || codes.has('currency_mismatch')) return 'amount_mismatch';
  // Sent once to a provider without idempotency, which never named its id for it (the answer was
  // lost, no callback came): the citizen may still have paid.
  if (payment.state === 'expired' && !payment.providerReference && codes.has('push_sent_once')) return 'push_unconfirmed';
  return null;
}

/**
 * `GET /v1/payments/report?date=YYYY-MM-DD`: the finance team's daily reconciliation, as CSV —
 * one row per provider and state with the count and the total in XOF, then the payments to check
 * by hand (a success after expiry, an amount mismatch, a push whose answer was lost) and why.
 */
export function registerPaymentReport(app: Hono, deps: PaymentReportDeps): void {
  app.get('/v1/payments/report', async (c) => {
    const key = c.req.header('x-api-key') ?? '';
    let allowed = false;
    for (const expected of Object.values(deps.apiKeys)) if (await secretsMatch(key, expected)) allowed = true;
    if (!allowed) return errorResponse(c, 'unauthorized', 'missing or wrong API key');
    const date = c.req.query('date') ?? '';
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(date))) return errorResponse(c, 'bad_request', 'date must be YYYY-MM-DD');

    const payments = await deps.store.createdOn(date);
    const rows = new Map<string, { count: number; totalXof: number }>();
    for (const p of payments) {
      const key = `${p.provider},${p.state}`;
      const row = rows.get(key) ?? { count: 0, totalXof: 0 };
      row.count++;
      row.totalXof += p.amountXof;
      rows.set(key, row);
    }
    const lines = ['date,provider,state,count,total_xof'];
    const providers = [...new Set(payments.map((p) => p.provider))].sort();
    for (const provider of providers) {
      for (const state of PAYMENT_STATES) {
        const row = rows.get(`${provider},${state}`);
        if (row) lines.push(csvRow([date, provider, state, row.count, row.totalXof]));
      }
    }
    const toCheck = payments.map((p) => ({ p, why: whyToCheck(p) })).filter((row) => row.why !== null);
    if (toCheck.length > 0) {
      lines.push('', 'needs_reconciliation: payment_id,request_number,provider,provider_transaction_id,provider_reference,amount_xof,state,why');
      for (const { p, why } of toCheck) {
        lines.push(csvRow([p.id, p.requestNumber, p.provider, p.providerTransactionId ?? '', p.providerReference ?? '', p.amountXof, p.state, why ?? '']));
      }
    }
    return c.body(lines.join('\n') + '\n', 200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="guichet-payments-${date}.csv"`,
    });
  });
}
