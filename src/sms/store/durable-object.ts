import { callDurableObject, DurableIndex, sortableMs, type DurableNamespace, type DurableState } from '../../lib/durable-objects.js';
import { applyUpdate, FINAL_STATUSES, PARKED_REPORT_SECONDS, providerIdsOf, type MessageStore, type ParkedReport, type SmsMessage, type StatusUpdate } from './port.js';

/*
 * Outbound SMS on Cloudflare Workers.
 *
 * Record: one Durable Object per idempotency key (`SmsMessageObject`, named `sms-key:<key>`)
 * holds the message created with that key. So the atomic create of the Redis store (the key and
 * the message in one script) is one request to one object: whoever comes first creates, every
 * other caller gets that message, and no crash can leave a key without its message. A status
 * update is one request to the same object (`applyUpdate`, the rule every store shares), so two
 * reports racing cannot lose one another.
 *
 * Indexes (`DurableIndexObject`, `src/lib/durable-objects.ts`), eventually consistent:
 * - `sms-id:<id>`: the message's idempotency key and route, written before the create. An entry
 *   whose key holds another message (that key was used first) names nothing: `get` checks the id.
 * - `sms-prov:<route>:<provider id>`: our id, written before the transition that records the
 *   provider id. If that transition is lost, a receipt still finds the message and applies to it,
 *   which is right: the provider has the message, or it would not report on it.
 * - `sms-pending`: messages in flight keyed `<expiresAt ms>:<id>`, written before the transition
 *   that sets `expiresAt`, removed after the one that makes the message final; the expiry sweep
 *   confirms each against the record and prunes what it contradicts.
 * - `sms-parked:<route>:<provider id>` (reports waiting for their id, taken in one request) and
 *   `sms-claim:<key>` (a lease): one object each, atomic by themselves.
 * So an index may name too much, which the record corrects, but a receipt is never lost to a
 * missing index entry and no message in flight escapes the sweep.
 */

/** Messages are kept for the finance and operations reports, then go (as in Redis). */
const KEEP_MS = 30 * 24 * 3_600_000;

type MessageCommand =
  | { op: 'create'; message: SmsMessage }
  | { op: 'get' }
  | { op: 'transition'; id: string; update: StatusUpdate };

/** The Durable Object class (bound as `SMS_MESSAGES` in wrangler.toml): the message of one idempotency key. */
export class SmsMessageObject {
  constructor(private readonly state: DurableState) {}

  async fetch(request: Request): Promise<Response> {
    const command = (await request.json()) as MessageCommand;
    const stored = await this.live();
    switch (command.op) {
      case 'create': {
        if (stored) return Response.json({ created: false, message: stored });
        await this.keep(command.message);
        return Response.json({ created: true, message: command.message });
      }
      case 'get':
        return Response.json(stored ?? null);
      case 'transition': {
        if (!stored || stored.id !== command.id) return Response.json(null);
        const next = applyUpdate(stored, command.update, new Date().toISOString());
        await this.keep(next);
        return Response.json(next);
      }
    }
  }

  /** Past its keeping time the message is gone, and its key free again (Redis's key expiry). */
  async alarm(): Promise<void> {
    if (!(await this.live())) await this.state.storage.deleteAll();
  }

  private async live(): Promise<SmsMessage | undefined> {
    const until = await this.state.storage.get<number>('keepUntil');
    return until !== undefined && until > Date.now() ? this.state.storage.get<SmsMessage>('message') : undefined;
  }

  private async keep(message: SmsMessage): Promise<void> {
    const until = Date.now() + KEEP_MS;
    await this.state.storage.put('message', message);
    await this.state.storage.put('keepUntil', until);
    await this.state.storage.setAlarm(until);
  }
}

export interface DurableObjectMessageStoreOptions {
  /** The `SmsMessageObject` namespace. */
  messages: DurableNamespace;
  /** A `DurableIndexObject` namespace (may be shared with other stores: index names are prefixed). */
  indexes: DurableNamespace;
}

interface DirectoryEntry {
  key: string;
  route: string;
}

const PENDING_INDEX = 'sms-pending';
/** Longer names are no message of ours (ids are UUIDs, keys at most an agency and 128 characters). */
const MAX_NAME = 300;

/** `MessageStore` over Durable Objects; see the comment at the top of the file for what is atomic. */
export class DurableObjectMessageStore implements MessageStore {
  private readonly indexes: DurableIndex;

  constructor(private readonly options: DurableObjectMessageStoreOptions) {
    this.indexes = new DurableIndex(options.indexes);
  }

