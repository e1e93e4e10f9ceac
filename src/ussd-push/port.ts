/**
 * Network-initiated USSD push (USSN: a message on the handset's screen, no session). A push route
 * is one operator's way to put it there: a `submit_sm` with `ussd_service_op` USSN request on an
 * SMPP link (`src/runtime/node/smpp/smpp-ussd-push.ts`), MTN MADAPI's outbound USSD
 * (`providers/mtn-madapi/push.ts`). The push service (`push-service.ts`) decides when to push and
 * falls back to one SMS when the route says anything but `confirmed`.
 */

/** One push, as a route sends it. */
export interface UssdPushRequest {
  /** Our notification's id (the SMS message that carries the fallback). */
  id: string;
  /** E.164. */
  to: string;
  /** Already measured and, where allowed, written in its GSM-7 spelling. */
  text: string;
  encoding: 'GSM-7' | 'UCS-2';
}

/**
 * What became of a push. Only `confirmed` spares the SMS: `refused` (the operator said no, e.g. an
 * SMPP error status or a MADAPI 4xx), `failed` (no answer from the operator, link down, 5xx: it may
 * or may not have shown) and `unanswered` (accepted, but the handset's confirmation did not come in
 * time) all fall back to the SMS.
 */
export type UssdPushOutcome =
  | { kind: 'confirmed'; detail: string }
  | { kind: 'refused'; detail: string }
  | { kind: 'failed'; detail: string }
  | { kind: 'unanswered'; detail: string };

export interface UssdPushRoute {
  /** As `USSD_PUSH_ROUTES` names it: `smpp-<operator>` for an SMPP link, `mtn-madapi`. */
  name: string;
  /** Resolves with the outcome; never rejects (a route's own failure is `failed`). */
  push(request: UssdPushRequest): Promise<UssdPushOutcome>;
}

/**
 * Where a notification asked as `ussd-push` stands. `waiting`: queued (or deferred past quiet
 * hours); `pushing`: claimed by one worker run, the push may have left; `confirmed`: the handset
 * showed it, no SMS; `fallback`: the SMS carries it (released once, on its route's queue).
 */
export const PUSH_PHASES = ['waiting', 'pushing', 'confirmed', 'fallback'] as const;
export type PushPhase = (typeof PUSH_PHASES)[number];

/**
 * Why the SMS was sent instead, or `confirmed`. Beyond the route's outcomes: `interrupted` (a run
 * claimed the push and never finished: it may have shown, the SMS goes anyway rather than never),
 * `no_route` (no push route for the number's operator), `too_long` (more than one USSD screen).
 */
export const PUSH_OUTCOMES = ['confirmed', 'refused', 'failed', 'unanswered', 'interrupted', 'no_route', 'too_long'] as const;
export type PushOutcomeCode = (typeof PUSH_OUTCOMES)[number];

/** Kept on the notification's message (`SmsMessage.push`). */
export interface PushState {
  /** The push route, or `none` when the operator has none. */
  route: string;
  phase: PushPhase;
  outcome?: PushOutcomeCode;
  /** The worker run that claimed the push: a second claimer sees someone else's token. */
  claim?: string;
  /** Not pushed before this instant (quiet hours). */
  notBefore?: string;
}
