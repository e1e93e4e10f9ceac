import { z } from 'zod';
import type { UssdWireDoc } from '../../src/channels/ussd/wire-doc.js';

/**
 * Hubtel Programmable Services for the OpenAPI document. Samples: `fixtures.ts`'s, with a Benin
 * caller in place of the published Ghanaian numbers (`withBeninMobile`; the test checks they are
 * equal).
 */
const REFERENCE = 'https://developers.hubtel.com/docs/api-reference-prog-services';

const HopRequest = z.looseObject({
  Type: z
    .string()
    .regex(/^(initiation|response|release|timeout)$/i)
    .describe('initiation opens the session, response carries the latest input, release (the citizen) and timeout (our answer was too late) close it. Any case.'),
  SessionId: z.string().min(1),
  Mobile: z.string().min(1).describe('The caller (needed on initiation and response).'),
  ServiceCode: z.string().optional().describe('The code or Hubtel service id; on initiation, needed when Message is not the dialled string.'),
  Message: z.string().optional().describe('initiation: the dialled string (*711*23#); response: the latest input.'),
  Operator: z.string().optional(),
  Sequence: z.union([z.string(), z.number().int()]).optional().describe('The hop’s number in the session: the same again is a retransmission.'),
  ClientState: z.string().optional(),
  Platform: z.string().optional(),
});

const Answer = z.object({
  Type: z.enum(['Response', 'Release']).describe('Response waits for input; Release closes.'),
  Message: z.string(),
  ClientState: z.string(),
  Label: z.string(),
  DataType: z.enum(['input', 'display']),
  FieldType: z.literal('text'),
});

const SOURCE = 'fixtures.ts (Hubtel’s published samples) with a Benin caller';

export const hubtelUssdWire: UssdWireDoc = {
  reference: REFERENCE,
  hop: {
    notes: 'A JSON POST per hop, carrying the latest input only; release and timeout arrive at the same URL and are acknowledged with {}.',
    request: {
      contentType: 'application/json',
      schema: HopRequest,
      examples: {
        initiation: {
          summary: 'The citizen dials (SDK README sample)',
          source: SOURCE,
          value: { Mobile: '2290197000001', SessionId: '234567ityjhgwe654765utrye', ServiceCode: '7c920dc49b7a40588c657119ce599044', Type: 'initiation', Message: '*711*23#', Operator: 'mtn', Platform: 'USSD' },
        },
        response: {
          summary: 'The citizen answers 1',
          source: SOURCE,
          value: { Type: 'response', Mobile: '2290197000001', SessionId: '234567ityjhgwe654765utrye', ServiceCode: '711*23', Message: '1', Operator: 'mtn', Sequence: 2, ClientState: '', Platform: 'USSD' },
        },
        release: {
          summary: 'The citizen leaves',
          source: SOURCE,
          value: { Type: 'release', Mobile: '2290197000001', SessionId: '234567ityjhgwe654765utrye', ServiceCode: '711*23', Message: '', Operator: 'mtn', Sequence: 3, ClientState: '', Platform: 'USSD' },
        },
      },
    },
    answer: {
      contentType: 'application/json',
      schema: z.union([Answer, z.strictObject({}).describe('The acknowledgement of a release or timeout.')]),
      examples: {
        menu: { summary: 'A screen waiting for input', value: { Type: 'Response', Message: 'Service Public\n1. Suivre une demande\n2. Payer des frais', ClientState: '', Label: 'Service Public', DataType: 'input', FieldType: 'text' } },
        closing: { summary: 'The last screen', value: { Type: 'Release', Message: 'Merci. A bientot.', ClientState: '', Label: 'Merci. A bientot.', DataType: 'display', FieldType: 'text' } },
        acknowledged: { summary: 'A release, acknowledged', value: {} },
      },
    },
  },
};
