import { neverReached, PermanentSmsError, sendError, SmsFateUnknownError, type SendOutcome, type SmsRoute, type StatusMapping } from '../../src/sms/port.js';

/**
 * Africa's Talking SMS through the `africastalking` SDK. The SDK resolves with 201 even when a
 * recipient failed, so every recipient's `statusCode` is read. The SDK's sandbox switch is
 * process-wide (`username: 'sandbox'` sends every client in the process to the sandbox): one
 * process, one mode.
 *
 * @see https://developers.africastalking.com/docs/sms/sending (status codes; samples in providers/africastalking/sms.fixtures.ts)
 */

/** The SDK's `SMS.send` as it is called (the SDK has no usable types). */
export type AfricasTalkingSend = (options: { to: string[]; message: string; from?: string; enqueue?: boolean }) => Promise<AfricasTalkingSendResult>;

/** `AT_USERNAME`, `AT_API_KEY` and the sender id `AT_SMS_FROM`: what the SDK's client is made from. */
export interface AfricasTalkingAccount {
  username: string;
  apiKey: string;
  from?: string;
}

export interface AfricasTalkingSendResult {
  SMSMessageData: { Message: string; Recipients: { statusCode: number; number: string; status: string; cost: string; messageId: string }[] };
}

/**
 * Per-recipient `statusCode` → what it means for the message. A code not listed is refused
 * explicitly ("unmapped") rather than retried: a new success code retried would send twice.
 */
export const AT_SEND_STATUS_CODES: Readonly<Record<number, { status: string; outcome: SendOutcome }>> = {
  100: { status: 'Processed', outcome: 'accepted' },
  101: { status: 'Sent', outcome: 'accepted' },
  102: { status: 'Queued', outcome: 'accepted' },
  // The account, not the number: held by AT's risk team, sender id not approved, no credit.
  401: { status: 'RiskHold', outcome: 'configuration' },
  402: { status: 'InvalidSenderId', outcome: 'configuration' },
  403: { status: 'InvalidPhoneNumber', outcome: 'permanent' },
  404: { status: 'UnsupportedNumberType', outcome: 'permanent' },
  405: { status: 'InsufficientBalance', outcome: 'configuration' },
  406: { status: 'UserInBlacklist', outcome: 'permanent' },
  407: { status: 'CouldNotRoute', outcome: 'permanent' },
  // The subscriber refuses this kind of message (do-not-disturb): sending again changes nothing.
  409: { status: 'DoNotDisturbRejection', outcome: 'permanent' },
  500: { status: 'InternalServerError', outcome: 'transient' },
  501: { status: 'GatewayError', outcome: 'transient' },
  502: { status: 'RejectedByGateway', outcome: 'permanent' },
};

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
      const sender = sms.from ?? from;
      let result: AfricasTalkingSendResult;
      try {
        result = await send({ to: [sms.to], message: sms.text, ...(sender ? { from: sender } : {}), enqueue: true });
      } catch (error) {
        // The SDK rejects with axios' error when the API answers 4xx/5xx as a whole.
        const status = (error as { response?: { status?: unknown } } | null)?.response?.status;
        // No answer at all: refused before sending is safe to retry; a time-out or a cut
        // connection may have queued it at Africa's Talking (axios' codes): fate unknown.
        if (status === undefined && !neverReached(error)) throw new SmsFateUnknownError(`africastalking: no answer: ${error instanceof Error ? error.message : String(error)}`);
        const reason = `africastalking: ${status ?? ''} ${error instanceof Error ? error.message : String(error)}`.replace(/\s+/g, ' ');
        throw sendError(status === 401 || status === 403 ? 'configuration' : status === 429 ? 'throttled' : 'transient', reason);
      }
      const recipient = result.SMSMessageData.Recipients.find((r) => r.number === sms.to) ?? result.SMSMessageData.Recipients[0];
      if (!recipient) throw new PermanentSmsError(`africastalking: no recipient in answer: ${result.SMSMessageData.Message}`);
      const known = AT_SEND_STATUS_CODES[recipient.statusCode];
      if (known?.outcome !== 'accepted') throw sendError(known?.outcome ?? 'permanent', `africastalking ${recipient.statusCode} ${recipient.status}${known ? '' : ' (unmapped status code)'}`);
      return { providerMessageId: recipient.messageId };
    },
  };
}
