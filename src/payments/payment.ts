/**
 * A mobile-money payment of a portal fee, as Guichet keeps it. Money is an integer in XOF (no
 * minor unit). The state only moves along `LEGAL_TRANSITIONS`; every move is kept in `history`.
 */

export const PAYMENT_STATES = ['created', 'pending', 'succeeded', 'failed', 'expired'] as const;
export type PaymentState = (typeof PAYMENT_STATES)[number];

/**
 * Where each state may go. `created → failed|expired` covers a provider that refuses the
 * collection request outright and a request never sent before expiry. Terminal states go nowhere:
 * a success after expiry is not a transition but a reconciliation flag (see the stores).
 */
export const LEGAL_TRANSITIONS: Readonly<Record<PaymentState, readonly PaymentState[]>> = {
  created: ['pending', 'failed', 'expired'],
  pending: ['succeeded', 'failed', 'expired'],
  succeeded: [],
  failed: [],
  expired: [],
};

/** The states a payment may be in for a move to `to` to be legal. */
export function legalSourcesOf(to: PaymentState): PaymentState[] {
  return PAYMENT_STATES.filter((from) => LEGAL_TRANSITIONS[from].includes(to));
}

export type PaymentStarter = 'holder' | 'other';

/** What a payment is for and who pays: fixed when it is created. */
export interface NewPayment {
  /** Guichet's own id: the provider's external reference and the portal's idempotency key. */
  id: string;
  requestNumber: string;
  amountXof: number;
  /** E.164: the wallet that pays and gets the receipt. Personal data: mask before logging. */
  payerMsisdn: string;
  /** E.164 of the phone that started the payment, when another number pays. */
  initiatorMsisdn?: string;
  /**
   * Who started it: `holder` (the request's own phone number, the default) or `other` (a caller
   * who proved the holder's NPI and birth date). A holder's payment is never blocked by an
   * unfinished `other` one (issue 11 item 5); an `other` one waits for any unfinished payment.
   */
  startedBy?: PaymentStarter;
  /** `MTN`, `MOOV`, … from the number or the citizen's choice. */
  operator: string;
  /** Registry name of the payment API that collects it. */
  provider: string;
  /** ISO timestamps. */
  createdAt: string;
  expiresAt: string;
}

/**
 * Why a payment moved, as a code that other modules read (the finance report, tests): the prose
 * `reason` beside it is for people reading a history and may be worded as they need, and no
 * module may match it.
 */
