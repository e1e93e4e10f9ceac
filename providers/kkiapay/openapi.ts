import type { z } from 'zod';
import type { PaymentCallbackDoc } from '../../src/payments/callback-doc.js';
import type { SecurityScheme } from '../../src/http/route-descriptor.js';

/** `KKIAPAY_WEBHOOK_SECRET`, which KKiaPay sends as it is (`webhook.ts`). */
export const kkiapaySecret: SecurityScheme = {
  name: 'kkiapaySecret',
  scheme: { type: 'apiKey', in: 'header', name: 'x-kkiapay-secret', description: 'The hash secret set in KKiaPay’s dashboard, KKIAPAY_WEBHOOK_SECRET, compared in constant time.' },
};

/** KKiaPay's webhook for the OpenAPI document. The sample is `fixtures.ts`'s `kkiapayWebhookBody` (the test checks they are equal). */
export function kkiapayCallbackDoc(schema: z.ZodType): PaymentCallbackDoc {
  return {
    methods: ['POST'],
    reference: 'https://docs.kkiapay.me/v1/en-1.0.0/tableau-de-bord/webhook (transactionId, isPaymentSucces, events transaction.success and transaction.failed; 5 retries)',
    trust: 'Its secret proves KKiaPay sent it, but whatever the event says, KKiaPay’s status API decides, in a job. It must name our payment (partnerId, else stateData) and KKiaPay’s transaction.',
    security: [[kkiapaySecret]],
    request: {
      contentType: 'application/json',
      schema,
      examples: {
        success: {
          summary: 'transaction.success',
          source: 'fixtures.ts kkiapayWebhookBody (docs: transactionId, isPaymentSucces, event; the other fields inferred from the status answer)',
          value: {
            transactionId: 'LVFNrK1nx',
            isPaymentSucces: true,
            account: '2290197000001',
            label: 'Guichet',
            method: 'MOBILE_MONEY',
            amount: 1900,
            fees: 0,
            partnerId: '3f0c9a52-8d1e-4b7a-a6c4-2e9b1d7f5a30',
            performedAt: '2026-11-23T09:00:42.123Z',
            stateData: '3f0c9a52-8d1e-4b7a-a6c4-2e9b1d7f5a30',
            event: 'transaction.success',
          },
        },
      },
    },
    rejects: [400, 401, 403],
    verdicts: ['hint'],
  };
}
