import type { NewPayment, ReconciliationFlag, TransitionOutcome, TransitionRequest } from '../payments/payment.js';
import type { PaymentStore } from '../payments/store/port.js';
import type { MessageStore, ParkedReport, SmsMessage, SmsStatus, StatusUpdate } from '../sms/store/port.js';
import type { FunnelRecorder } from './funnels.js';

/**
 * Payments and SMS counted where their states change: around the store, the one place every
 * change goes through and says whether it happened. No caller changes, nothing counted twice: the
 * stores apply each change once however many callers race (`applied` goes to one of them).
 */

/** A payment store that counts each payment once per state it enters, and each new reconciliation flag. */
export class CountingPaymentStore implements PaymentStore {
  constructor(
    private readonly store: PaymentStore,
    private readonly funnels: FunnelRecorder,
  ) {}

  async create(payment: NewPayment): Promise<boolean> {
    const created = await this.store.create(payment);
    if (created) this.funnels.payment(payment.provider, 'created');
    return created;
  }

  async transition(id: string, request: TransitionRequest): Promise<TransitionOutcome> {
    const outcome = await this.store.transition(id, request);
    if (outcome.kind === 'applied') this.funnels.payment(outcome.payment.provider, outcome.payment.state);
    else if (outcome.kind === 'flagged') this.funnels.paymentFlagged(outcome.payment.provider);
    return outcome;
  }

  async flag(id: string, flag: ReconciliationFlag): Promise<boolean> {
    const added = await this.store.flag(id, flag);
    if (added) {
      // Rare (a refund, a double payment): one more read to name the provider is cheap here.
      const provider = await this.store.providerOf(id).catch(() => null);
      this.funnels.paymentFlagged(provider ?? 'other');
    }
    return added;
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

/**
 * A message store that counts each message once per status it reaches: on creation (`queued`, or
 * `failed` for an opted-out number), then `sent`, `unknown` and the final ones on the update that
 * moved it there (`sending`, a worker's claim, and a claim given back to `queued` are not counted).
 *
 * An update moved the message when the message the store answers (its state right after this
 * update, atomically) has the update's status and ends with the update's own history entry as
 * given. A store that ignores an update on a final message notes it with "(ignored: …)" appended,
 * and a part report that does not settle the whole message leaves another status: neither counts,
 * so a repeated or late receipt is never counted twice.
 */
const COUNTED_UPDATES: ReadonlySet<SmsStatus> = new Set(['sent', 'unknown', 'delivered', 'failed', 'expired']);

export class CountingMessageStore implements MessageStore {
  constructor(
    private readonly store: MessageStore,
    private readonly funnels: FunnelRecorder,
  ) {}

  async create(message: SmsMessage): Promise<{ created: boolean; message: SmsMessage }> {
    const result = await this.store.create(message);
    if (result.created) this.funnels.sms(result.message.route, result.message.status);
    return result;
  }

  async transition(id: string, update: StatusUpdate): Promise<SmsMessage | null> {
    const message = await this.store.transition(id, update);
    const last = message?.history.at(-1);
    // A push the handset confirmed is `delivered` without any SMS: not an SMS delivered on the route.
    if (update.push?.phase === 'confirmed') return message;
    if (message && update.status !== undefined && COUNTED_UPDATES.has(update.status) && message.status === update.status && last?.status === update.status && last.detail === update.detail) {
      this.funnels.sms(message.route, message.status);
    }
    return message;
  }

  get(id: string) {
    return this.store.get(id);
  }
  findByProviderId(route: string, providerMessageId: string) {
    return this.store.findByProviderId(route, providerMessageId);
  }
  parkReport(route: string, providerMessageId: string, report: ParkedReport) {
    return this.store.parkReport(route, providerMessageId, report);
  }
  takeParkedReports(route: string, providerMessageId: string) {
    return this.store.takeParkedReports(route, providerMessageId);
  }
  claimOnce(key: string, ttlSeconds: number) {
    return this.store.claimOnce(key, ttlSeconds);
  }
  overdue(now: Date, limit: number) {
    return this.store.overdue(now, limit);
  }
}
