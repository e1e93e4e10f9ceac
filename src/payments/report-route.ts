import type { Hono } from 'hono';
import { z } from 'zod';
import { REQUEST_ID_HEADER, audited, noteAudit } from '../audit/audited.js';
import type { AuditLog } from '../audit/port.js';
import { errorResponse } from '../http/errors.js';
import { describeRoutes, type RouteDescriptor, type SecurityScheme } from '../http/route-descriptor.js';
import { secretsMatch } from '../lib/secrets.js';
import { silentLogger, type Logger } from '../observability/logger.js';
import type { PaymentStore } from './store/port.js';
import { PAYMENT_STATES, type Payment, type ReconciliationFlag } from './payment.js';
import { csvRow } from './csv.js';

export interface PaymentReportDeps {
  store: PaymentStore;
  /** Who may read the report: `x-api-key` values by team. */
  apiKeys: Readonly<Record<string, string>>;
  /** Every call, refused ones included, is written here with the team; absent: not audited. */
  audit?: AuditLog;
  logger?: Logger;
}

/** What the report's `why` column may say. */
export type ReconciliationWhy = 'success_after_expiry' | ReconciliationFlag | 'amount_mismatch' | 'push_unconfirmed';

/** The report's query: one day, `YYYY-MM-DD`, a real date. The route validates with it. */
export const ReportQuery = z.object({
  date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .refine((date) => !Number.isNaN(Date.parse(date)), 'not a date')
    .describe('The day the payments were created (UTC), YYYY-MM-DD.'),
});

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
  describeRoutes(app, ...paymentReportRoutes);
  app.get('/v1/payments/report', audited({ audit: deps.audit, logger: deps.logger ?? silentLogger }), async (c) => {
    const key = c.req.header('x-api-key') ?? '';
    let team: string | undefined;
    // Every key is compared (no early exit), each in constant time.
    for (const [name, expected] of Object.entries(deps.apiKeys)) if ((await secretsMatch(key, expected)) && team === undefined) team = name;
    if (team === undefined) return errorResponse(c, 'unauthorized', 'missing or wrong API key');
    noteAudit(c, { agency: team });
    const query = ReportQuery.safeParse({ date: c.req.query('date') ?? '' });
    if (!query.success) return errorResponse(c, 'bad_request', 'date must be YYYY-MM-DD');
    const { date } = query.data;
    noteAudit(c, { target: date });

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

/** `REPORT_API_KEYS`: one key per team, in `x-api-key`. */
export const reportApiKey: SecurityScheme = {
  name: 'reportApiKey',
  scheme: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'The team’s key from REPORT_API_KEYS (team:key pairs); not an agency’s notification key.' },
};

const REPORT_EXAMPLE = [
  'date,provider,state,count,total_xof',
  '2026-12-01,mtn-momo,pending,1,1900',
  '2026-12-01,mtn-momo,succeeded,41,77900',
  '2026-12-01,mtn-momo,failed,3,5700',
  '2026-12-01,mtn-momo,expired,2,3800',
  '',
  'needs_reconciliation: payment_id,request_number,provider,provider_transaction_id,provider_reference,amount_xof,state,why',
  '3f0c9a52-8d1e-4b7a-a6c4-2e9b1d7f5a30,PS00373-240001,mtn-momo,,,1900,expired,push_unconfirmed',
  '',
].join('\n');

/** The report as the OpenAPI document shows it. */
export const paymentReportRoutes: readonly RouteDescriptor[] = [
  {
    method: 'GET',
    path: '/v1/payments/report',
    operationId: 'paymentReport',
    tag: 'payments',
    summary: 'The day’s payments for reconciliation, as CSV',
    description:
      'One row per provider and state with the count and the total in XOF (integers), then the payments finance must compare with the provider’s statement by hand, and why: success_after_expiry, amount_mismatch, push_unconfirmed.',
    security: [[reportApiKey]],
    request: { query: ReportQuery, queryExamples: { day: { summary: 'One day', value: { date: '2026-12-01' } } } },
    responses: {
      200: {
        description: 'The report, as an attachment guichet-payments-<date>.csv.',
        body: { contentType: 'text/csv', schema: z.string().startsWith('date,provider,state,count,total_xof\n'), examples: { day: { summary: 'A day with one payment to check', value: REPORT_EXAMPLE } } },
        headers: { ...REQUEST_ID_HEADER, 'content-disposition': { description: 'attachment; filename="guichet-payments-<date>.csv"', schema: z.string() } },
      },
    },
    errors: ['bad_request', 'unauthorized', 'unavailable'],
    audited: true,
  },
];
