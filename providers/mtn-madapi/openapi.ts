import { z } from 'zod';
import type { UssdWireDoc } from '../../src/channels/ussd/wire-doc.js';

/** MTN MADAPI USSD for the OpenAPI document. Samples: `fixtures.ts`'s `INBOUND_REQUESTS` (the test checks they are equal). */
const REFERENCE = 'MTN MADAPI "MTN Messaging USSD API" 1.0.0 (api-evangelist/mtn-group openapi/_original/mtn-group-ussd.yml), InboundRequest and InboundResponse';

const InboundRequest = z.looseObject({
  sessionId: z.string().min(1),
  messageType: z
    .union([z.enum(['0', '1', '2', '3', '4', '5']), z.number().int().min(0).max(5)])
    .describe('0 Begin, 1 Continue, 2 End, 3 Notification (acknowledged), 4 Cancel, 5 Timeout; a string in the swagger, an integer from some gateways.'),
  msisdn: z.string().min(1).describe('The caller (needed on Begin and Continue).'),
  serviceCode: z.string().optional().describe('The short code’s digits; on Begin, needed when ussdString is not the dialled string.'),
  ussdString: z.string().optional().describe('Begin: what was dialled; Continue: the latest input; Cancel: the reason.'),
  cellId: z.string().optional(),
  language: z.string().optional(),
  imsi: z.string().optional(),
});

const InboundResponse = z.object({
  statusCode: z.string().describe('0000: success (not the HTTP status).'),
  statusMessage: z.string(),
  transactionId: z.string(),
  data: z.object({
    inboundResponse: z.string(),
    userInputRequired: z.boolean(),
    messageType: z.union([z.literal(1), z.literal(2)]).describe('1 Continue, 2 End.'),
    serviceCode: z.string(),
    msisdn: z.string(),
  }),
  _link: z.object({ self: z.object({ href: z.string() }) }),
});

const SOURCE = 'fixtures.ts, INBOUND_REQUESTS (InboundRequest’s fields; values for a Benin caller)';

export const mtnMadapiUssdWire: UssdWireDoc = {
  reference: REFERENCE,
  hop: {
    notes: 'The USSD gateway posts an InboundRequest per hop, to the callback URL subscribed with guichet madapi subscribe; End, Cancel, Timeout and Notification arrive at the same URL and are acknowledged with {}.',
    request: {
      contentType: 'application/json',
      schema: InboundRequest,
      examples: {
        begin: { summary: 'Begin', source: SOURCE, value: { sessionId: '01235', messageType: '0', msisdn: '2290197000001', serviceCode: '123', ussdString: '*123#', cellId: '61602-0042', language: 'fr', imsi: '616020000000001' } },
        continue: { summary: 'Continue with the input 1', source: SOURCE, value: { sessionId: '01235', messageType: '1', msisdn: '2290197000001', serviceCode: '123', ussdString: '1' } },
        timeout: { summary: 'Timeout', source: SOURCE, value: { sessionId: '01235', messageType: '5', msisdn: '2290197000001', serviceCode: '123', ussdString: '' } },
      },
    },
    answer: {
      contentType: 'application/json',
      schema: z.union([InboundResponse, z.strictObject({}).describe('The acknowledgement of an End, Cancel, Timeout or Notification.')]),
      examples: {
        menu: {
          summary: 'A screen waiting for input',
          value: { statusCode: '0000', statusMessage: '', transactionId: '01235', data: { inboundResponse: 'Service Public\n1. Suivre une demande\n2. Payer des frais', userInputRequired: true, messageType: 1, serviceCode: '123', msisdn: '2290197000001' }, _link: { self: { href: '/v1/messages/ussd/inbound' } } },
        },
        acknowledged: { summary: 'A timeout, acknowledged', value: {} },
      },
    },
  },
};
