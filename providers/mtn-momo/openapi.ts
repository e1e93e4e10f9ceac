import type { z } from 'zod';
import type { PaymentCallbackDoc } from '../../src/payments/callback-doc.js';

/**
 * MTN MoMo's callback for the OpenAPI document. The sample is `fixtures.ts`'s
 * `momoCallbackBody` (the status answer's shape, as momodeveloper's callback page says); the test
 * checks they are equal.
 */
export function momoCallbackDoc(schema: z.ZodType): PaymentCallbackDoc {
  return {
    methods: ['PUT'],
    reference: 'https://momodeveloper.mtn.com/api-documentation/callback (the request-to-pay status answer, PUT to X-Callback-Url)',
    trust:
      'Unsigned: it only names the payment (externalId, our payment id), and MoMo’s status API is asked in a job, never while MoMo waits (it gives up after 2 s and blocks a URL that keeps failing). POST is accepted as well.',
    // Nothing to check: a forged callback only makes us ask MoMo.
    security: [],
    request: {
      contentType: 'application/json',
      schema,
      examples: {
        successful: {
          summary: 'A payment approved by the payer',
          source: 'fixtures.ts momoCallbackBody (momodeveloper callback page: the status answer’s fields; values ours)',
          value: { externalId: '3f0c9a52-8d1e-4b7a-a6c4-2e9b1d7f5a30', amount: '1900', currency: 'XOF', payer: { partyIdType: 'MSISDN', partyId: '2290197000001' }, status: 'SUCCESSFUL', financialTransactionId: '1839405211' },
        },
      },
    },
    rejects: [400],
    verdicts: ['hint'],
  };
}
