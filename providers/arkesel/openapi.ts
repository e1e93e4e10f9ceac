import { z } from 'zod';
import type { UssdWireDoc } from '../../src/channels/ussd/wire-doc.js';

/** Arkesel USSD for the OpenAPI document. The field set is `ussd.ts`'s (Arkesel's USSD page), the values ours. */
const REFERENCE = 'https://developers.arkesel.com (USSD)';

const HopRequest = z.looseObject({
  sessionID: z.string().min(1),
  newSession: z.boolean().describe('true opens a session.'),
  msisdn: z.string().min(1),
  userData: z.string().describe('newSession true: the dialled string (*123#); false: the latest input.'),
  userID: z.string().optional().describe('Echoed in the answer.'),
  network: z.string().optional(),
});

const Answer = z.object({
  sessionID: z.string(),
  userID: z.string(),
  msisdn: z.string(),
  message: z.string(),
  continueSession: z.boolean().describe('true waits for input; false closes.'),
});

const SOURCE = 'the field set of ussd.ts; values ours';

export const arkeselUssdWire: UssdWireDoc = {
  reference: REFERENCE,
  hop: {
    notes: 'A JSON POST per hop with the latest input. No end notification: the session expires.',
    request: {
      contentType: 'application/json',
      schema: HopRequest,
      examples: {
        open: { summary: 'The citizen dials *123#', source: SOURCE, value: { sessionID: 'ark-7d41e0', userID: 'guichet', newSession: true, msisdn: '2290197000001', userData: '*123#', network: 'MTN' } },
        next: { summary: 'The citizen answers 1', source: SOURCE, value: { sessionID: 'ark-7d41e0', userID: 'guichet', newSession: false, msisdn: '2290197000001', userData: '1', network: 'MTN' } },
      },
    },
    answer: {
      contentType: 'application/json',
      schema: Answer,
      examples: { menu: { summary: 'A screen waiting for input', value: { sessionID: 'ark-7d41e0', userID: 'guichet', msisdn: '2290197000001', message: 'Service Public\n1. Suivre une demande\n2. Payer des frais', continueSession: true } } },
    },
  },
};
