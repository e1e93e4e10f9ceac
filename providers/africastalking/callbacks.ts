import { ownStatus } from '../../src/channels/sms/callback-auth.js';
import type { SmsCallbacks } from '../manifest.js';
import { readForm } from '../../src/http/form.js';
import { AtDeliveryReportForm, AtInboundSmsForm } from './openapi.js';
import { AT_DLR_STATUSES } from './sms.js';

/**
 * Africa's Talking's SMS notifications: form POSTs to the callback URLs set in its dashboard, an
 * incoming message (`from`, `to`, `text`, `id`) or a delivery report (`id`, `status`,
 * `failureReason`), read with the same zod schemas the OpenAPI document shows (`openapi.ts`).
 * Samples in `sms.fixtures.ts`.
 *
 * @see https://developers.africastalking.com/docs/sms/notifications
 */
export const africasTalkingSmsCallbacks: SmsCallbacks = {
  route: 'africastalking',
  endpoints: [
    {
      methods: ['POST'],
      path: '/sms/africastalking/inbound',
      async parse(request) {
        const fields = readForm(AtInboundSmsForm, new URLSearchParams(await request.text()));
        if (!fields) return { kind: 'bad_request', reason: 'from, text and id are required' };
        const { from, to, text, id } = fields;
        return { kind: 'inbound', sms: { id, from, text, ...(to ? { to } : {}) } };
      },
    },
    {
      methods: ['POST'],
      path: '/sms/africastalking/dlr',
      async parse(request) {
        const fields = readForm(AtDeliveryReportForm, new URLSearchParams(await request.text()));
        if (!fields) return { kind: 'bad_request', reason: 'id and status are required' };
        const { id, status, failureReason: failure } = fields;
        return { kind: 'report', report: { providerMessageId: id, status: ownStatus(AT_DLR_STATUSES, status), raw: failure ? `${status} (${failure})` : status } };
      },
    },
  ],
};
