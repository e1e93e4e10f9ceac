import { z } from 'zod';
import { SMS_CALLBACK_ERRORS, SMS_CALLBACK_RECORDED, SMS_CALLBACK_SECURITY } from '../../src/channels/sms/callback-doc.js';
import type { RouteDescriptor } from '../../src/http/route-descriptor.js';

/**
 * Kannel's callbacks for the OpenAPI document: smsbox's `get-url`/`post-url` (a citizen's SMS)
 * and the `dlr-url` Guichet writes into each sendsms (a delivery report). The inbound text may be
 * raw UTF-16BE bytes in the query, which no form parser reads: `inbound.ts` decodes it byte by
 * byte, and the schema below only names the parameters. Samples: `fixtures.ts`, captured from
 * Debian's kannel 1.4.5 (the test checks they are equal).
 */
const REFERENCE = 'https://www.kannel.org/download/1.4.5/userguide-1.4.5/userguide.html (sms-service get-url, post-url; dlr-url %d %A)';

const InboundQuery = z.looseObject({
  from: z.string().optional().describe('%p, the citizen’s number (with post-url, X-Kannel-From instead when send-sender = true).'),
  to: z.string().optional().describe('%P, our short code.'),
  text: z.string().optional().describe('%a, the message’s bytes URL-encoded (get-url only); UTF-16BE bytes when charset says so.'),
  id: z.string().describe('%I, smsbox’s id for the message: a redelivery carries the same one.'),
  coding: z.string().optional().describe('%c: 0 GSM, 1 binary, 2 UCS-2.'),
  charset: z.string().optional().describe('%C: UTF-8, or UTF-16BE for UCS-2 with mo-recode = false.'),
});

/** The delivery report query: the route reads it with this schema. */
export const KannelDeliveryReportQuery = z.looseObject({
  id: z.string().min(1).describe('Our id for the message, written into the dlr-url by the sendsms.'),
  type: z.string().min(1).describe('%d: 1 delivered, 2 failed, 4 buffered, 8 accepted by the SMSC, 16 refused by the SMSC; another value is recorded and changes nothing.'),
  reply: z.string().optional().describe('%A: the SMSC’s own words, kept in the history.'),
});

const GSM_INBOUND = { from: '2290197000001', to: '123', text: 'STATUT PS00373-240001', id: '8b84f262-8799-41f2-aca0-a1a24a39b080', coding: '0', charset: 'UTF-8' };
const POST_INBOUND_QUERY = { from: '2290197000001', to: '123', id: '3f310ae9-1e62-4c27-9933-21884c6a5d84', coding: '2', charset: 'UTF-16BE' };

const inbound = (method: 'GET' | 'POST'): RouteDescriptor => ({
  method,
  path: '/sms/kannel/inbound',
  operationId: `sms.kannel.inbound${method === 'GET' ? 'Get' : 'Post'}`,
  tag: 'sms',
  summary: method === 'GET' ? 'Kannel get-url: a citizen’s SMS in the query' : 'Kannel post-url: a citizen’s SMS in the body',
  description:
    method === 'GET'
      ? 'get-url = "<PUBLIC_URL>/sms/kannel/inbound?from=%p&to=%P&text=%a&id=%I&coding=%c&charset=%C&secret=<secret>". Answered with an empty text, which smsbox sends nobody; a reply, if any, leaves through the outbox.'
      : 'post-url = "<PUBLIC_URL>/sms/kannel/inbound?from=%p&to=%P&id=%I&secret=<secret>": the text is the body, in the charset its Content-Type names (text/plain; charset="UTF-16BE" for UCS-2), the coding in X-Kannel-Coding. Query parameters win over the X-Kannel-* headers.',
  security: SMS_CALLBACK_SECURITY,
  request:
    method === 'GET'
      ? { query: InboundQuery, queryExamples: { gsm: { summary: 'A GSM text (coding 0)', source: 'captured from smsbox (fixtures.ts, "get-url, GSM text")', value: GSM_INBOUND } } }
      : {
          query: InboundQuery,
          queryExamples: { ucs2: { summary: 'A UCS-2 text: its query', source: 'captured from smsbox (fixtures.ts, "post-url, UCS-2 body")', value: POST_INBOUND_QUERY } },
          body: {
            contentType: 'text/plain',
            schema: z.string().describe('The message, in the charset of the Content-Type.'),
            examples: { gsm: { summary: 'A GSM text', source: 'captured from smsbox (fixtures.ts, "post-url, GSM body")', value: 'post Hello é' } },
          },
        },
  responses: SMS_CALLBACK_RECORDED,
  errors: SMS_CALLBACK_ERRORS,
});

export const kannelSmsRoutes: readonly RouteDescriptor[] = [
  inbound('GET'),
  inbound('POST'),
  {
    method: 'GET',
    path: '/sms/kannel/dlr',
    operationId: 'sms.kannel.deliveryReport',
    tag: 'sms',
    summary: 'Kannel dlr-url: a delivery report',
    description: `The dlr-url the gateway writes into each sendsms (dlr-mask 31), with the secret when SMS_KANNEL_CALLBACK_SECRET is set. Statuses only move forward. Format: ${REFERENCE}.`,
    security: SMS_CALLBACK_SECURITY,
    request: {
      query: KannelDeliveryReportQuery,
      queryExamples: {
        delivered: {
          summary: 'Delivered (type 1)',
          source: `${REFERENCE}; the reply text is an SMPP receipt as SMSCs write them, values ours`,
          value: { id: '6f1c2b7e-3d4a-4c5b-9e8f-0a1b2c3d4e5f', type: '1', reply: 'id:0123456789 sub:001 dlvrd:001 submit date:2612020915 done date:2612020915 stat:DELIVRD err:000 text:' },
        },
        buffered: { summary: 'Still trying (type 4)', source: `${REFERENCE}; values ours`, value: { id: '6f1c2b7e-3d4a-4c5b-9e8f-0a1b2c3d4e5f', type: '4', reply: '' } },
      },
    },
    responses: SMS_CALLBACK_RECORDED,
    errors: SMS_CALLBACK_ERRORS,
  },
];
