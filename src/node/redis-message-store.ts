import type { Redis } from 'ioredis';
import { applyUpdate, PARKED_REPORT_SECONDS, providerIdsOf, type MessageStore, type ParkedReport, type SmsMessage, type StatusUpdate } from '../sms/message-store.js';

/** Messages are kept for the finance and operations reports, then expire. */
const KEEP_SECONDS = 30 * 24 * 3600;

/**
 * Outbound SMS in Redis. Creation is deduplicated by the idempotency key (SET NX); a status
 * update is a compare-and-set loop on the message's JSON (WATCH/MULTI), so two reports racing
 * cannot lose one another.
 */
export class RedisMessageStore implements MessageStore {
  /** WATCH belongs to a connection: transitions use their own, one at a time in this process. */
  private tx: Redis | undefined;
  private txChain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'guichet:sms:',
  ) {}

  async close(): Promise<void> {
    this.tx?.disconnect();
  }

  async create(message: SmsMessage) {
    const claimed = await this.redis.set(`${this.prefix}idem:${message.idempotencyKey}`, message.id, 'EX', KEEP_SECONDS, 'NX');
    if (claimed !== 'OK') {
      const id = await this.redis.get(`${this.prefix}idem:${message.idempotencyKey}`);
      for (let i = 0; i < 20; i++) {
        const existing = id ? await this.get(id) : null;
        if (existing) return { created: false, message: existing };
        await new Promise((r) => setTimeout(r, 5)); // the first writer is between its two writes
      }
      throw new Error(`idempotency key ${message.idempotencyKey} claimed but message missing`);
    }
    await this.redis.set(this.key(message.id), JSON.stringify(message), 'EX', KEEP_SECONDS);
    return { created: true, message };
  }

  async get(id: string) {
    const data = await this.redis.get(this.key(id));
    return data ? (JSON.parse(data) as SmsMessage) : null;
  }

  transition(id: string, update: StatusUpdate): Promise<SmsMessage | null> {
    const run = this.txChain.then(() => this.transitionNow(id, update));
    this.txChain = run.catch(() => undefined);
    return run;
  }

  private async transitionNow(id: string, update: StatusUpdate): Promise<SmsMessage | null> {
    // A connection of its own for WATCH/MULTI. It must connect by itself (the gateway's client is
    // lazy and keeps no offline queue); its commands stay bounded by the inherited command time-out.
    this.tx ??= this.redis.duplicate({ enableAutoPipelining: false, lazyConnect: false, enableOfflineQueue: true });
    const connection = this.tx;
    {
      for (let attempt = 0; attempt < 10; attempt++) {
        await connection.watch(this.key(id));
        const data = await connection.get(this.key(id));
        if (!data) {
          await connection.unwatch();
          return null;
        }
        const next = applyUpdate(JSON.parse(data) as SmsMessage, update, new Date().toISOString());
        const multi = connection.multi().set(this.key(id), JSON.stringify(next), 'EX', KEEP_SECONDS);
        for (const providerId of providerIdsOf(update)) multi.set(`${this.prefix}prov:${next.route}:${providerId}`, id, 'EX', KEEP_SECONDS);
        if ((await multi.exec()) !== null) return next;
      }
      throw new Error(`message ${id}: too much contention on its status`);
    }
  }

  async findByProviderId(route: string, providerMessageId: string) {
    return this.redis.get(`${this.prefix}prov:${route}:${providerMessageId}`);
  }

  /** A list per provider id, expiring PARKED_REPORT_SECONDS after its latest report. */
  async parkReport(route: string, providerMessageId: string, report: ParkedReport) {
    const key = `${this.prefix}parked:${route}:${providerMessageId}`;
    await this.redis.multi().rpush(key, JSON.stringify(report)).expire(key, PARKED_REPORT_SECONDS).exec();
  }

  /** LRANGE and DEL in one MULTI: two takers cannot both get a report. */
  async takeParkedReports(route: string, providerMessageId: string) {
    const key = `${this.prefix}parked:${route}:${providerMessageId}`;
    const results = await this.redis.multi().lrange(key, 0, -1).del(key).exec();
    const reports = (results?.[0]?.[1] ?? []) as string[];
    return reports.map((r) => JSON.parse(r) as ParkedReport);
  }

  async claimOnce(key: string, ttlSeconds: number) {
    return (await this.redis.set(`${this.prefix}claim:${key}`, '1', 'EX', ttlSeconds, 'NX')) === 'OK';
  }

  private key(id: string) {
    return `${this.prefix}msg:${id}`;
  }
}
