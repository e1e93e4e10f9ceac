/**
 * FedaPay wire samples, each with where it was read. The table-driven tests replay them through the
 * adapter; the local fake (`testkit/fakes/fedapay.ts`) answers in their shape. A sample marked
 * "inferred" is not in any source.
 *
 * - fedapay/fedapay-node `test/TransactionTest.ts` (nock answers of the official Node SDK's tests)
 * - fedapay/fedapay-node `src/Transaction.ts` (`PAID_STATUS`, `wasPaid`, `wasRefunded`, `wasPartiallyRefunded`)
 * - fedapay/fedapay-node `test/WebhookSignatureTest.ts`, fedapay/fedapay-php `tests/WebhookTest.php`
 *   (signature header `t=<unix>,s=<hmac hex>`, scheme `s`, HMAC-SHA256 over `t.payload`)
 * - docs.fedapay.com/integration-api/en/webhooks-en (event names: transaction.created, .approved,
 *   .declined, .canceled, .transferred)
 */

/** The transaction of the SDK's "should retrieve a transaction" answer (`GET /v1/transactions/1`). */
export const FEDAPAY_TRANSACTION = {
  id: 1,
  klass: 'v1/transaction',
  transaction_key: '0KJAU01',
  reference: '109329828',
  amount: 100,
  description: 'Description',
  callback_url: 'http://e-shop.com',
  status: 'pending',
  customer_id: 1,
  currency_id: 1,
  mode: 'mtn',
  created_at: '2018-03-12T09:09:03.969Z',
  updated_at: '2018-03-12T09:09:03.969Z',
  paid_at: '2018-03-12T09:09:03.969Z',
} as const;

export const FEDAPAY_SOURCES = {
  retrieve: 'fedapay/fedapay-node test/TransactionTest.ts ("should retrieve a transaction": GET /v1/transactions/1)',
  create: 'fedapay/fedapay-node test/TransactionTest.ts ("should create transaction": POST /v1/transactions)',
  token: 'fedapay/fedapay-node test/TransactionTest.ts ("should generate transaction token": POST /v1/transactions/1/token)',
  sendNow: 'fedapay/fedapay-node test/TransactionTest.ts ("should send transaction now with token": POST /v1/mtn)',
} as const;

/** `POST /v1/transactions/{id}/token`. */
export const FEDAPAY_TOKEN_ANSWER = { token: 'PAYEMENT_TOKEN', url: 'https://process.fedapay.com/PAYEMENT_TOKEN' } as const;

/** `POST /v1/{mode}` (send now): the SDK's test answers only a message. */
export const FEDAPAY_SEND_NOW_ANSWER = { message: 'success' } as const;

/** The signature test's secret and payload (`JSON.stringify(payload, null, 2)` as the Node test signs it). */
export const FEDAPAY_SIGNATURE_VECTOR = {
  source: 'fedapay/fedapay-node test/WebhookSignatureTest.ts (EVENT_PAYLOAD, SECRET); fedapay/fedapay-php tests/WebhookTest.php (generateHeader)',
  secret: 'whsec_test_secret',
  payload: JSON.stringify({ id: 'evt_test_webhook', object: 'event' }, null, 2),
} as const;

export type FedapayExpectation =
  | { status: 'pending' }
  | { status: 'succeeded'; refunded?: 'full' | 'partial' }
  | { status: 'failed' }
  | { status: 'error' };

export interface FedapayStatusSample {
  name: string;
  source: string;
  httpStatus: number;
  body: unknown;
  expect: FedapayExpectation;
}

/** The retrieve answer with another status: the SDK's own sample, only `status` changed. */
function withStatus(status: string): unknown {
  return { 'v1/transaction': { ...FEDAPAY_TRANSACTION, status } };
}

/** `GET /v1/transactions/{id}` answers and what the adapter must make of them. */
export const FEDAPAY_STATUS_SAMPLES: readonly FedapayStatusSample[] = [
  { name: 'pending', source: FEDAPAY_SOURCES.retrieve, httpStatus: 200, body: withStatus('pending'), expect: { status: 'pending' } },
  ...(['approved', 'transferred'] as const).map((status) => ({
    name: status,
    source: `${FEDAPAY_SOURCES.retrieve}, status from src/Transaction.ts PAID_STATUS`,
    httpStatus: 200,
    body: withStatus(status),
    expect: { status: 'succeeded' } as const,
  })),
  {
    name: 'refunded: paid, then refunded in full',
    source: `${FEDAPAY_SOURCES.retrieve}, status from src/Transaction.ts PAID_STATUS and wasRefunded()`,
    httpStatus: 200,
    body: withStatus('refunded'),
    expect: { status: 'succeeded', refunded: 'full' },
  },
  ...(['approved_partially_refunded', 'transferred_partially_refunded'] as const).map((status) => ({
    name: `${status}: paid, then refunded in part`,
    source: `${FEDAPAY_SOURCES.retrieve}, status from src/Transaction.ts PAID_STATUS and wasPartiallyRefunded()`,
    httpStatus: 200,
    body: withStatus(status),
    expect: { status: 'succeeded', refunded: 'partial' } as const,
  })),
  ...(['declined', 'canceled'] as const).map((status) => ({
    name: status,
    source: `${FEDAPAY_SOURCES.retrieve}, status from docs.fedapay.com webhooks (transaction.${status})`,
    httpStatus: 200,
    body: withStatus(status),
    expect: { status: 'failed' } as const,
  })),
  {
    name: 'a status no SDK lists is never final',
    source: `inferred: ${FEDAPAY_SOURCES.retrieve} with status "on_hold"`,
    httpStatus: 200,
    body: withStatus('on_hold'),
    expect: { status: 'error' },
  },
  {
    name: 'the object bare, without the "v1/transaction" wrapper',
    source: 'inferred: FedaPay\'s reference pages show objects bare',
    httpStatus: 200,
    body: { ...FEDAPAY_TRANSACTION, status: 'approved' },
    expect: { status: 'succeeded' },
  },
  { name: 'a 500 is an error, not a verdict', source: 'inferred', httpStatus: 500, body: { message: 'Server Error' }, expect: { status: 'error' } },
];

/**
 * A webhook event as the adapter reads it: `{name, entity}` with the transaction as `entity`.
 * Inferred: the event names are the docs' (webhooks page), the envelope is not shown there, and the
 * SDK's Event resource (fedapay-node test/EventTest.ts) names its kind `type` with an `entity`.
 */
export function fedapayEvent(name: string, transaction: Record<string, unknown>): Record<string, unknown> {
  return { name, object: 'transaction', entity: transaction };
}
