import type { Logger } from '../observability/logger.js';
import { maskMsisdn } from '../lib/mask.js';

/**
 * The outbound SMS port: what the USSD fallback ("we will send you the answer by SMS"),
 * payment receipts and notifications hand a message to. The SMS channel implements it with a
 * durable queue and real routes (`SmsDispatcher`); the log outbox stands in where no SMS channel is wired (unit tests, the embedded payments default).
 */
export interface OutboundSms {
  /** E.164. */
  to: string;
  text: string;
  /** The same key is sent once, however many times it is handed over. */
  idempotencyKey: string;
  /** What the message is for (`status-fallback`, `payment-receipt`, …), for logs and reports. */
  purpose: string;
  /** The sender to show instead of the route's own: a reply goes from the short code the citizen texted. */
  from?: string;
  /** The route to leave on instead of the destination operator's: a reply goes back the way its command came. */
  viaRoute?: string;
}

export interface SmsOutbox {
  /** Accepts the message for delivery; resolves with Guichet's message id. */
  enqueue(message: OutboundSms): Promise<{ messageId: string }>;
}

/** Writes messages to the log (number masked) instead of sending them: the embedded default. */
export function createLogSmsOutbox(logger: Logger): SmsOutbox {
  const seen = new Map<string, string>();
  let sequence = 0;
  return {
    async enqueue(message) {
      const existing = seen.get(message.idempotencyKey);
      if (existing) return { messageId: existing };
      const messageId = `log-${++sequence}`;
      seen.set(message.idempotencyKey, messageId);
      // The text can hold a request's status: never logged, only its size.
      logger.info({ messageId, to: maskMsisdn(message.to), purpose: message.purpose, length: message.text.length }, 'SMS (log outbox, not sent)');
      return { messageId };
    },
  };
}
