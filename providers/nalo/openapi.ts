import { z } from 'zod';
import type { UssdWireDoc } from '../../src/channels/ussd/wire-doc.js';

/** Nalo Solutions USSD for the OpenAPI document. No published samples: the field set is `ussd.ts`'s, the values ours. */
const REFERENCE = 'Nalo Solutions’ USSD integration notes (field set as in nunyakata’s Nalo client)';

const HopRequest = z.looseObject({
  MSGTYPE: z.union([z.boolean(), z.enum(['true', 'false'])]).describe('true opens a session, false continues it.'),
  MSISDN: z.string().min(1).describe('The caller; keys the session when SESSIONID is absent.'),
  USERDATA: z.string().describe('MSGTYPE true: the dialled string (*123#); false: the latest input.'),
  USERID: z.string().optional().describe('Echoed in the answer.'),
  NETWORK: z.string().optional(),
  SESSIONID: z.string().optional(),
});

const Answer = z.object({
  USERID: z.string(),
  MSISDN: z.string(),
  MSG: z.string(),
  MSGTYPE: z.boolean().describe('true waits for input; false closes.'),
});

const SOURCE = 'the field set of ussd.ts; values ours';

export const naloUssdWire: UssdWireDoc = {
  reference: REFERENCE,
  hop: {
    notes: 'A JSON POST per hop with the latest input. No end notification: the session expires.',
    request: {
      contentType: 'application/json',
      schema: HopRequest,
      examples: {
        open: { summary: 'The citizen dials *123#', source: SOURCE, value: { USERID: 'guichet', MSISDN: '2290197000001', USERDATA: '*123#', MSGTYPE: true, NETWORK: 'MTN', SESSIONID: 'nalo-5f2c9a' } },
        next: { summary: 'The citizen answers 1', source: SOURCE, value: { USERID: 'guichet', MSISDN: '2290197000001', USERDATA: '1', MSGTYPE: false, NETWORK: 'MTN', SESSIONID: 'nalo-5f2c9a' } },
      },
    },
    answer: {
      contentType: 'application/json',
      schema: Answer,
      examples: { menu: { summary: 'A screen waiting for input', value: { USERID: 'guichet', MSISDN: '2290197000001', MSG: 'Service Public\n1. Suivre une demande\n2. Payer des frais', MSGTYPE: true } } },
    },
  },
};
