import { decideTransition, type NewPayment, type Payment, type ReconciliationFlag, type TransitionOutcome, type TransitionRequest } from '../payment.js';
import { isSafeKeyPart } from '../payment-id.js';
import { financeDay, type PaymentStore } from './port.js';

const isUnfinished = (payment: Payment) => payment.state === 'created' || payment.state === 'pending';

/**
 * Payments in process memory. JavaScript runs each call to completion between awaits, so a
 * transition is atomic by construction. Lost on restart: the embedded demo only.
 */
export class MemoryPaymentStore implements PaymentStore {
  private readonly payments = new Map<string, Payment>();
  private readonly latestByRequest = new Map<string, string>();
  private readonly paidByRequest = new Map<string, string>();

  /**
   * The embedded default must not grow for ever: past `maxPayments`, the oldest finished payments
   * are forgotten (never an unfinished one), and past `maxPaidRequests` the oldest "already paid"
   * marks. Redis keeps finished payments for their retention instead.
   */
  constructor(
    private readonly maxPayments = 20_000,
    private readonly maxPaidRequests = 100_000,
  ) {}

  private forgetOldest(): void {
    for (const [id, old] of this.payments) {
      if (this.payments.size <= this.maxPayments) break;
      if (isUnfinished(old)) continue;
      this.payments.delete(id);
      if (this.latestByRequest.get(old.requestNumber) === id) this.latestByRequest.delete(old.requestNumber);
    }
    for (const requestNumber of this.paidByRequest.keys()) {
      if (this.paidByRequest.size <= this.maxPaidRequests) break;
      this.paidByRequest.delete(requestNumber);
    }
  }

  async create(payment: NewPayment): Promise<boolean> {
    if (!isSafeKeyPart(payment.id) || !isSafeKeyPart(payment.requestNumber)) return false;
    if (this.payments.has(payment.id)) return false;
    if (this.paidByRequest.has(payment.requestNumber)) return false;
    const latest = this.latestByRequest.get(payment.requestNumber);
    if (latest && this.payments.get(latest)?.state === 'succeeded') return false;
    const byHolder = (payment.startedBy ?? 'holder') === 'holder';
    for (const other of this.payments.values()) {
      if (other.requestNumber !== payment.requestNumber || !isUnfinished(other)) continue;
      // The holder waits only for their own unfinished payment, never for a stranger's.
      if (!byHolder || (other.startedBy ?? 'holder') === 'holder') return false;
    }
    this.payments.set(payment.id, {
      ...payment,
      state: 'created',
      needsReconciliation: false,
      history: [],
    });
    this.latestByRequest.set(payment.requestNumber, payment.id);
    if (this.payments.size > this.maxPayments) this.forgetOldest();
    return true;
  }

  async get(id: string): Promise<Payment | null> {
    const payment = this.payments.get(id);
    return payment ? structuredClone(payment) : null;
  }

  async providerOf(id: string): Promise<string | null> {
    return this.payments.get(id)?.provider ?? null;
  }

  async latestForRequest(requestNumber: string): Promise<Payment | null> {
    const id = this.latestByRequest.get(requestNumber);
    return id ? this.get(id) : null;
  }

  async transition(id: string, request: TransitionRequest): Promise<TransitionOutcome> {
    const payment = this.payments.get(id);
    if (!payment) return { kind: 'missing' };
    const outcome = decideTransition(payment, request);
    if (outcome.kind === 'applied' || outcome.kind === 'flagged') this.payments.set(id, outcome.payment);
    if (outcome.kind === 'applied' && outcome.payment.state === 'succeeded' && !this.paidByRequest.has(payment.requestNumber)) {
      this.paidByRequest.set(payment.requestNumber, id);
    }
    return outcome.kind === 'missing' ? outcome : { kind: outcome.kind, payment: structuredClone(outcome.payment) };
  }

  async rememberReference(id: string, reference: string): Promise<string | null> {
    const payment = this.payments.get(id);
    if (!payment) return null;
    payment.providerReference ??= reference;
    return payment.providerReference;
  }

  async flag(id: string, flag: ReconciliationFlag): Promise<boolean> {
    const payment = this.payments.get(id);
    if (!payment || payment.reconciliationFlags?.includes(flag)) return false;
    payment.reconciliationFlags = [...(payment.reconciliationFlags ?? []), flag].sort();
    return true;
  }

  async markPortalNotified(id: string, atIso: string): Promise<boolean> {
    const payment = this.payments.get(id);
    if (!payment || payment.portalNotifiedAt) return false;
    payment.portalNotifiedAt = atIso;
    return true;
  }

  async paidPaymentOf(requestNumber: string): Promise<string | null> {
    return this.paidByRequest.get(requestNumber) ?? null;
  }

  async overdue(nowIso: string, limit: number): Promise<string[]> {
    const due: string[] = [];
    for (const payment of this.payments.values()) {
      if (due.length >= limit) break;
      if (isUnfinished(payment) && payment.expiresAt <= nowIso) due.push(payment.id);
    }
    return due;
  }

  async createdOn(day: string): Promise<Payment[]> {
    return [...this.payments.values()].filter((p) => financeDay(p.createdAt) === day).map((p) => structuredClone(p));
  }
}
