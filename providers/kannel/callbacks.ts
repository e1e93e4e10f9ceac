import { ownStatus } from '../../src/channels/sms/callback-auth.js';
import type { SmsCallbackRequest, SmsCallbackEvent, SmsCallbacks } from '../manifest.js';
import { parseKannelInbound } from './inbound.js';
import { KANNEL_DLR_TYPES } from './sms.js';

/** smsbox's `get-url` or `post-url` (see `inbound.ts`): a citizen's message. */
async function inbound(request: SmsCallbackRequest): Promise<SmsCallbackEvent> {
  const body = request.method === 'POST' ? await request.bytes() : new Uint8Array();
  const parsed = parseKannelInbound({ method: request.method, rawQuery: request.rawQuery, header: (name) => request.header(name), body });
  if (!parsed.ok) return { kind: 'bad_request', reason: parsed.reason };
  return { kind: 'inbound', sms: { id: parsed.id, from: parsed.from, text: parsed.text, ...(parsed.to ? { to: parsed.to } : {}) } };
}

/**
 * Kannel's callbacks. Each 200 carries an empty text: smsbox sends any body back to the citizen as
 * a reply. The `dlr-url` is the one `createKannelRoute` writes: Guichet's own message id, `%d`
 * (the report type) and `%A` (the SMSC's answer).
 */
export const kannelSmsCallbacks: SmsCallbacks = {
  route: 'kannel',
  endpoints: [
    { methods: ['GET', 'POST'], path: '/sms/kannel/inbound', parse: inbound, okBody: '' },
    {
      methods: ['GET'],
      path: '/sms/kannel/dlr',
      okBody: '',
      async parse(request) {
        const [id, type] = [request.query('id'), request.query('type')];
        if (!id || !type) return { kind: 'bad_request', reason: 'id and type are required' };
        return { kind: 'report', report: { messageId: id, status: ownStatus(KANNEL_DLR_TYPES, type), raw: `type ${type} ${request.query('reply') ?? ''}`.trim() } };
      },
    },
  ],
};
