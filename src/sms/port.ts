import type { SmsStatus } from './store/port.js';

/** One message as a route sends it. */
export interface OutgoingSms {
  /** Guichet's id: routes that can carry one (Kannel's dlr-url) put it in the delivery report. */
  id: string;
  /** E.164. */
  to: string;
  /**
   * The sender to show, when it is not the route's own: a reply goes from the short code the
   * citizen texted (the inbound message's `to`).
   */
  from?: string;
  text: string;
  encoding: 'GSM-7' | 'UCS-2';
}

/** One part of a message the route has handed on, with the id its delivery reports will carry. */
export interface AcceptedPart {
  providerMessageId: string;
  /** 0-based. */
  index: number;
  count: number;
}

export interface SendHooks {
  /**
   * Called as soon as each part is accepted, before the next is submitted: a receipt for the
   * first part may arrive while the last is still waiting for the window.
   */
  onPartAccepted?: (part: AcceptedPart) => Promise<void>;
}

/**
 * A way out to the phone network: an aggregator API, Kannel, a direct SMPP link. One folder per
 * route in `providers/`; the dispatcher picks one per destination operator.
 */
export interface SmsRoute {
  name: string;
  /**
   * Resolves once the route accepted the message, with the id its delivery reports will carry
   * (the first part's, for a route that reports parts through `hooks.onPartAccepted`).
   */
  send(sms: OutgoingSms, hooks?: SendHooks): Promise<{ providerMessageId: string }>;
}

/** The route will never take this message (invalid number, blacklisted, refused sender): fail it now. */
export class PermanentSmsError extends Error {
  override name = 'PermanentSmsError';
}

/**
 * The submit may have reached the provider, but no answer says so (no `submit_sm_resp` within the
 * time-out, an HTTP request cut after it was sent): sending again could deliver it twice. The
 * dispatcher marks the message `unknown` and never resends it.
 */
export class SmsFateUnknownError extends Error {
  override name = 'SmsFateUnknownError';
}

/** Connection errors that happen before any byte of the request leaves (Node's fetch puts them in `cause`, axios on the error). */
const NOT_REACHED_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export function neverReached(error: unknown): boolean {
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  const code = (error as { code?: unknown } | null)?.code ?? cause?.code;
  return typeof code === 'string' && NOT_REACHED_CODES.has(code);
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

/**
 * The route itself is misconfigured or its account is held (credentials or sender id refused, no
 * balance): nothing is wrong with the message or the number, so the message is not failed. The
 * dispatcher raises an alert and the queue waits, as when throttled, until operations fix it.
 */
export class SmsRouteConfigurationError extends ThrottledSmsError {
  override name = 'SmsRouteConfigurationError';
  constructor(message: string, retryAfterMs = 60_000) {
    super(message, retryAfterMs);
  }
}

/** The text needs more segments than the routes may carry (`SMS_MAX_SEGMENTS`): refused before it is queued. */
export class SmsTooLongError extends Error {
  override name = 'SmsTooLongError';
  constructor(
    readonly segments: number,
    readonly maxSegments: number,
  ) {
    super(`the message needs ${segments} SMS segments; at most ${maxSegments} are sent (SMS_MAX_SEGMENTS)`);
  }
}

/** A provider's delivery status mapped to ours; `undefined` when unknown (never final). */
export type StatusMapping = Readonly<Record<string, SmsStatus>>;

/** What a route's answer to a send means for the message, as data in each provider's table. */
export type SendOutcome = 'accepted' | 'permanent' | 'throttled' | 'configuration' | 'transient';

/** The error a refused send's outcome stands for: it decides retry, pause or give up. */
export function sendError(outcome: Exclude<SendOutcome, 'accepted'>, message: string): Error {
  switch (outcome) {
    case 'permanent':
      return new PermanentSmsError(message);
    case 'throttled':
      return new ThrottledSmsError(message);
    case 'configuration':
      return new SmsRouteConfigurationError(message);
    case 'transient':
      return new Error(message);
  }
}
