import { z } from 'zod';
import { SMS_CALLBACK_ERRORS, SMS_CALLBACK_RECORDED, SMS_CALLBACK_SECURITY } from '../../src/channels/sms/callback-doc.js';
import type { UssdWireDoc } from '../../src/channels/ussd/wire-doc.js';
import type { RouteDescriptor } from '../../src/http/route-descriptor.js';

/**
 * Africa's Talking's wire formats for the OpenAPI document: USSD hops and session ends (form
 * POSTs, answered in text), and the SMS callbacks (form POSTs). Samples: the field sets of AT's
 * pages, values ours; the SMS ones are `sms.fixtures.ts`'s (the test checks they are equal).
 */
const FORM = 'application/x-www-form-urlencoded';
const USSD_REFERENCE = 'https://developers.africastalking.com/docs/ussd/handle_sessions';

const UssdHopForm = z.looseObject({
  sessionId: z.string().min(1).describe('AT’s id for the session, the same on every hop.'),
  serviceCode: z.string().min(1).describe('The code dialled, *123# (sent on every hop).'),
  phoneNumber: z.string().min(1).describe('The caller, +229…'),
  networkCode: z.string().optional().describe('The operator (MCC and MNC, 61602 …).'),
  text: z.string().optional().describe('Empty on the first hop, then every input so far joined by * (1*PS00373-240001).'),
});

const UssdAnswer = z
  .string()
  .regex(/^(CON|END) /)
  .describe('CON <screen> waits for the citizen’s answer; END <screen> closes the session.');

const UssdSessionEndForm = z.looseObject({
  sessionId: z.string().min(1),
  status: z.enum(['Success', 'Incomplete', 'Failed']).describe('Success: we closed it; Incomplete: it closed while a screen waited (the citizen hung up or let it time out); Failed: our answer was an error or too late.'),
  phoneNumber: z.string().optional(),
  serviceCode: z.string().optional(),
  networkCode: z.string().optional(),
  durationInMillis: z.string().optional(),
  hopsCount: z.string().optional(),
  input: z.string().optional(),
  lastAppResponse: z.string().optional(),
  errorMessage: z.string().optional(),
  cost: z.string().optional(),
  date: z.string().optional(),
});

const SAMPLE_SESSION = 'ATUid_0f3b7c1d9e2a4b5c8d6e7f8091a2b3c4';

export const africasTalkingUssdWire: UssdWireDoc = {
  reference: USSD_REFERENCE,
  hop: {
    notes: 'A form POST per hop; text carries every input so far, the gateway takes only what is new.',
    request: {
      contentType: FORM,
      schema: UssdHopForm,
      examples: {
        dial: { summary: 'The citizen dials *123#', source: `${USSD_REFERENCE} (fields); values ours`, value: { sessionId: SAMPLE_SESSION, serviceCode: '*123#', phoneNumber: '+2290197000001', networkCode: '61602', text: '' } },
        choice: { summary: 'Then chooses 1', source: `${USSD_REFERENCE} (fields); values ours`, value: { sessionId: SAMPLE_SESSION, serviceCode: '*123#', phoneNumber: '+2290197000001', networkCode: '61602', text: '1' } },
        number: { summary: 'Then types a request number: text holds every input so far', source: `${USSD_REFERENCE} (fields); values ours`, value: { sessionId: SAMPLE_SESSION, serviceCode: '*123#', phoneNumber: '+2290197000001', networkCode: '61602', text: '1*PS00373-240001' } },
      },
    },
    answer: {
      contentType: 'text/plain',
      schema: UssdAnswer,
      examples: {
        menu: { summary: 'A screen waiting for a choice', value: 'CON Service Public\n1. Suivre une demande\n2. Payer des frais\n3. English' },
        closing: { summary: 'The last screen', value: 'END Demande PS00373-240001: disponible. Retrait: Tribunal de Cotonou.' },
      },
    },
  },
  sessionEnd: {
    notes: 'AT’s end-of-session notification URL (set in its dashboard), a form POST once the session is over.',
    request: {
      contentType: FORM,
      schema: UssdSessionEndForm,
      examples: {
        completed: {
          summary: 'We closed it',
          source: `${USSD_REFERENCE} (end-of-session notification fields); values ours`,
          value: { sessionId: SAMPLE_SESSION, phoneNumber: '+2290197000001', serviceCode: '*123#', networkCode: '61602', status: 'Success', durationInMillis: '15630', hopsCount: '3', input: '1*PS00373-240001', lastAppResponse: 'END Demande PS00373-240001: disponible.', errorMessage: '', cost: 'XOF 0.0000', date: '2026-12-02 09:15:20' },
        },
        hungUp: { summary: 'The citizen hung up', source: `${USSD_REFERENCE}; values ours`, value: { sessionId: SAMPLE_SESSION, phoneNumber: '+2290197000001', serviceCode: '*123#', status: 'Incomplete' } },
      },
    },
    answer: { contentType: 'text/plain', schema: z.literal('OK'), examples: { ok: { summary: 'Recorded', value: 'OK' } } },
  },
};

