import type { Cluster, Redis } from 'ioredis';
import { awaitReplica, awaitReplicas } from '../../lib/redis.js';
import { applyUpdate, FINAL_STATUSES, PARKED_REPORT_SECONDS, providerIdsOf, type MessageStore, type ParkedReport, type SmsMessage, type StatusUpdate } from './port.js';

/** Messages are kept for the finance and operations reports, then expire. */
const KEEP_SECONDS = 30 * 24 * 3600;

/**
 * Redis Cluster: no script or MULTI of the Cluster path touches more than one key, so nothing needs
 * a hash tag and the key names are the ones single-Redis deployments already hold (no migration).
 * On one Redis, a create is one two-key script (`WRITE_AND_CLAIM`). On a Cluster, what that script
 * does is ordered so that a crash between two writes leaves nothing a reader can trip on:
 * - create writes the message first, then claims the idempotency key for it (`SET NX`): a key never
 *   names a message that is not there; a message left without its key is never queued and expires;
 * - a transition writes the provider-id pointers and the `pending` entry before the compare-and-set
 *   of the message (a pointer names the right message either way; a stale `pending` entry is met by
 *   the overdue sweep, which settles it), and leaves `pending` only after it.
 * On one Redis a transition is one script (`SWAP_AND_INDEX`): the compare-and-set, the pointers and
 * the `pending` move together, only when the compare-and-set holds.
 */

