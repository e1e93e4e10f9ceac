/**
 * Where every outbound SMS and its delivery status live. Statuses only move forward: once a
 * message is delivered, failed or expired, later or repeated reports change nothing (reports
 * arrive late, twice, out of order). A report with a status we do not know is kept in the
 * history and changes nothing either: unknown is never final.
 */
export const SMS_STATUSES = ['queued', 'sent', 'delivered', 'failed', 'expired'] as const;
export type SmsStatus = (typeof SMS_STATUSES)[number];
export const FINAL_STATUSES: readonly SmsStatus[] = ['delivered', 'failed', 'expired'];

export interface SmsMessage {
  id: string;
  /** E.164. */
  to: string;
  text: string;
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
  route: string;
  purpose: string;
  idempotencyKey: string;
  /** Who asked for it: an agency for the notification API, `guichet` for the gateway's own. */
  requestedBy: string;
  status: SmsStatus;
  providerMessageId?: string;
  createdAt: string;
  updatedAt: string;
  history: { at: string; status?: SmsStatus; detail: string }[];
}

export interface StatusUpdate {
  /** Absent: a report we could not map; it is recorded, nothing changes. */
  status?: SmsStatus;
  providerMessageId?: string;
  detail: string;
}

export interface MessageStore {
  /** Creates the message unless its idempotency key is known; then returns the existing one. */
  create(message: SmsMessage): Promise<{ created: boolean; message: SmsMessage }>;
  get(id: string): Promise<SmsMessage | null>;
  /** Applies an update unless the message is already final; returns the message as it is now. */
  transition(id: string, update: StatusUpdate): Promise<SmsMessage | null>;
  /** Our id for a provider's message id (delivery reports carry only theirs). */
  findByProviderId(route: string, providerMessageId: string): Promise<string | null>;
}

/** The transition rule, shared by every store: final statuses stay, unknown ones are only noted. */
export function applyUpdate(message: SmsMessage, update: StatusUpdate, now: string): SmsMessage {
  const entry = { at: now, detail: update.detail, ...(update.status ? { status: update.status } : {}) };
  if (FINAL_STATUSES.includes(message.status)) return { ...message, history: [...message.history, { ...entry, detail: `${update.detail} (ignored: already ${message.status})` }] };
  const forward = update.status !== undefined && !(update.status === 'sent' && message.status !== 'queued');
  return {
    ...message,
    ...(forward ? { status: update.status } : {}),
    ...(update.providerMessageId ? { providerMessageId: update.providerMessageId } : {}),
    updatedAt: now,
    history: [...message.history, entry],
  };
}

export class MemoryMessageStore implements MessageStore {
  private readonly messages = new Map<string, SmsMessage>();
  private readonly byKey = new Map<string, string>();
  private readonly byProvider = new Map<string, string>();

  async create(message: SmsMessage) {
    const existing = this.byKey.get(message.idempotencyKey);
    if (existing) return { created: false, message: this.messages.get(existing)! };
    this.messages.set(message.id, message);
    this.byKey.set(message.idempotencyKey, message.id);
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
    if (next.providerMessageId) this.byProvider.set(`${next.route}:${next.providerMessageId}`, id);
    return next;
  }

  async findByProviderId(route: string, providerMessageId: string) {
    return this.byProvider.get(`${route}:${providerMessageId}`) ?? null;
  }
}
