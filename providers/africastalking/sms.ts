import { PermanentSmsError, ThrottledSmsError, type SmsRoute, type StatusMapping } from '../../src/sms/sms-route.js';

/**
 * Africa's Talking SMS through the `africastalking` SDK. The SDK resolves with 201 even when a
 * recipient failed, so every recipient's `statusCode` is read. The SDK's sandbox switch is
 * process-wide (`username: 'sandbox'` sends every client in the process to the sandbox): one
 * process, one mode.
 */

/** The SDK's `SMS.send` as it is called (the SDK has no usable types). */
export type AfricasTalkingSend = (options: { to: string[]; message: string; from?: string; enqueue?: boolean }) => Promise<AfricasTalkingSendResult>;

export interface AfricasTalkingSendResult {
  SMSMessageData: { Message: string; Recipients: { statusCode: number; number: string; status: string; cost: string; messageId: string }[] };
}

/** 100 Processed, 101 Sent, 102 Queued: accepted. */
const ACCEPTED = new Set([100, 101, 102]);
/** The number or the account will never take this message. */
const PERMANENT = new Set([402, 403, 404, 406, 407]);

/** Delivery report statuses (form field `status`). */
export const AT_DLR_STATUSES: StatusMapping = {
  Sent: 'sent',
  Submitted: 'sent',
  Buffered: 'sent',
  Success: 'delivered',
  Rejected: 'failed',
  Failed: 'failed',
  AbsentSubscriber: 'failed',
  Expired: 'expired',
};

export function createAfricasTalkingSmsRoute(send: AfricasTalkingSend, from?: string): SmsRoute {
  return {
    name: 'africastalking',
    async send(sms) {
      const result = await send({ to: [sms.to], message: sms.text, ...(from ? { from } : {}), enqueue: true });
      const recipient = result.SMSMessageData.Recipients.find((r) => r.number === sms.to) ?? result.SMSMessageData.Recipients[0];
      if (!recipient) throw new PermanentSmsError(`africastalking: no recipient in answer: ${result.SMSMessageData.Message}`);
      if (ACCEPTED.has(recipient.statusCode)) return { providerMessageId: recipient.messageId };
      if (PERMANENT.has(recipient.statusCode)) throw new PermanentSmsError(`africastalking ${recipient.statusCode} ${recipient.status}`);
      // 405 InsufficientBalance, 401 RiskHold, 5xx: the account or the gateway, not the number.
      if (recipient.statusCode === 405) throw new ThrottledSmsError(`africastalking ${recipient.statusCode} ${recipient.status}`, 60_000);
      throw new Error(`africastalking ${recipient.statusCode} ${recipient.status}`);
    },
  };
}
