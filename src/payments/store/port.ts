import type { NewPayment, Payment, ReconciliationFlag, TransitionOutcome, TransitionRequest } from '../payment.js';

/**
 * Where payments live. Each transition is one atomic step (check the current state, move, append
 * history), so concurrent duplicate callbacks cannot both apply. Implemented in memory (embedded
 * default, tests), in Redis (Lua) and on Durable Objects (Workers: one object per request number);
 * `src/payments/store/conformance.ts` holds all three to the same contract.
 */
export interface PaymentStore {
  /**
   * Stores a new payment in state `created`; false when the id already exists, the request
   * already has an unfinished payment, or one of its payments succeeded (two confirmations must
   * never mean two charges, even before the portal has recorded the first). The one exception: a
   * payment `startedBy` the holder is not refused for an unfinished one started by someone else,
   * so a stranger holding the request can never lock its holder out.
   */
  create(payment: NewPayment): Promise<boolean>;
  get(id: string): Promise<Payment | null>;
  /**
   * The provider a payment was made with (its registry name), or null when the id names no
   * payment: all a callback route needs before it queues a confirmation, read without the
   * history and flags that `get` assembles (issue 18 part 2).
   */
  providerOf(id: string): Promise<string | null>;
  /** The request's most recent payment, whatever its state: what "check my payment" shows. */
  latestForRequest(requestNumber: string): Promise<Payment | null>;
  transition(id: string, request: TransitionRequest): Promise<TransitionOutcome>;
  /**
   * Keeps the provider's id for a payment unless one is already kept, and answers the one kept
   * (null: no such payment). First writer wins, so two racing attempts agree on one collection.
   */
  rememberReference(id: string, reference: string): Promise<string | null>;
  /**
   * Adds a reason for finance to check the payment by hand (idempotent: a flag is kept once) and
   * answers whether it is new (false also when there is no such payment).
   */
  flag(id: string, flag: ReconciliationFlag): Promise<boolean>;
  /**
   * Records that the portal acknowledged the payment, once (first writer wins); true when this
   * call recorded it, false when it was already recorded or there is no such payment.
   */
  markPortalNotified(id: string, atIso: string): Promise<boolean>;
  /**
   * The request's first payment that succeeded, or null. Set in the same atomic step as that
   * success, so of two payments racing to succeed exactly one is named (the other is paid twice).
   */
  paidPaymentOf(requestNumber: string): Promise<string | null>;
  /** Ids of payments still `created` or `pending` whose expiry is at or before `nowIso`. */
  overdue(nowIso: string, limit: number): Promise<string[]>;
  /** Payments created on a day of Benin's calendar (`financeDay`), for the daily report. */
  createdOn(day: string): Promise<Payment[]>;
}

/** The calendar day (YYYY-MM-DD) of an instant in Benin (UTC+1 all year): the finance team's day. */
export function financeDay(iso: string): string {
  return new Date(Date.parse(iso) + 3600_000).toISOString().slice(0, 10);
}
