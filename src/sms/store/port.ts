/**
 * Where every outbound SMS and its delivery status live. Statuses only move forward: once a
 * message is delivered, failed or expired, later or repeated reports change nothing (reports
 * arrive late, twice, out of order). A report with a status we do not know is kept in the
 * history and changes nothing either: unknown is never final.
 *
 * A long message travels as several parts, each with its own provider id and receipt: the
 * message is delivered once every part is, failed (or expired) as soon as one part is.
 *
 * Backends: `memory.ts` (the embedded default, bounded), `redis.ts` (shared by instances) and
 * `durable-object.ts` (Workers), all applying `applyUpdate` below and running one conformance
 * suite (`conformance.ts`).
 */
import type { PushOutcomeCode, PushPhase, PushState } from '../../ussd-push/port.js';

export const SMS_STATUSES = ['queued', 'sending', 'unknown', 'sent', 'delivered', 'failed', 'expired'] as const;
export type SmsStatus = (typeof SMS_STATUSES)[number];
export const FINAL_STATUSES: readonly SmsStatus[] = ['delivered', 'failed', 'expired'];
/**
 * `sending`: claimed by a worker and recorded before its submit leaves, so a re-run (a stalled job,
 * a retry after the store failed) knows a submit may have left. `unknown`: a submit whose fate we
 * cannot know (no answer, or accepted but not recorded); it is never sent again, waits for a
 * receipt that can still find it, and expires with the route's validity period otherwise.
 */
export const IN_FLIGHT_STATUSES: readonly SmsStatus[] = ['sending', 'unknown', 'sent'];

/** Non-final statuses only move up this order (a late `sent` never undoes a `delivered`). */
const RANK: Readonly<Record<SmsStatus, number>> = { queued: 0, sending: 1, unknown: 2, sent: 3, delivered: 4, failed: 4, expired: 4 };

export interface SmsPart {
  providerMessageId: string;
  /** 0-based position in the message. */
  index: number;
  /** Absent until the part's first report. */
  status?: SmsStatus;
}

export interface SmsMessage {
  id: string;
  /** E.164. */
  to: string;
  /** The sender shown, when not the route's own (a reply goes from the short code the citizen texted). */
  from?: string;
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
  /** How many parts the route sends it as, once the first was accepted. */
  partCount?: number;
  /** The parts accepted so far, with their own receipts. */
  parts?: SmsPart[];
  /** Who claimed the send (one worker run): a second claimer sees someone else's token. */
  claim?: string;
  /**
   * When a message still without a receipt is given up as `expired`: set at the claim, from the
   * route's validity period (`SMS_VALIDITY_HOURS`), as the SMSC itself stops trying then.
   */
  expiresAt?: string;
  /**
   * `ussd-push`: an agency's notification asked to be pushed on the handset's screen first; this
   * message is then the fallback SMS, held (not queued on its route) until `push.phase` is `fallback`.
   */
  channel?: 'sms' | 'ussd-push';
  push?: PushState;
  createdAt: string;
  updatedAt: string;
  history: { at: string; status?: SmsStatus; detail: string }[];
}

export interface StatusUpdate {
  /** Absent: a report we could not map; it is recorded, nothing changes. */
  status?: SmsStatus;
  providerMessageId?: string;
  /** A part the route accepted (recorded, and its id found again by `findByProviderId`). */
  acceptedPart?: { providerMessageId: string; index: number; count: number };
  /** The provider id the report is about: one part of a long message. */
  reportedPart?: string;
  /**
   * Applied only when the message is in this status (a claim `queued` → `sending`, a known refusal
   * `sending` → `queued`); otherwise nothing changes and nothing is noted. With it the status is
   * set as given, even backwards.
   */
  expect?: SmsStatus;
  claim?: string;
  expiresAt?: string;
  /**
   * A move of the USSD push, applied only when the push is in `expect` (else nothing changes and
   * nothing is noted), with whatever else the update says (a confirmed push is `delivered`).
   */
  push?: { expect: PushPhase; phase: PushPhase; outcome?: PushOutcomeCode; claim?: string; notBefore?: string };
  detail: string;
}

/** A delivery report that came before we knew its provider id, kept until the id is recorded. */
export interface ParkedReport {
  status?: SmsStatus;
  raw: string;
}

