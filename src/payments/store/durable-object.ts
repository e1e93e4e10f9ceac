import { callDurableObject, DurableIndex, sortableMs, type DurableNamespace, type DurableState } from '../../lib/durable-objects.js';
import { decideTransition, type NewPayment, type Payment, type ReconciliationFlag, type TransitionOutcome, type TransitionRequest } from '../payment.js';
import { isSafeKeyPart } from '../payment-id.js';
import { financeDay, type PaymentStore } from './port.js';

/*
 * Payments on Cloudflare Workers.
 *
 * Records: one Durable Object per request number (`PaymentRequestObject`, named
 * `payreq:<number>`) holds that request's payments and its locks. Why per request and not one
 * object per payment: each Lua script of the Redis store is one atomic step over a payment *and*
 * its request's keys (create checks "already paid" and takes the request's lock with the new
 * payment; a success releases the lock and names the request's first success with the move). In
 * one object per request each of those scripts is one request to one object, exactly as atomic
 * as the script; split over a payment object and a request object they would be two writes, and a
 * crash between "succeeded" and "the request is paid" would let a second payment be created: a
 * double charge. A request has a handful of payments, so its object stays small.
 *
 * Indexes, each a `DurableIndexObject` (`src/lib/durable-objects.ts`), eventually consistent:
 * - `pay-id:<id>`: the payment's request number (written once, first writer wins);
 * - `pay-day:<YYYY-MM-DD>`: the payments created on a finance day, for the daily report;
 * - `pay-open`: unfinished payments keyed `<expiry ms>:<id>`, for the overdue sweep.
 * Indexes are written *before* the record and cleared *after* it, and every read confirms what an
 * index names against the record (state, expiry, day). So an index may name too much (a create
 * refused or cut short, a finish whose clean-up was lost), which the read drops and the sweep
 * prunes, but never too little: no payment is missing from the report, and no unfinished payment
 * escapes the overdue sweep, whatever step a crash interrupts. Money moves only on the record,
 * where each move is atomic, so no crash between steps can credit a payment twice.
 */

interface RequestLocks {
  /** The unfinished payment started by the request's holder, if any. */
  holder?: string;
  /** The unfinished payment started by someone else, if any. */
  other?: string;
  /** The request's most recent payment. */
  last?: string;
  /** The request's first payment that succeeded. */
  paid?: string;
}

type RequestCommand =
  | { op: 'create'; payment: NewPayment }
  | { op: 'get'; ids: string[] }
  | { op: 'latest' }
  | { op: 'paid' }
  | { op: 'transition'; id: string; request: TransitionRequest; retentionMs: number }
  | { op: 'remember'; id: string; reference: string }
  | { op: 'flag'; id: string; flag: ReconciliationFlag }
  | { op: 'notified'; id: string; at: string };

const isFinal = (payment: Payment) => payment.state === 'succeeded' || payment.state === 'failed' || payment.state === 'expired';

/**
 * The Durable Object class (bound as `PAYMENTS` in wrangler.toml): one request number's payments.
 * Each command below is one request, run alone (the input gate), touching only this object's
 * storage: the same check-then-move the Redis store's Lua scripts make.
 */
export class PaymentRequestObject {
  constructor(private readonly state: DurableState) {}

  async fetch(request: Request): Promise<Response> {
    const command = (await request.json()) as RequestCommand;
    return Response.json(await this.run(command));
  }

  private async run(command: RequestCommand): Promise<unknown> {
    const storage = this.state.storage;
    const locks = (await storage.get<RequestLocks>('locks')) ?? {};
    switch (command.op) {
      case 'create': {
        const { payment } = command;
        if (await this.payment(payment.id)) return { created: false, exists: true };
        if (locks.paid) return { created: false };
        if (locks.last && (await this.payment(locks.last))?.state === 'succeeded') return { created: false };
        const byHolder = (payment.startedBy ?? 'holder') === 'holder';
        // The holder waits only for their own unfinished payment, never for a stranger's.
        if (locks.holder || (!byHolder && locks.other)) return { created: false };
        await storage.put<Payment>(`p:${payment.id}`, { ...payment, state: 'created', needsReconciliation: false, history: [] });
        await storage.put<RequestLocks>('locks', { ...locks, [byHolder ? 'holder' : 'other']: payment.id, last: payment.id });
        return { created: true };
      }
      case 'get': {
        const found = await Promise.all(command.ids.map((id) => this.payment(id)));
        return found.filter((p): p is Payment => p !== undefined);
      }
      case 'latest':
        return (locks.last && (await this.payment(locks.last))) ?? null;
      case 'paid':
        return locks.paid ?? null;
      case 'transition': {
        const payment = await this.payment(command.id);
        if (!payment) return { kind: 'missing' } satisfies TransitionOutcome;
        const outcome = decideTransition(payment, command.request);
        if (outcome.kind === 'missing') return outcome;
        if (outcome.kind === 'applied' || outcome.kind === 'flagged') await storage.put(`p:${command.id}`, outcome.payment);
        if (outcome.kind === 'applied' && isFinal(outcome.payment)) {
          const next = { ...locks };
          if (next.holder === command.id) delete next.holder;
          if (next.other === command.id) delete next.other;
          if (outcome.payment.state === 'succeeded') next.paid ??= command.id;
          await storage.put<RequestLocks>('locks', next);
          // A finished request is kept for the retention period (audit, reconciliation), then goes.
          await storage.put('keepUntil', Date.now() + command.retentionMs);
          await storage.setAlarm(Date.now() + command.retentionMs);
        }
        return outcome;
      }
      case 'remember': {
        const payment = await this.payment(command.id);
        if (!payment) return { reference: null };
        if (payment.providerReference === undefined) await storage.put(`p:${command.id}`, { ...payment, providerReference: command.reference });
        return { reference: payment.providerReference ?? command.reference };
      }
      case 'flag': {
        const payment = await this.payment(command.id);
        if (!payment || payment.reconciliationFlags?.includes(command.flag)) return { added: false };
        await storage.put(`p:${command.id}`, { ...payment, reconciliationFlags: [...(payment.reconciliationFlags ?? []), command.flag].sort() });
        return { added: true };
      }
      case 'notified': {
        const payment = await this.payment(command.id);
        if (!payment || payment.portalNotifiedAt) return { recorded: false };
        await storage.put(`p:${command.id}`, { ...payment, portalNotifiedAt: command.at });
        return { recorded: true };
      }
    }
  }

