import type { Redis } from 'ioredis';
import { applyUpdate, FINAL_STATUSES, PARKED_REPORT_SECONDS, providerIdsOf, type MessageStore, type ParkedReport, type SmsMessage, type StatusUpdate } from './port.js';

/** Messages are kept for the finance and operations reports, then expire. */
const KEEP_SECONDS = 30 * 24 * 3600;

/**
 * The idempotency key and the message in one step: a crash (or an outage) between two writes
 * would leave a key pointing at nothing, and block that message (a payment receipt) for 30 days.
 * Returns the message's JSON: ours when created, the first writer's otherwise (nil if that one
 * expired, then the key is taken over).
 */
const CREATE_SCRIPT = `
local existing = redis.call('GET', KEYS[1])
if existing then
  local data = redis.call('GET', ARGV[4] .. existing)
  if data then return {0, data} end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
return {1, ARGV[2]}
`;

/**
 * Outbound SMS in Redis. Creation is deduplicated by the idempotency key, atomically with the
 * message (one Lua script); a status update is a compare-and-set loop on the message's JSON
 * (WATCH/MULTI), so two reports racing cannot lose one another. Every key has a TTL; messages
 * in flight are also in a sorted set by `expiresAt`, left when they become final.
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
    const [created, data] = (await this.redis.eval(
      CREATE_SCRIPT,
      2,
      `${this.prefix}idem:${message.idempotencyKey}`,
      this.key(message.id),
      message.id,
      JSON.stringify(message),
      KEEP_SECONDS,
      `${this.prefix}msg:`,
    )) as [number, string];
    return created === 1 ? { created: true, message } : { created: false, message: JSON.parse(data) as SmsMessage };
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
    if (!this.tx) {
      // A connection of its own for WATCH/MULTI. It must connect by itself (the gateway's client is
      // lazy and keeps no offline queue); its commands stay bounded by the inherited command time-out.
      this.tx = this.redis.duplicate({ enableAutoPipelining: false, lazyConnect: false, enableOfflineQueue: true });
      // Its failures reach the caller through each command; unheard, they would crash the process.
      this.tx.on('error', () => {});
    }
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
        if (FINAL_STATUSES.includes(next.status)) multi.zrem(this.pendingKey, id);
        else if (next.expiresAt) multi.zadd(this.pendingKey, Date.parse(next.expiresAt), id);
        if ((await multi.exec()) !== null) return next;
      }
      throw new Error(`message ${id}: too much contention on its status`);
    }
  }

  async overdue(now: Date, limit: number) {
    // Entries whose message itself expired (KEEP_SECONDS) are dropped on the way.
    await this.redis.zremrangebyscore(this.pendingKey, '-inf', now.getTime() - KEEP_SECONDS * 1000);
    return this.redis.zrangebyscore(this.pendingKey, '-inf', `(${now.getTime()}`, 'LIMIT', 0, limit);
  }

  private get pendingKey() {
    return `${this.prefix}pending`;
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
