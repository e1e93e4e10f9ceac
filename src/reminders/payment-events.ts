import type { Logger } from '../observability/logger.js';
import type { NewPayment, Payment, ReconciliationFlag, TransitionOutcome, TransitionRequest } from '../payments/payment.js';
import type { PaymentStore } from '../payments/store/port.js';

/** What the payment flow tells reminders: a payment was created, a payment went through. */
export interface PaymentEvents {
  paymentStarted(payment: NewPayment): Promise<void>;
  paymentSucceeded(payment: Payment, atMs: number): Promise<void>;
}

/**
 * The payment flow's events for reminders, taken where the flow records them: around its store,
 * the one place every payment is created and every move is applied once (`applied` goes to one
 * caller however many race), as `CountingPaymentStore` counts them. A success reported after
 * the payment expired (`flagged`) is money received too. Never in the payment's way: the event
 * is handed on without waiting, and a failure to record it is logged, not thrown.
 */
export class PaymentEventsStore implements PaymentStore {
  constructor(
    private readonly store: PaymentStore,
    private readonly events: PaymentEvents,
    private readonly logger: Logger,
  ) {}

  async create(payment: NewPayment): Promise<boolean> {
    const created = await this.store.create(payment);
    if (created) this.handOn(payment.id, () => this.events.paymentStarted(payment));
    return created;
  }

  async transition(id: string, request: TransitionRequest): Promise<TransitionOutcome> {
    const outcome = await this.store.transition(id, request);
    if ((outcome.kind === 'applied' && outcome.payment.state === 'succeeded') || outcome.kind === 'flagged') {
      const payment = outcome.payment;
      this.handOn(id, () => this.events.paymentSucceeded(payment, Date.parse(request.at)));
    }
    return outcome;
  }

  private handOn(paymentId: string, event: () => Promise<void>): void {
    event().catch((error: unknown) => this.logger.warn({ paymentId, reason: error instanceof Error ? error.message : String(error) }, 'payment event not recorded for reminders'));
  }

  flag(id: string, flag: ReconciliationFlag) {
    return this.store.flag(id, flag);
  }
  get(id: string) {
    return this.store.get(id);
  }
  providerOf(id: string) {
    return this.store.providerOf(id);
  }
  latestForRequest(requestNumber: string) {
    return this.store.latestForRequest(requestNumber);
  }
  rememberReference(id: string, reference: string) {
    return this.store.rememberReference(id, reference);
  }
  markPortalNotified(id: string, atIso: string) {
    return this.store.markPortalNotified(id, atIso);
  }
  paidPaymentOf(requestNumber: string) {
    return this.store.paidPaymentOf(requestNumber);
  }
  overdue(nowIso: string, limit: number) {
    return this.store.overdue(nowIso, limit);
  }
  createdOn(day: string) {
    return this.store.createdOn(day);
  }
}
