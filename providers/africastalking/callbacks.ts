import { ownStatus } from '../../src/channels/sms/callback-auth.js';
import type { SmsCallbacks } from '../manifest.js';
import { AT_DLR_STATUSES } from './sms.js';

/**
 * Africa's Talking's SMS notifications: form POSTs to the callback URLs set in its dashboard, an
 * incoming message (`from`, `to`, `text`, `id`) or a delivery report (`id`, `status`,
 * `failureReason`). Samples in `sms.fixtures.ts`.
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
        const form = new URLSearchParams(await request.text());
        const [from, to, text, id] = [form.get('from'), form.get('to'), form.get('text'), form.get('id')];
        if (!from || text === null || !id) return { kind: 'bad_request', reason: 'from, text and id are required' };
        return { kind: 'inbound', sms: { id, from, text, ...(to ? { to } : {}) } };
      },
    },
    {
      methods: ['POST'],
      path: '/sms/africastalking/dlr',
      async parse(request) {
        const form = new URLSearchParams(await request.text());
        const [id, status] = [form.get('id'), form.get('status')];
        if (!id || !status) return { kind: 'bad_request', reason: 'id and status are required' };
        const failure = form.get('failureReason');
        return { kind: 'report', report: { providerMessageId: id, status: ownStatus(AT_DLR_STATUSES, status), raw: failure ? `${status} (${failure})` : status } };
      },
    },
  ],
};
