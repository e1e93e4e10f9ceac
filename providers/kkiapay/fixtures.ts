/**
 * KKiaPay wire samples, each with where it was read. KKiaPay publishes no reference for its HTTP
 * API, and its official admin SDK (kkiapay/nodejs-sdk) ships no recorded answers (its tests mock
 * axios with `{data: {}}`), so most shapes come from the community Python SDK and the docs; what is
 * not in any source is marked "inferred". The table-driven tests replay them through the adapter;
 * the local fake (`testkit/fakes/kkiapay.ts`) answers in their shape.
 *
 * - kkiapay/nodejs-sdk `lib/opts.js` (`/api/v1/transactions/status`, `/api/v1/transactions/revert`),
 *   `lib/transaction/index.js` (keys `x-api-key`, `x-secret-key`, `x-private-key`), `README.md`
 *   ("COMPLETE POSSIBLE STATUS LIST": SUCCESS, FAILED, INSUFFICIENT_FUND, TRANSACTION_NOT_ELIGIBLE, …)
 * - PythonBenin/kkiapay-python `readme.md` (a `verify_transaction` answer, community SDK)
 * - docs.kkiapay.me/v1/en-1.0.0/tableau-de-bord/webhook (the `x-kkiapay-secret` hash secret, 5 retries;
 *   body fields transactionId, isPaymentSucces, event transaction.success / transaction.failed)
 */

/** The community Python SDK's `verify_transaction('LVFNrK1nx')` answer (a failed one). */
export const KKIAPAY_STATUS_FAILED = {
  performed_at: '2019-07-11T11:24:42.687Z',
  type: 'DEBIT',
  status: 'FAILED',
  source: 'MOBILE_MONEY',
  amount: 1,
  fees: 0,
  country: 'BJ',
  reason: 'invalid_number',
  transactionId: 'LVFNrK1nx',
  performedAt: '07/11/2019',
} as const;

export const KKIAPAY_SOURCES = {
  status: 'PythonBenin/kkiapay-python readme.md (verify_transaction answer)',
  statusList: 'kkiapay/nodejs-sdk README.md (COMPLETE POSSIBLE STATUS LIST)',
  webhook: 'docs.kkiapay.me/v1/en-1.0.0/tableau-de-bord/webhook',
} as const;

export type KkiapayExpectation =
  | { status: 'pending' }
  | { status: 'succeeded'; amountXof: number }
  | { status: 'failed'; reason: string }
  | { status: 'error' };

export interface KkiapayStatusSample {
  name: string;
  source: string;
  httpStatus: number;
  body: unknown;
  expect: KkiapayExpectation;
}

/** `POST /api/v1/transactions/status` answers, asked about `LVFNrK1nx` for a payment with no partnerId echoed. */
export const KKIAPAY_STATUS_SAMPLES: readonly KkiapayStatusSample[] = [
  {
    name: 'FAILED, invalid_number',
    source: KKIAPAY_SOURCES.status,
    httpStatus: 200,
    body: KKIAPAY_STATUS_FAILED,
    expect: { status: 'failed', reason: 'FAILED: invalid_number' },
  },
  {
    name: 'SUCCESS',
    source: `${KKIAPAY_SOURCES.status}, status SUCCESS from ${KKIAPAY_SOURCES.statusList}`,
    httpStatus: 200,
    body: { ...KKIAPAY_STATUS_FAILED, status: 'SUCCESS', reason: null, amount: 1900 },
    expect: { status: 'succeeded', amountXof: 1900 },
  },
  {
    name: 'INSUFFICIENT_FUND',
    source: `${KKIAPAY_SOURCES.status}, status from ${KKIAPAY_SOURCES.statusList}`,
    httpStatus: 200,
    body: { ...KKIAPAY_STATUS_FAILED, status: 'INSUFFICIENT_FUND', reason: null },
    expect: { status: 'failed', reason: 'INSUFFICIENT_FUND' },
  },
  {
    name: 'PENDING (the payer has not answered yet)',
    source: `inferred: ${KKIAPAY_SOURCES.status} with status PENDING (not in the SDKs' list)`,
    httpStatus: 200,
    body: { ...KKIAPAY_STATUS_FAILED, status: 'PENDING', reason: null },
    expect: { status: 'pending' },
  },
  {
    name: 'TRANSACTION_NOT_ELIGIBLE (a revert\'s answer, not a collection\'s status) is never final',
    source: `${KKIAPAY_SOURCES.statusList}: "already reverted or not eligible"`,
    httpStatus: 200,
    body: { ...KKIAPAY_STATUS_FAILED, status: 'TRANSACTION_NOT_ELIGIBLE', reason: null },
    expect: { status: 'error' },
  },
  {
    name: 'SUCCESS without an amount could be for any sum',
    source: 'inferred',
    httpStatus: 200,
    body: { transactionId: 'LVFNrK1nx', status: 'SUCCESS' },
    expect: { status: 'error' },
  },
  {
    name: 'not found is not a verdict (the id may come from a bad webhook)',
    source: `inferred: the nodejs-sdk's "Transaction Not Found" error; status code and body shape inferred`,
    httpStatus: 404,
    body: { status: 4004, reason: 'Transaction not found' },
    expect: { status: 'pending' },
  },
];

/**
 * A webhook body. The docs name `transactionId`, `isPaymentSucces` (sic) and the two events; the
 * other fields (`partnerId`, `stateData`, `amount`, `fees`, `account`, `label`, `method`,
 * `performedAt`) and the failure fields are inferred from the status answer's names.
 */
export function kkiapayWebhookBody(fields: {
  transactionId: string;
  partnerId: string;
  success: boolean;
  amount: number;
  account?: string;
}): Record<string, unknown> {
  return {
    transactionId: fields.transactionId,
    isPaymentSucces: fields.success,
    account: fields.account ?? '2290197000001',
    label: 'Guichet',
    method: 'MOBILE_MONEY',
    amount: fields.amount,
    fees: 0,
    partnerId: fields.partnerId,
    performedAt: '2026-11-23T09:00:42.123Z',
    stateData: fields.partnerId,
    event: fields.success ? 'transaction.success' : 'transaction.failed',
  };
}