export const REASON_CODES = [
  /** The provider says the citizen has not answered the PIN prompt yet. */
  'provider_pending',
  /** `created → pending` on the way to a success the provider reported at once. */
  'provider_answered',
  'provider_succeeded',
  /** The provider declined or failed the collection (its own reason is in the prose). */
  'provider_failed',
  /** A success for another sum than the fee: not credited, listed for finance. */
  'amount_mismatch',
  /** A success in another currency than the provider's: not credited, listed for finance. */
  'currency_mismatch',
  /** Claimed before the one push to a provider that is not `resendSafe`: never sent again. */
  'push_sent_once',
  /** Nothing reached the provider (refused connection, credentials refused): nothing charged. */
  'not_sent',
  /** The poller found the payment still unanswered past its expiry. */
  'expired_unanswered',
  /** The overdue sweep expired it (a poll job lost, a provider that never answered). */
  'expired_overdue',
  /** A success reported after expiry: recorded by the store, the state kept, reconciliation flagged. */
  'late_success',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

export function isReasonCode(value: unknown): value is ReasonCode {
  return typeof value === 'string' && (REASON_CODES as readonly string[]).includes(value);
}

export interface TransitionRecord {
  from: PaymentState;
  to: PaymentState;
  at: string;
  reason: string;
  /**
   * Always written since reason codes exist. A record stored before them (Redis) is read with the
   * code its prose meant (`store/legacy-reasons.ts`), or none when the prose is not one the
   * payment service wrote.
   */
  code?: ReasonCode;
}

/**
 * Why finance must compare a payment with the provider's statement, as a code the report reads
 * (never history text): set by the service, kept by the store, listed in the daily report.
 */
/**
 * Reasons for finance to look at a payment by hand. `failed_after_success`: the provider's status
 * API, asked again after a success (a later callback's confirmation), now calls it failed (a
 * reversal at the provider): the credit stands, as for a refund, and finance decides.
 */
export const RECONCILIATION_FLAGS = ['refunded_after_success', 'partially_refunded_after_success', 'paid_twice', 'failed_after_success'] as const;
export type ReconciliationFlag = (typeof RECONCILIATION_FLAGS)[number];

export interface Payment extends NewPayment {
  state: PaymentState;
  /** The provider's transaction id, once known (printed on the receipt). */
  providerTransactionId?: string;
  /** The provider's own id for the collection (FedaPay, KKiaPay, Moov), kept before the push. */
  providerReference?: string;
  /** Set when the provider reported success after Guichet had expired it: finance must look. */
  needsReconciliation: boolean;
  /** Further reasons to check it by hand (a refund after the success), when there are any. */
  reconciliationFlags?: ReconciliationFlag[];
  /**
   * When the portal acknowledged this payment (ISO): recorded in the store, so telling the portal
   * again is skipped whatever the job queue still remembers (issue 12 item 11).
   */
  portalNotifiedAt?: string;
  history: TransitionRecord[];
}

export interface TransitionRequest {
  to: PaymentState;
  at: string;
  /** For people: what happened, in words. */
  reason: string;
  /** For modules: why, as a code (the flagged late success is recorded as `late_success`). */
  code: ReasonCode;
  providerTransactionId?: string;
}

/**
 * - `applied`: the move happened (exactly one concurrent caller sees this for a given move);
 * - `unchanged`: already in `to` (a replayed callback): nothing changed, nothing to do;
 * - `refused`: illegal from the current state, nothing changed;
 * - `flagged`: success reported for an expired payment: state kept, reconciliation flag set;
 * - `missing`: no such payment.
 */
export type TransitionOutcome =
  | { kind: 'applied' | 'unchanged' | 'refused' | 'flagged'; payment: Payment }
  | { kind: 'missing' };

/**
 * Decides one transition on a copy, from `LEGAL_TRANSITIONS`: the memory store applies it as it
 * is, the Redis store's Lua twin follows the same table (`legalSourcesOf`) and the same rules, and
 * the conformance suite holds both to them.
 */
export function decideTransition(payment: Payment, request: TransitionRequest): TransitionOutcome {
  const from = payment.state;
  if (from === request.to) return { kind: 'unchanged', payment };
  if (!LEGAL_TRANSITIONS[from].includes(request.to)) {
    if (from === 'expired' && request.to === 'succeeded') {
      // A replayed late success says nothing new: the payment is flagged once, its history does
      // not grow with every copy of the callback (issue 11 item 11).
      if (payment.needsReconciliation) return { kind: 'unchanged', payment };
      const flagged: Payment = {
        ...payment,
        needsReconciliation: true,
        providerTransactionId: request.providerTransactionId ?? payment.providerTransactionId,
        history: [...payment.history, { from, to: request.to, at: request.at, reason: `late success: ${request.reason}`, code: 'late_success' }],
      };
      return { kind: 'flagged', payment: flagged };
    }
    return { kind: 'refused', payment };
  }
  const moved: Payment = {
    ...payment,
    state: request.to,
    providerTransactionId: request.providerTransactionId ?? payment.providerTransactionId,
    history: [...payment.history, { from, to: request.to, at: request.at, reason: request.reason, code: request.code }],
  };
  return { kind: 'applied', payment: moved };
}

export function isAmountXof(amount: number): boolean {
  return Number.isSafeInteger(amount) && amount > 0;
}

/** What the citizen reads and quotes: the first 8 characters of the payment id. */
export function reference(paymentId: string): string {
  return paymentId.slice(0, 8).toUpperCase();
}
