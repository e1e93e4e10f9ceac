import type { SmsStatus } from './message-store.js';

/** One message as a route sends it. */
export interface OutgoingSms {
  /** Guichet's id: routes that can carry one (Kannel's dlr-url) put it in the delivery report. */
  id: string;
  /** E.164. */
  to: string;
  text: string;
  encoding: 'GSM-7' | 'UCS-2';
}

/**
 * A way out to the phone network: an aggregator API, Kannel, a direct SMPP link. One folder per
 * route in `providers/`; the dispatcher picks one per destination operator.
 */
export interface SmsRoute {
  name: string;
  /** Resolves once the route accepted the message, with the id its delivery reports will carry. */
  send(sms: OutgoingSms): Promise<{ providerMessageId: string }>;
}

/** The route will never take this message (invalid number, blacklisted, refused sender): fail it now. */
export class PermanentSmsError extends Error {
  override name = 'PermanentSmsError';
}

/** The route asks us to slow down: the queue pauses without burning an attempt. */
export class ThrottledSmsError extends Error {
  override name = 'ThrottledSmsError';
  constructor(
    message: string,
    readonly retryAfterMs = 1000,
  ) {
    super(message);
  }
}

/** A provider's delivery status mapped to ours; `undefined` when unknown (never final). */
export type StatusMapping = Readonly<Record<string, SmsStatus>>;