const SMS_REFERENCE = 'https://developers.africastalking.com/docs/sms/notifications';

/** An incoming message: the route reads it with this schema. */
export const AtInboundSmsForm = z.looseObject({
  from: z.string().min(1).describe('The citizen’s number.'),
  text: z.string().describe('What they wrote (may be empty).'),
  id: z.string().min(1).describe('AT’s id for the message: a redelivery carries the same one.'),
  to: z.string().optional().describe('Our short code or number.'),
  date: z.string().optional(),
  linkId: z.string().optional(),
  networkCode: z.string().optional(),
});

/** A delivery report: the route reads it with this schema. */
export const AtDeliveryReportForm = z.looseObject({
  id: z.string().min(1).describe('AT’s id for the message, as its send answer named it.'),
  status: z.string().min(1).describe('Submitted, Buffered, Success, Failed, Rejected, Expired; another word is recorded and changes nothing.'),
  failureReason: z.string().optional(),
  phoneNumber: z.string().optional(),
  networkCode: z.string().optional(),
  retryCount: z.string().optional(),
});

const INBOUND_SAMPLE = { date: '2026-11-23 08:51:12', from: '+2290197000001', id: '8f5c2a1e-4b7d-4e2a-9c3f-1d2e3f4a5b6c', linkId: '', text: 'STATUT PS00373-240001', to: '7070', networkCode: '99999' };
const DELIVERED_SAMPLE = { id: 'ATXid_3b9f0c2e7d5a4c1b', status: 'Success', phoneNumber: '+2290197000001', networkCode: '99999', retryCount: '0' };
const FAILED_SAMPLE = { id: 'ATXid_3b9f0c2e7d5a4c1b', status: 'Failed', phoneNumber: '+2290197000001', networkCode: '99999', failureReason: 'UserInBlackList', retryCount: '0' };

export const africasTalkingSmsRoutes: readonly RouteDescriptor[] = [
  {
    method: 'POST',
    path: '/sms/africastalking/inbound',
    operationId: 'sms.africastalking.inbound',
    tag: 'sms',
    summary: 'Africa’s Talking: a citizen’s SMS',
    description: 'AT’s incoming-message callback URL. Answered at once; a reply, if any, leaves through the outbox. The same id again is not handled twice.',
    security: SMS_CALLBACK_SECURITY,
    request: { body: { contentType: FORM, schema: AtInboundSmsForm, examples: { status: { summary: 'A citizen asks for a request’s status', source: `${SMS_REFERENCE} (fields); values ours`, value: INBOUND_SAMPLE } } } },
    responses: SMS_CALLBACK_RECORDED,
    errors: SMS_CALLBACK_ERRORS,
  },
  {
    method: 'POST',
    path: '/sms/africastalking/dlr',
    operationId: 'sms.africastalking.deliveryReport',
    tag: 'sms',
    summary: 'Africa’s Talking: a delivery report',
    description: 'AT’s delivery-report callback URL. Statuses only move forward: a late or repeated report changes nothing.',
    security: SMS_CALLBACK_SECURITY,
    request: {
      body: {
        contentType: FORM,
        schema: AtDeliveryReportForm,
        examples: {
          delivered: { summary: 'Delivered', source: `${SMS_REFERENCE} (fields); values ours`, value: DELIVERED_SAMPLE },
          failed: { summary: 'Failed, with AT’s reason', source: `${SMS_REFERENCE} (fields); values ours`, value: FAILED_SAMPLE },
        },
      },
    },
    responses: SMS_CALLBACK_RECORDED,
    errors: SMS_CALLBACK_ERRORS,
  },
];