  async create(message: SmsMessage): Promise<{ created: boolean; message: SmsMessage }> {
    // The directory first: a crash after it leaves an entry `get` ignores, never a message without one.
    const entry = JSON.stringify({ key: message.idempotencyKey, route: message.route } satisfies DirectoryEntry);
    const directory = await this.indexes.putIfAbsent(`sms-id:${message.id}`, 'key', entry, Date.now() + KEEP_MS);
    if (directory.value !== entry) throw new Error(`message id ${message.id} is already another message's`);
    const result = await this.message<{ created: boolean; message: SmsMessage }>(message.idempotencyKey, { op: 'create', message });
    // The key was used first: this id names nothing, and was ours alone to write.
    if (!result.created && directory.written) await this.indexes.delete(`sms-id:${message.id}`, ['key']);
    return result;
  }

  async get(id: string): Promise<SmsMessage | null> {
    const { key } = (await this.directoryOf(id)) ?? {};
    if (key === undefined) return null;
    const message = await this.message<SmsMessage | null>(key, { op: 'get' });
    return message?.id === id ? message : null;
  }

  async transition(id: string, update: StatusUpdate): Promise<SmsMessage | null> {
    const directory = await this.directoryOf(id);
    if (!directory) return null;
    const { key, route } = directory;
    // Indexes before the record (see the top of the file).
    for (const providerId of providerIdsOf(update)) await this.indexes.put(this.providerIndex(route, providerId), 'id', id, Date.now() + KEEP_MS);
    if (update.expiresAt !== undefined) await this.indexes.put(PENDING_INDEX, `${sortableMs(Date.parse(update.expiresAt))}:${id}`, key);
    const next = await this.message<SmsMessage | null>(key, { op: 'transition', id, update });
    if (next && FINAL_STATUSES.includes(next.status) && next.expiresAt !== undefined) {
      // After the record: a lost clean-up is pruned by the sweep, which sees the message final.
      await this.indexes.delete(PENDING_INDEX, [`${sortableMs(Date.parse(next.expiresAt))}:${id}`]);
    }
    return next;
  }

  async findByProviderId(route: string, providerMessageId: string): Promise<string | null> {
    if (route.length > MAX_NAME || providerMessageId.length > MAX_NAME) return null;
    return this.indexes.get(this.providerIndex(route, providerMessageId), 'id');
  }

  async parkReport(route: string, providerMessageId: string, report: ParkedReport): Promise<void> {
    if (route.length > MAX_NAME || providerMessageId.length > MAX_NAME) return;
    await this.indexes.append(`sms-parked:${route}:${providerMessageId}`, JSON.stringify(report), Date.now() + PARKED_REPORT_SECONDS * 1000);
  }

  async takeParkedReports(route: string, providerMessageId: string): Promise<ParkedReport[]> {
    if (route.length > MAX_NAME || providerMessageId.length > MAX_NAME) return [];
    return (await this.indexes.take(`sms-parked:${route}:${providerMessageId}`)).map((raw) => JSON.parse(raw) as ParkedReport);
  }

  async claimOnce(key: string, ttlSeconds: number): Promise<boolean> {
    return this.indexes.lease(`sms-claim:${key}`, 'claim', Date.now() + ttlSeconds * 1000);
  }

  /** Reads the pending index before `now` and keeps what the records confirm; the rest is pruned. */
  async overdue(now: Date, limit: number): Promise<string[]> {
    const due: string[] = [];
    let start: string | undefined;
    while (due.length < limit) {
      const entries = await this.indexes.list(PENDING_INDEX, { ...(start !== undefined ? { start } : {}), end: sortableMs(now.getTime()), limit: Math.max(limit, 50) });
      if (entries.length === 0) break;
      const stale: string[] = [];
      const messages = await Promise.all(entries.map((entry) => this.message<SmsMessage | null>(entry.value, { op: 'get' })));
      entries.forEach((entry, i) => {
        const separator = entry.key.indexOf(':');
        const id = entry.key.slice(separator + 1);
        const message = messages[i];
        const confirmed = message?.id === id && !FINAL_STATUSES.includes(message.status) && message.expiresAt !== undefined && Date.parse(message.expiresAt) === Number(entry.key.slice(0, separator));
        if (!confirmed) stale.push(entry.key);
        else if (due.length < limit) due.push(id);
      });
      if (stale.length > 0) await this.indexes.delete(PENDING_INDEX, stale);
      start = `${entries.at(-1)!.key}\u0000`;
    }
    return due;
  }

  /** Where a message id's record lives, and its route, which names its provider index (a provider id is unique per route only). */
  private async directoryOf(id: string): Promise<DirectoryEntry | null> {
    if (id.length === 0 || id.length > MAX_NAME) return null;
    const entry = await this.indexes.get(`sms-id:${id}`, 'key');
    return entry === null ? null : (JSON.parse(entry) as DirectoryEntry);
  }

  private providerIndex(route: string, providerMessageId: string): string {
    return `sms-prov:${route}:${providerMessageId}`;
  }

  private message<Reply>(idempotencyKey: string, command: MessageCommand): Promise<Reply> {
    return callDurableObject<Reply>(this.options.messages, `sms-key:${idempotencyKey}`, command);
  }
}
