import type { Screen } from '../../engine/types.js';
import type { UssdWireDoc } from './wire-doc.js';

/**
 * The contract every USSD dialect (operator or aggregator wire format) implements, in
 * `providers/<name>/`. A dialect only translates: raw request → one normalised hop, and
 * screen → raw response. Sessions, menus and services are the channel's business.
 */

/** What a hop's request says the citizen typed. */
export type HopInput =
  /** Every input so far joined by `*` (Africa's Talking): the channel takes only what is new. */
  | { kind: 'cumulative'; text: string }
  /** Only the latest input (most JSON dialects). */
  | { kind: 'latest'; text: string };

export interface UssdHop {
  sessionId: string;
  /** Fields some dialects must echo in their answer (user ids, session ids as sent). */
  echo?: Readonly<Record<string, string | number | boolean>>;
  /** E.164, normalised by `src/lib/msisdn.ts`. */
  msisdn: string;
  serviceCode: string;
  input: HopInput;
  /**
   * Identifies this hop within its session where the dialect carries such a thing (a sequence
   * number): the same id again is a retransmission. Cumulative dialects need none.
   */
  hopId?: string;
  /**
   * What a retransmission of this hop repeats, for wires whose hop id does not settle it alone
   * (SMPP: `sequence_number` only means something within one bind, and many SMSCs leave
   * `its_session_info` unchanged between hops). The same key again within `withinMs` of this hop
   * is this hop again; later, it is the citizen typing the same thing again.
   */
  resend?: { key: string; withinMs: number };
  /** True when the request opens the session (the citizen just dialled). */
  isBegin: boolean;
  /** Operator as the provider reports it (network code, name), for logs. */
  network?: string;
}

/** Citizen-facing reasons to close at once, rendered politely by the channel. */
export type EndReason = 'inputTooLong' | 'notBeninNumber';

/**
 * Why a session ended, in one vocabulary whatever the dialect said: recorded with the session.
 * `network_timeout`: the citizen did not answer in time; `app_timeout`: we did not.
 */
export const SESSION_END_REASONS = ['completed', 'user_aborted', 'network_timeout', 'app_timeout', 'error'] as const;
export type SessionEndReason = (typeof SESSION_END_REASONS)[number];

export type ParseResult =
  | { ok: true; hop: UssdHop }
  /** The provider tells us a session is over (release, time-out, abort): nothing to show. */
  | { ok: true; ended: { sessionId: string; reason: SessionEndReason } }
  /** A message that needs no action (an operator's informational notification): acknowledged. */
  | { ok: true; notice: string }
  /** The request is not a valid hop: a 4xx with a JSON reason for the provider. */
  | { ok: false; kind: 'reject'; status: 400 | 415; reason: string }
  /** A valid hop the citizen cannot be served on: a polite END screen. */
  | { ok: false; kind: 'end'; reason: EndReason };

export interface RawRequest {
  contentType: string;
  /** The body, already checked to be well-formed UTF-8. */
  body: string;
}

export interface RawResponse {
  contentType: string;
  body: string;
}

export interface UssdDialect {
  /** Path segment: `POST /ussd/<name>`. */
  name: string;
  /** Screen size in GSM-7 characters unless configuration says otherwise. */
  defaultScreenLimit: number;
  parse(request: RawRequest): ParseResult;
  /**
   * The answer to a hop. `hop` is absent when the channel answers before a hop was understood
   * (a polite refusal): dialects that echo request fields back then echo what they can.
   */
  render(screen: Screen, hop?: UssdHop): RawResponse;
  /** The answer to a session-end notification (default: 200 with an empty JSON object). */
  acknowledge?(): RawResponse;
  /** A separate session-end notification URL (`POST /ussd/<name>/session-end`), where the provider has one. */
  parseSessionEnd?(request: RawRequest): ParseResult;
  /** Its wire format for the OpenAPI document (`providers/<name>/openapi.ts`); the HTTP dialects of the registry all have one. */
  wire?: UssdWireDoc;
}

/** Inputs longer than this are not something a citizen typed on a keypad. */
export const MAX_INPUT_BYTES = 1024;