export interface MessageStore {
  /** Creates the message unless its idempotency key is known; then returns the existing one. */
  create(message: SmsMessage): Promise<{ created: boolean; message: SmsMessage }>;
  get(id: string): Promise<SmsMessage | null>;
  /** Applies an update unless the message is already final; returns the message as it is now. */
  transition(id: string, update: StatusUpdate): Promise<SmsMessage | null>;
  /** Our id for a provider's message id (delivery reports carry only theirs), for every part. */
  findByProviderId(route: string, providerMessageId: string): Promise<string | null>;
  /** Keeps reports for a provider id not recorded yet (each report once, in arrival order). */
  parkReport(route: string, providerMessageId: string, report: ParkedReport): Promise<void>;
  /** Takes the parked reports of a provider id: each is returned to one caller only. */
  takeParkedReports(route: string, providerMessageId: string): Promise<ParkedReport[]>;
  /** True the first time a key is claimed within `ttlSeconds` (inbound messages without a stable id). */
  claimOnce(key: string, ttlSeconds: number): Promise<boolean>;
  /** Ids of messages not final whose `expiresAt` is before `now`, at most `limit`. */
  overdue(now: Date, limit: number): Promise<string[]>;
}

/** How long a report waits for its provider id: an SMSC answers in seconds; a lost id stays lost. */
export const PARKED_REPORT_SECONDS = 600;

/** The provider ids an update makes findable, each once (a first part's id is also the message's). */
export function providerIdsOf(update: StatusUpdate): string[] {
  const ids = [update.providerMessageId, update.acceptedPart?.providerMessageId].filter((id): id is string => Boolean(id));
  return ids.length === 2 && ids[0] === ids[1] ? [ids[0]!] : ids;
}

/** The transition rule, shared by every store: final statuses stay, unknown ones are only noted. */
export function applyUpdate(message: SmsMessage, update: StatusUpdate, now: string): SmsMessage {
  if (update.push) {
    // One claimer wins (`expect`), as for the SMS claim; a final message keeps its push as it was.
    if (!message.push || message.push.phase !== update.push.expect || FINAL_STATUSES.includes(message.status)) return message;
    const { expect: _expect, ...move } = update.push;
    const { push: _push, ...rest } = update;
    return applyUpdate({ ...message, push: { ...message.push, ...move } }, rest, now);
  }
  if (update.expect !== undefined) {
    if (message.status !== update.expect) return message;
    return {
      ...message,
      ...(update.status ? { status: update.status } : {}),
      ...(update.claim !== undefined ? { claim: update.claim } : {}),
      ...(update.expiresAt !== undefined ? { expiresAt: update.expiresAt } : {}),
      updatedAt: now,
      history: [...message.history, { at: now, detail: update.detail, ...(update.status ? { status: update.status } : {}) }],
    };
  }
  const entry = { at: now, detail: update.detail, ...(update.status ? { status: update.status } : {}) };
  if (FINAL_STATUSES.includes(message.status)) return { ...message, history: [...message.history, { ...entry, detail: `${update.detail} (ignored: already ${message.status})` }] };
  let parts = message.parts;
  let partCount = message.partCount;
  if (update.acceptedPart) {
    const { providerMessageId, index, count } = update.acceptedPart;
    partCount = count;
    // A part's receipt may be applied before its acceptance is recorded: keep what is known.
    if (!parts?.some((p) => p.providerMessageId === providerMessageId)) parts = [...(parts ?? []), { providerMessageId, index }];
  }
  let status = update.status;
  if (update.reportedPart && parts?.some((p) => p.providerMessageId === update.reportedPart)) {
    parts = parts.map((p) => (p.providerMessageId === update.reportedPart && update.status && !(p.status && FINAL_STATUSES.includes(p.status)) ? { ...p, status: update.status } : p));
    status = messageStatusFromParts(parts, partCount ?? parts.length, update.status);
  }
  const forward = status !== undefined && (FINAL_STATUSES.includes(status) || RANK[status] > RANK[message.status]);
  return {
    ...message,
    ...(forward ? { status } : {}),
    ...(update.providerMessageId && !message.providerMessageId ? { providerMessageId: update.providerMessageId } : {}),
    ...(parts ? { parts } : {}),
    ...(partCount !== undefined ? { partCount } : {}),
    updatedAt: now,
    history: [...message.history, entry],
  };
}

/** One failed or expired part decides; delivered needs every part; otherwise the report's own news. */
function messageStatusFromParts(parts: SmsPart[], count: number, reported: SmsStatus | undefined): SmsStatus | undefined {
  if (parts.some((p) => p.status === 'failed')) return 'failed';
  if (parts.some((p) => p.status === 'expired')) return 'expired';
  if (parts.length >= count && parts.every((p) => p.status === 'delivered')) return 'delivered';
  return reported === undefined ? undefined : 'sent';
}
