import type { z } from 'zod';
import type { PaymentCallbackDoc } from '../../src/payments/callback-doc.js';
import type { SecurityScheme } from '../../src/http/route-descriptor.js';
import { FEDAPAY_TOLERANCE_SECONDS } from './webhook.js';

/** `FEDAPAY_WEBHOOK_SECRET` signs every webhook (`webhook.ts`). */
export const fedapaySignature: SecurityScheme = {
  name: 'fedapaySignature',
  scheme: {
    type: 'apiKey',
    in: 'header',
    name: 'x-fedapay-signature',
    description: `t=<unix seconds>,s=<hex HMAC-SHA256(FEDAPAY_WEBHOOK_SECRET, "<t>.<raw body>")>, several s= while a secret is rotated; refused more than ${FEDAPAY_TOLERANCE_SECONDS} s away from our clock (a replay).`,
  },
};

/**
 * FedaPay's webhook for the OpenAPI document. The sample is `fixtures.ts`'s `fedapayEvent` around
 * its `FEDAPAY_TRANSACTION`, approved and naming one of our payments (the test checks they are equal).
 */
export function fedapayCallbackDoc(schema: z.ZodType): PaymentCallbackDoc {
  return {
    methods: ['POST'],
    reference: 'https://docs.fedapay.com/integration-api/en/webhooks-en (events transaction.created, .approved, .declined, .canceled, .transferred)',
    trust:
      'Signed: once the signature checks, a transaction.* event’s status is applied. A status FedaPay added after our table is not believed: the status API is asked, in a job. Any other event, or a transaction not created by Guichet, is acknowledged and ignored.',
    security: [[fedapaySignature]],
    request: {
      contentType: 'application/json',
      schema,
      examples: {
        approved: {
          summary: 'transaction.approved',
          source: 'fixtures.ts fedapayEvent(FEDAPAY_TRANSACTION from fedapay/fedapay-node test/TransactionTest.ts, approved, with our payment id)',
          value: {
            name: 'transaction.approved',
            object: 'transaction',
            entity: {
              id: 1,
              klass: 'v1/transaction',
              transaction_key: '0KJAU01',
              reference: '109329828',
              amount: 100,
              description: 'Description',
              callback_url: 'http://e-shop.com',
              status: 'approved',
              customer_id: 1,
              currency_id: 1,
              mode: 'mtn',
              created_at: '2018-03-12T09:09:03.969Z',
              updated_at: '2018-03-12T09:09:03.969Z',
              paid_at: '2018-03-12T09:09:03.969Z',
              custom_metadata: { payment_id: '3f0c9a52-8d1e-4b7a-a6c4-2e9b1d7f5a30' },
            },
          },
        },
      },
    },
    rejects: [400, 401, 403],
    verdicts: ['verified', 'hint', 'ignored'],
  };
}