/** KEYS: idempotency key. ARGV: the id it named (expired), our id, ttl. A stale key taken over once. */
const TAKE_OVER_IDEMPOTENCY_KEY = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
`;

/**
 * KEYS: message. ARGV: the JSON expected, the JSON to write, ttl. A compare-and-set in one key (WATCH/MULTI
 * without a connection of its own). Answers 1 when written, else the message as it is (nil: gone), so a
 * caller whose guess was stale retries on what it is answered, without a read of its own.
 */
const SWAP = `
local current = redis.call('GET', KEYS[1])
if current ~= ARGV[1] then return current end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
`;

/**
 * One Redis only (several slots). KEYS: message, the `pending` set, then the provider-id pointers to
 * write. ARGV: the JSON expected, the JSON to write, ttl, our id, the `pending` move (`add`, `rem` or
 * empty), its score. `SWAP`, and when it holds, the pointers and the `pending` move in the same step.
 */
const SWAP_AND_INDEX = `
local current = redis.call('GET', KEYS[1])
if current ~= ARGV[1] then return current end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
for i = 3, #KEYS do redis.call('SET', KEYS[i], ARGV[4], 'EX', ARGV[3]) end
if ARGV[5] == 'add' then redis.call('ZADD', KEYS[2], ARGV[6], ARGV[4]) elseif ARGV[5] == 'rem' then redis.call('ZREM', KEYS[2], ARGV[4]) end
return 1
`;

/** KEYS: a parked-report list. Its reports, and the list gone, in one step: two takers cannot both get one. */
const TAKE_LIST = `
local reports = redis.call('LRANGE', KEYS[1], 0, -1)
if #reports > 0 then redis.call('DEL', KEYS[1]) end
return reports
`;

/**
 * How many messages' latest JSON one store keeps (some 1.7 KB each, ~8.5 MB at most): the expected
 * value of its next compare-and-set, so the worker's claim, the acceptance and the receipt that follow
 * a read do not read again. Only ever a guess: a stale one fails the compare-and-set, which answers the
 * message as it is. Forgotten once final; the oldest first past the bound.
 */
const KNOWN_MESSAGES = 5_000;

/**
 * KEYS: message, idempotency key. ARGV: the message's JSON, its id, ttl. One Redis only (two slots).
 * A free key (or one already naming this id: a retried call whose answer was lost): the message is
 * written and the key claimed for it, in one step, so neither is ever there without the other.
 * A key naming another id: nothing written, that id returned (the caller reads its message, or
 * takes the key over if it outlived it).
 */
const WRITE_AND_CLAIM = `
local holder = redis.call('GET', KEYS[2])
if holder ~= false and holder ~= ARGV[2] then return holder end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
return 1
`;

export interface RedisMessageStoreOptions {
  /**
   * Whether one script may touch the message and its idempotency key (two hash slots): true on one
   * Redis (a create is then one round trip, `WRITE_AND_CLAIM`), false on a Cluster, where the two
   * writes are ordered instead. Default: the client's own (`!redis.isCluster`). The slot-audited
   * suite sets false to check the Cluster's path on one Redis.
   */
  multiKey?: boolean;
}

type RedisWithSmsScripts = (Redis | Cluster) & {
  guichetSmsWriteAndClaim(messageKey: string, idempotencyKey: string, json: string, id: string, ttlSeconds: number): Promise<number | string>;
  guichetSmsTakeOver(idempotencyKey: string, staleId: string, id: string, ttlSeconds: number): Promise<number>;
  guichetSmsSwap(key: string, expected: string, next: string, ttlSeconds: number): Promise<1 | string | null>;
  guichetSmsSwapAndIndex(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<1 | string | null>;
  guichetSmsTakeList(key: string): Promise<string[]>;
};

/** What a transition does to the `pending` set once its compare-and-set holds. */
type PendingMove = { op: 'add'; score: number } | { op: 'rem' } | undefined;

/**
 * Outbound SMS in Redis. Creation is deduplicated by the idempotency key (`SET NX` on a message
 * already written); a status update is a compare-and-set loop on the message's JSON (one
 * script), so two reports racing cannot lose one another. Every key has a TTL; messages in flight
 * are also in a sorted set by `expiresAt`, entered at the claim and left when they become final.
 */
export class RedisMessageStore implements MessageStore {
  private readonly redis: RedisWithSmsScripts;
  private readonly multiKey: boolean;
  /** Latest JSON seen per message id, oldest first (`KNOWN_MESSAGES`). */
  private readonly known = new Map<string, string>();

  constructor(
    redis: Redis | Cluster,
    private readonly prefix = 'guichet:sms:',
    options: RedisMessageStoreOptions = {},
  ) {
    this.multiKey = options.multiKey ?? !redis.isCluster;
    if (!('guichetSmsWriteAndClaim' in redis)) redis.defineCommand('guichetSmsWriteAndClaim', { numberOfKeys: 2, lua: WRITE_AND_CLAIM });
    if (!('guichetSmsTakeOver' in redis)) redis.defineCommand('guichetSmsTakeOver', { numberOfKeys: 1, lua: TAKE_OVER_IDEMPOTENCY_KEY });
    if (!('guichetSmsSwap' in redis)) redis.defineCommand('guichetSmsSwap', { numberOfKeys: 1, lua: SWAP });
    // The number of keys is the first argument: a transition records zero, one or two pointers.
    if (!('guichetSmsSwapAndIndex' in redis)) redis.defineCommand('guichetSmsSwapAndIndex', { lua: SWAP_AND_INDEX });
    if (!('guichetSmsTakeList' in redis)) redis.defineCommand('guichetSmsTakeList', { numberOfKeys: 1, lua: TAKE_LIST });
    this.redis = redis as RedisWithSmsScripts;
  }

  /** Nothing of its own to close any more (kept: the SMS wiring closes what a store holds). */
  async close(): Promise<void> {}

  async create(message: SmsMessage) {
    const created = await this.claim(message);
    // An accepted message survives its master failing over (Redis Cluster): see awaitReplica.
    await awaitReplicas(this.redis, [this.key(created.message.id), `${this.prefix}idem:${message.idempotencyKey}`]);
    return created;
  }

  private async claim(message: SmsMessage): Promise<{ created: boolean; message: SmsMessage }> {
    if (this.multiKey) {
      // One round trip for the write and the claim (issue 18 part 3), atomic as a script is.
      const idempotencyKey = `${this.prefix}idem:${message.idempotencyKey}`;
      const holder = await this.redis.guichetSmsWriteAndClaim(this.key(message.id), idempotencyKey, JSON.stringify(message), message.id, KEEP_SECONDS);
      if (holder === 1) return { created: true, message };
      const existing = await this.redis.get(this.key(String(holder)));
      if (existing) return { created: false, message: JSON.parse(existing) as SmsMessage };
      // The key outlived its message (or the message expired in between): the ordered path below
      // writes ours and takes the key over, by exactly one of several racing creators.
    }
    return this.claimInOrder(message);
  }

  /** The Cluster's create (and one Redis's rare case of a key that outlived its message): the message first, then the key. */
  private async claimInOrder(message: SmsMessage): Promise<{ created: boolean; message: SmsMessage }> {
    const idempotencyKey = `${this.prefix}idem:${message.idempotencyKey}`;
    const claimKey = () => this.redis.set(idempotencyKey, message.id, 'EX', KEEP_SECONDS, 'NX');
    const written = this.redis.set(this.key(message.id), JSON.stringify(message), 'EX', KEEP_SECONDS);
    // The message must be written before its key is claimed. One Redis runs one connection's
    // commands in the order sent, so the claim goes right behind the write, in the same round trip
    // (issue 18 part 3: one await fewer per notification). On a Cluster the two keys may live on two
    // masters: the claim waits for the write's answer. A write refused behind a granted claim (one
    // Redis) leaves a key naming no message: the caller is answered the error, and its retry takes
    // the key over below, as for a key that outlived its message.
    const firstClaim = this.redis.isCluster ? written.then(claimKey) : claimKey();
    const [, firstAnswer] = await Promise.all([written, firstClaim]);
    for (let attempt = 0; attempt < 5; attempt++) {
      if ((attempt === 0 ? firstAnswer : await claimKey()) === 'OK') return { created: true, message };
      const existingId = await this.redis.get(idempotencyKey);
      if (existingId === null) continue; // expired in between: claim again
      // Our own claim, answered late the first time (a retried call).
      if (existingId === message.id) return { created: true, message };
      const existing = await this.redis.get(this.key(existingId));
      if (existing) {
        await this.redis.del(this.key(message.id));
        return { created: false, message: JSON.parse(existing) as SmsMessage };
      }
      // The key outlived its message: taken over, by exactly one of several racing creators.
      if ((await this.redis.guichetSmsTakeOver(idempotencyKey, existingId, message.id, KEEP_SECONDS)) === 1) return { created: true, message };
    }
    throw new Error(`idempotency key ${message.idempotencyKey}: too much contention`);
  }

  async get(id: string) {
    const data = await this.redis.get(this.key(id));
    if (data === null) {
      this.known.delete(id);
      return null;
    }
    this.remember(id, data);
    return JSON.parse(data) as SmsMessage;
  }

  /**
   * A compare-and-set loop on the message's JSON, from the JSON this store last saw of it when it has
   * one (read otherwise): a stale guess is answered with the message as it is, and applied again.
   */
  async transition(id: string, update: StatusUpdate): Promise<SmsMessage | null> {
    const key = this.key(id);
    let data = this.known.get(id) ?? (await this.redis.get(key));
    const providerIds = providerIdsOf(update);
    /** Cluster path: the score this call put in `pending` before a compare-and-set that then failed. */
    let indexedAt: number | undefined;
    let pointersWritten = false;
    for (let attempt = 0; attempt < 10; attempt++) {
      if (data === null) {
        this.known.delete(id);
        return null;
      }
      const current = JSON.parse(data) as SmsMessage;
      const next = applyUpdate(current, update, new Date().toISOString());
      const json = JSON.stringify(next);
      const final = FINAL_STATUSES.includes(next.status);
      const score = next.expiresAt === undefined ? undefined : Date.parse(next.expiresAt);
      // `pending` holds a message in flight at its expiry: entered when the expiry is set (the claim) or
      // changes, left when final. Only a message with an expiry was ever entered.
      const pending: PendingMove =
        score === undefined ? undefined : final ? { op: 'rem' } : next.expiresAt !== current.expiresAt || (indexedAt !== undefined && indexedAt !== score) ? { op: 'add', score } : undefined;
      const pointerKeys = providerIds.map((providerId) => `${this.prefix}prov:${next.route}:${providerId}`);
      let answer: 1 | string | null;
      if (this.multiKey) {
        answer = await this.redis.guichetSmsSwapAndIndex(2 + pointerKeys.length, key, this.pendingKey, ...pointerKeys, data, json, KEEP_SECONDS, id, pending?.op ?? '', pending?.op === 'add' ? pending.score : 0);
      } else {
        // Each key in its own slot: pointers and `pending` first, so a crash leaves nothing a reader trips on.
        await Promise.all([
          ...(pointersWritten ? [] : pointerKeys.map((pointer) => this.redis.set(pointer, id, 'EX', KEEP_SECONDS))),
          ...(pending?.op === 'add' ? [this.redis.zadd(this.pendingKey, pending.score, id)] : []),
        ]);
        pointersWritten = true;
        if (pending?.op === 'add') indexedAt = pending.score;
        answer = await this.redis.guichetSmsSwap(key, data, json, KEEP_SECONDS);
        if (answer === 1 && pending?.op === 'rem') await this.redis.zrem(this.pendingKey, id);
      }
      if (answer === 1) {
        if (final) this.known.delete(id);
        else this.remember(id, json);
        // A claimed send (`sending`) or a recorded result lost in a failover could send twice.
        await awaitReplica(this.redis, key);
        return next;
      }
      data = answer;
    }
    throw new Error(`message ${id}: too much contention on its status`);
  }

  private remember(id: string, json: string): void {
    this.known.delete(id);
    this.known.set(id, json);
    if (this.known.size > KNOWN_MESSAGES) this.known.delete(this.known.keys().next().value!);
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

  /** LRANGE and DEL in one script: two takers cannot both get a report. */
  async takeParkedReports(route: string, providerMessageId: string) {
    const reports = await this.redis.guichetSmsTakeList(`${this.prefix}parked:${route}:${providerMessageId}`);
    return reports.map((r) => JSON.parse(r) as ParkedReport);
  }

  async claimOnce(key: string, ttlSeconds: number) {
    return (await this.redis.set(`${this.prefix}claim:${key}`, '1', 'EX', ttlSeconds, 'NX')) === 'OK';
  }

  private key(id: string) {
    return `${this.prefix}msg:${id}`;
  }
}
