import { applyUpdate, FINAL_STATUSES, PARKED_REPORT_SECONDS, providerIdsOf, type MessageStore, type ParkedReport, type SmsMessage, type StatusUpdate } from './port.js';

/** Messages the embedded default keeps at most (`MemoryMessageStore`); ~1.7 KB each. */
export const DEFAULT_MEMORY_MESSAGES = 20_000;

/**
 * The embedded default's store. Bounded: past `maxMessages` the oldest final messages are
 * forgotten first (with their idempotency key and provider ids); only when none is final does
 * the oldest message of all go, so memory stays bounded whatever the SMSC does.
 */
export class MemoryMessageStore implements MessageStore {
  /** In creation order (a Map keeps insertion order): the first entries are the oldest. */
  private readonly messages = new Map<string, SmsMessage>();
  private readonly byKey = new Map<string, string>();
  private readonly byProvider = new Map<string, string>();
  private readonly parked = new Map<string, { reports: ParkedReport[]; until: number }>();
  private readonly claims = new Map<string, number>();

  constructor(private readonly maxMessages = DEFAULT_MEMORY_MESSAGES) {}

  get size(): number {
    return this.messages.size;
  }

  async create(message: SmsMessage) {
    const existing = this.byKey.get(message.idempotencyKey);
    if (existing) return { created: false, message: this.messages.get(existing)! };
    this.messages.set(message.id, message);
    this.byKey.set(message.idempotencyKey, message.id);
    if (this.messages.size > this.maxMessages) this.evict();
    return { created: true, message };
  }

  async get(id: string) {
    return this.messages.get(id) ?? null;
  }

  async transition(id: string, update: StatusUpdate) {
    const message = this.messages.get(id);
    if (!message) return null;
    const next = applyUpdate(message, update, new Date().toISOString());
    this.messages.set(id, next);
    for (const providerId of providerIdsOf(update)) this.byProvider.set(`${next.route}:${providerId}`, id);
    return next;
  }

  async overdue(now: Date, limit: number) {
    const ids: string[] = [];
    const at = now.toISOString();
    for (const m of this.messages.values()) {
      if (ids.length >= limit) break;
      if (m.expiresAt !== undefined && m.expiresAt < at && !FINAL_STATUSES.includes(m.status)) ids.push(m.id);
    }
    return ids;
  }

  /** Forgets a tenth of the bound at once (oldest final first), so eviction is not paid on every create. */
  private evict(): void {
    let excess = this.messages.size - this.maxMessages + Math.ceil(this.maxMessages / 10);
    for (const finalOnly of [true, false]) {
      for (const m of this.messages.values()) {
        if (excess <= 0) return;
        if (finalOnly && !FINAL_STATUSES.includes(m.status)) continue;
        this.forget(m);
        excess--;
      }
    }
  }

  private forget(m: SmsMessage): void {
    this.messages.delete(m.id);
    if (this.byKey.get(m.idempotencyKey) === m.id) this.byKey.delete(m.idempotencyKey);
    for (const providerId of [m.providerMessageId, ...(m.parts ?? []).map((p) => p.providerMessageId)]) {
      if (providerId) this.byProvider.delete(`${m.route}:${providerId}`);
    }
  }

  async findByProviderId(route: string, providerMessageId: string) {
    return this.byProvider.get(`${route}:${providerMessageId}`) ?? null;
  }

  async parkReport(route: string, providerMessageId: string, report: ParkedReport) {
    const key = `${route}:${providerMessageId}`;
    if (this.parked.size > 10_000) for (const [k, e] of this.parked) if (e.until <= Date.now()) this.parked.delete(k);
    const entry = this.parked.get(key);
    if (entry && entry.until > Date.now()) entry.reports.push(report);
    else this.parked.set(key, { reports: [report], until: Date.now() + PARKED_REPORT_SECONDS * 1000 });
  }

  async takeParkedReports(route: string, providerMessageId: string) {
    const key = `${route}:${providerMessageId}`;
    const entry = this.parked.get(key);
    this.parked.delete(key);
    return entry && entry.until > Date.now() ? entry.reports : [];
  }

  async claimOnce(key: string, ttlSeconds: number) {
    const now = Date.now();
    // The embedded default lives for weeks: forget expired claims now and then.
    if (this.claims.size > 10_000) for (const [k, until] of this.claims) if (until <= now) this.claims.delete(k);
    const until = this.claims.get(key);
    if (until !== undefined && until > now) return false;
    this.claims.set(key, now + ttlSeconds * 1000);
    return true;
  }
}