  /** Past the retention of its last finished payment, and with none unfinished, the request goes. */
  async alarm(): Promise<void> {
    const until = await this.state.storage.get<number>('keepUntil');
    if (until === undefined || until > Date.now()) return;
    const payments = await this.state.storage.list<Payment>({ prefix: 'p:' });
    if ([...payments.values()].every(isFinal)) await this.state.storage.deleteAll();
  }

  private payment(id: string): Promise<Payment | undefined> {
    return this.state.storage.get<Payment>(`p:${id}`);
  }
}

export interface DurableObjectPaymentStoreOptions {
  /** The `PaymentRequestObject` namespace. */
  requests: DurableNamespace;
  /** A `DurableIndexObject` namespace (may be shared with other stores: index names are prefixed). */
  indexes: DurableNamespace;
  /** How long a finished payment is kept (default 400 days, as the Redis store). */
  retentionMs?: number;
}

const OPEN_INDEX = 'pay-open';
/** A payment whose create was cut short leaves an open entry without a record: kept this long past its expiry in case the create is still on its way. */
const ORPHAN_GRACE_MS = 10 * 60_000;

/** `PaymentStore` over Durable Objects; see the comment at the top of the file for what is atomic. */
export class DurableObjectPaymentStore implements PaymentStore {
  private readonly indexes: DurableIndex;
  private readonly retentionMs: number;

  constructor(private readonly options: DurableObjectPaymentStoreOptions) {
    this.indexes = new DurableIndex(options.indexes);
    this.retentionMs = options.retentionMs ?? 400 * 24 * 3_600_000;
  }

  async create(payment: NewPayment): Promise<boolean> {
    if (!isSafeKeyPart(payment.id) || !isSafeKeyPart(payment.requestNumber)) return false;
    // The id's directory entry outlives the record (kept from the payment's last finish).
    const keepUntil = Date.now() + this.retentionMs + 30 * 24 * 3_600_000;
    const directory = await this.indexes.putIfAbsent(`pay-id:${payment.id}`, 'request', payment.requestNumber, keepUntil);
    if (directory.value !== payment.requestNumber) return false; // the id belongs to another request's payment
    // Indexes first: a crash after them leaves entries the reads drop, never a payment they miss.
    const day = `pay-day:${financeDay(payment.createdAt)}`;
    const openKey = `${sortableMs(Date.parse(payment.expiresAt))}:${payment.id}`;
    await this.indexes.put(day, payment.id, payment.requestNumber, keepUntil);
    await this.indexes.put(OPEN_INDEX, openKey, payment.requestNumber);
    const { created, exists } = await this.request<{ created: boolean; exists?: boolean }>(payment.requestNumber, { op: 'create', payment });
    if (!created && !exists && directory.written) {
      // The id was new and no record has it, so these entries name nothing else: take them back
      // now rather than at the next sweep.
      await Promise.all([this.indexes.delete(day, [payment.id]), this.indexes.delete(OPEN_INDEX, [openKey]), this.indexes.delete(`pay-id:${payment.id}`, ['request'])]);
    }
    return created;
  }

  async get(id: string): Promise<Payment | null> {
    const requestNumber = await this.requestOf(id);
    if (!requestNumber) return null;
    const [payment] = await this.request<Payment[]>(requestNumber, { op: 'get', ids: [id] });
    return payment ?? null;
  }

