/**
 * MTN MoMo Collection wire samples, each with where it was read. The table-driven tests replay them
 * through the adapter; the local fake answers in their shape. "inferred": not in any source.
 *
 * - sparkplug/momoapi-node `tests/mock.ts` (the SDK's mocked MoMo answers)
 * - sparkplug/momoapi-node `src/errors.ts` (error bodies `{code, message}`, the failure reasons)
 * - momodeveloper.mtn.com/api-documentation/callback ("the payload will be similar to the response
 *   returned by the status check API")
 */

export const MOMO_TOKEN_ANSWER = {
  source: 'sparkplug/momoapi-node tests/mock.ts (POST /collection/token/)',
  body: { access_token: 'token', token_type: 'access_token', expires_in: 3600 },
} as const;

export type MomoExpectation =
  | { status: 'succeeded'; providerTransactionId: string; amountXof: number; currency: string }
  | { status: 'pending' }
  | { status: 'failed'; reason: string }
  | { status: 'error' };

export interface MomoStatusSample {
  name: string;
  source: string;
  httpStatus: number;
  body: unknown;
  expect: MomoExpectation;
}

/** `GET /collection/v1_0/requesttopay/{referenceId}` answers. */
export const MOMO_STATUS_SAMPLES: readonly MomoStatusSample[] = [
  {
    name: 'SUCCESSFUL, in UGX',
    source: 'sparkplug/momoapi-node tests/mock.ts (GET /collection/v1_0/requesttopay/{id})',
    httpStatus: 200,
    body: {
      financialTransactionId: 'tx id', externalId: 'string', amount: '2000', currency: 'UGX',
      payer: { partyIdType: 'MSISDN', partyId: '256772000000' }, payerMessage: 'test', payeeNote: 'test', status: 'SUCCESSFUL',
    },
    expect: { status: 'succeeded', providerTransactionId: 'tx id', amountXof: 2000, currency: 'UGX' },
  },
  {
    name: 'PENDING',
    source: 'inferred: the sample above with status PENDING and no financialTransactionId',
    httpStatus: 200,
    body: { externalId: 'string', amount: '2000', currency: 'UGX', payer: { partyIdType: 'MSISDN', partyId: '256772000000' }, status: 'PENDING' },
    expect: { status: 'pending' },
  },
  {
    name: 'FAILED with reason APPROVAL_REJECTED',
    source: 'inferred: the sample above with status FAILED and a reason from sparkplug/momoapi-node src/errors.ts',
    httpStatus: 200,
    body: { externalId: 'string', amount: '2000', currency: 'UGX', payer: { partyIdType: 'MSISDN', partyId: '256772000000' }, status: 'FAILED', reason: 'APPROVAL_REJECTED' },
    expect: { status: 'failed', reason: 'APPROVAL_REJECTED' },
  },
  {
    name: 'a status outside PENDING/SUCCESSFUL/FAILED is never final',
    source: 'inferred (protocols.md: other statuses exist in the wild)',
    httpStatus: 200,
    body: { externalId: 'string', amount: '2000', currency: 'UGX', status: 'ONGOING' },
    expect: { status: 'error' },
  },
  {
    name: 'SUCCESSFUL without amount or currency could be for any sum',
    source: 'inferred',
    httpStatus: 200,
    body: { financialTransactionId: 'tx id', externalId: 'string', status: 'SUCCESSFUL' },
    expect: { status: 'error' },
  },
  {
    name: '404 RESOURCE_NOT_FOUND is not a verdict',
    source: 'sparkplug/momoapi-node src/errors.ts (error body {code, message}, RESOURCE_NOT_FOUND); message inferred',
    httpStatus: 404,
    body: { code: 'RESOURCE_NOT_FOUND', message: 'Requested resource was not found.' },
    expect: { status: 'pending' },
  },
];

/** A callback as MoMo sends it: the status answer's shape (momodeveloper callback page). */
export function momoCallbackBody(referenceId: string, status: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { externalId: referenceId, amount: '1900', currency: 'XOF', payer: { partyIdType: 'MSISDN', partyId: '2290197000001' }, status, ...extra };
}