  /** The object keeps a payment as one record: the same read as `get`, the Worker's path is not the hot one. */
  async providerOf(id: string): Promise<string | null> {
    return (await this.get(id))?.provider ?? null;
  }

  async latestForRequest(requestNumber: string): Promise<Payment | null> {
    if (!isSafeKeyPart(requestNumber)) return null;
    return this.request<Payment | null>(requestNumber, { op: 'latest' });
  }

  async transition(id: string, request: TransitionRequest): Promise<TransitionOutcome> {
    const requestNumber = await this.requestOf(id);
    if (!requestNumber) return { kind: 'missing' };
    const outcome = await this.request<TransitionOutcome>(requestNumber, { op: 'transition', id, request, retentionMs: this.retentionMs });
    if (outcome.kind === 'applied' && isFinal(outcome.payment)) {
      // After the record: if this is lost, the sweep finds the entry, sees the payment finished and prunes it.
      await this.indexes.delete(OPEN_INDEX, [`${sortableMs(Date.parse(outcome.payment.expiresAt))}:${id}`]);
    }
    return outcome;
  }

  async rememberReference(id: string, reference: string): Promise<string | null> {
    const requestNumber = await this.requestOf(id);
    if (!requestNumber) return null;
    return (await this.request<{ reference: string | null }>(requestNumber, { op: 'remember', id, reference })).reference;
  }

  async flag(id: string, flag: ReconciliationFlag): Promise<boolean> {
    const requestNumber = await this.requestOf(id);
    if (!requestNumber) return false;
    return (await this.request<{ added: boolean }>(requestNumber, { op: 'flag', id, flag })).added;
  }

  async markPortalNotified(id: string, atIso: string): Promise<boolean> {
    const requestNumber = await this.requestOf(id);
    if (!requestNumber) return false;
    return (await this.request<{ recorded: boolean }>(requestNumber, { op: 'notified', id, at: atIso })).recorded;
  }

  async paidPaymentOf(requestNumber: string): Promise<string | null> {
    if (!isSafeKeyPart(requestNumber)) return null;
    return this.request<string | null>(requestNumber, { op: 'paid' });
  }

  /**
   * Reads the open index up to `nowIso` and keeps what the records confirm: still unfinished, and
   * expiring when the entry says. Entries the records contradict are pruned on the way.
   */
  async overdue(nowIso: string, limit: number): Promise<string[]> {
    const nowMs = Date.parse(nowIso);
    const end = sortableMs(nowMs + 1);
    const due: string[] = [];
    let start: string | undefined;
    while (due.length < limit) {
      const entries = await this.indexes.list(OPEN_INDEX, { ...(start !== undefined ? { start } : {}), end, limit: Math.max(limit, 50) });
      if (entries.length === 0) break;
      const confirmed = await this.confirm(entries.map((e) => ({ id: e.key.slice(e.key.indexOf(':') + 1), requestNumber: e.value, key: e.key })));
      const stale: string[] = [];
      for (const entry of entries) {
        const id = entry.key.slice(entry.key.indexOf(':') + 1);
        const expiresMs = Number(entry.key.slice(0, entry.key.indexOf(':')));
        const payment = confirmed.get(id);
        if (payment && !isFinal(payment) && Date.parse(payment.expiresAt) === expiresMs) {
          if (due.length < limit) due.push(id);
        } else if (payment || expiresMs + ORPHAN_GRACE_MS < nowMs) {
          stale.push(entry.key);
        }
      }
      if (stale.length > 0) await this.indexes.delete(OPEN_INDEX, stale);
      start = `${entries.at(-1)!.key}\u0000`;
    }
    return due;
  }

  async createdOn(day: string): Promise<Payment[]> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return [];
    const entries = await this.indexes.list(`pay-day:${day}`);
    const confirmed = await this.confirm(entries.map((e) => ({ id: e.key, requestNumber: e.value })));
    return [...confirmed.values()].filter((p) => financeDay(p.createdAt) === day);
  }

  /** The records an index names, one request per request number. */
  private async confirm(named: { id: string; requestNumber: string }[]): Promise<Map<string, Payment>> {
    const byRequest = new Map<string, string[]>();
    for (const { id, requestNumber } of named) {
      if (!isSafeKeyPart(id) || !isSafeKeyPart(requestNumber)) continue;
      byRequest.set(requestNumber, [...(byRequest.get(requestNumber) ?? []), id]);
    }
    const found = await Promise.all([...byRequest].map(([requestNumber, ids]) => this.request<Payment[]>(requestNumber, { op: 'get', ids })));
    return new Map(found.flat().map((p) => [p.id, p]));
  }

  private async requestOf(id: string): Promise<string | null> {
    if (!isSafeKeyPart(id)) return null;
    return this.indexes.get(`pay-id:${id}`, 'request');
  }

  private request<Reply>(requestNumber: string, command: RequestCommand): Promise<Reply> {
    return callDurableObject<Reply>(this.options.requests, `payreq:${requestNumber}`, command);
  }
}
