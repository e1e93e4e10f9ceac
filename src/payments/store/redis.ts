import type { Cluster, Redis } from 'ioredis';
import { BoundedCache } from '../../lib/bounded-cache.js';
import { awaitReplica, awaitReplicas } from '../../lib/redis.js';
import { legalSourcesOf, RECONCILIATION_FLAGS, type ReconciliationFlag, type NewPayment, type Payment, type PaymentState, type TransitionOutcome, type TransitionRecord, type TransitionRequest } from '../payment.js';
import { isSafeKeyPart } from '../payment-id.js';
import { financeDay, type PaymentStore } from './port.js';
import { readTransitionRecord } from './legacy-reasons.js';

/*
 * Layout, under the deployment's prefix (`REDIS_PREFIX`, default `guichet:`), in namespaces that no
 * outside string can cross (issue 11 item 7): ids and request numbers are refused unless they are
 * letters, digits, `-` and `_` (no `:`, no `{`), so `pay:id:<id>` can only ever be a payment's pointer.
 *
 * Redis Cluster (issue 15): what one script must change together lives in one hash slot, and that
 * slot is the request's, `pay:{<requestNumber>}:…` (a tag per request, not one for every payment,
 * so payments spread over the masters). A request's payments and its indexes move together:
 * - `p:<id>`: a hash (d = the fixed part as JSON, s = state, t = provider transaction id, r =
 *   reconciliation flag, p = the provider's own id for the collection, q = the request lock it
 *   holds, n = when the portal acknowledged it), `p:<id>:f` a set of further reconciliation flags,
 *   `p:<id>:h` a list of transitions as JSON (`from`, `to`, `at`, prose `reason` and its `code`;
 *   entries written before codes have none);
 * - `open-holder` and `open-other`: the request's unfinished payment started by its holder or by
 *   someone else; `last`: its most recent payment; `paid`: its first success.
 * Outside any request's slot, each a single key written by a single command:
 * - `pay:id:<id>` → the request number: how a callback that names only the payment finds its slot;
 * - `pay:i:open`, a sorted set of unfinished payments scored by expiry (ms), for the reconciliation
 *   job, and `pay:i:day:<YYYY-MM-DD>`, the payments of a finance day (the names of before issue 15).
 * A create writes the pointer and both indexes before its script, and takes them back if the
 * script refuses; a crash in between leaves at most an index entry naming no payment, which the
 * readers skip (and `overdue` drops). A finish leaves `open` after its script: an entry left by a
 * crash is a finished payment, which the sweep reads and leaves alone.
 * Deployments with payments in the layout before issue 15 (`pay:p:<id>`, `pay:i:last:<n>`, …) move
 * them once with `guichet migrate-redis` (src/cli/migrate-redis.ts) before starting this version.
 */

/** The key names, in one place: the store, its tests and the migration use them. */
export function paymentKeys(prefix: string) {
  const request = (requestNumber: string) => `${prefix}pay:{${requestNumber}}:`;
  return {
    pointer: (id: string) => `${prefix}pay:id:${id}`,
    open: `${prefix}pay:i:open`,
    day: (day: string) => `${prefix}pay:i:day:${day}`,
    /** A request's payments' hashes start with this (their history and flags add `:h`, `:f`). */
    paymentPrefix: (requestNumber: string) => `${request(requestNumber)}p:`,
    payment: (requestNumber: string, id: string) => `${request(requestNumber)}p:${id}`,
    history: (requestNumber: string, id: string) => `${request(requestNumber)}p:${id}:h`,
    flags: (requestNumber: string, id: string) => `${request(requestNumber)}p:${id}:f`,
    holderLock: (requestNumber: string) => `${request(requestNumber)}open-holder`,
    otherLock: (requestNumber: string) => `${request(requestNumber)}open-other`,
    last: (requestNumber: string) => `${request(requestNumber)}last`,
    paid: (requestNumber: string) => `${request(requestNumber)}paid`,
  };
}

/**
 * KEYS (one request's slot): hash, holder lock, other lock, last, paid. ARGV: data, id, the
 * request's hash prefix, startedBy, retention ms. 1 created, 0 the id exists, 2 refused for the request.
 */
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('EXISTS', KEYS[5]) == 1 then return 2 end
local last = redis.call('GET', KEYS[4])
-- The last payment's hash is in this slot too: its key is built from this request's prefix.
if last and redis.call('HGET', ARGV[3] .. last, 's') == 'succeeded' then return 2 end
local lock = KEYS[2]
if ARGV[4] ~= 'holder' then
  if redis.call('EXISTS', KEYS[2]) == 1 then return 2 end
  lock = KEYS[3]
end
if redis.call('SET', lock, ARGV[2], 'NX') == false then return 2 end
redis.call('HSET', KEYS[1], 'd', ARGV[1], 's', 'created', 'r', '0', 'q', lock)
redis.call('SET', KEYS[4], ARGV[2], 'PX', ARGV[5])
return 1
`;

/**
 * KEYS (one request's slot): hash, history, flags, paid. ARGV: to, at, reason, provider txid ('' = none), id, retention ms, reason code, legal sources...
 * Answers the outcome, the payment as it is after it (hash fields), the request's first success
 * (`paid`, '' for none), the count of further flags and the flags, then the history: everything the
 * caller hands back, so it reads nothing again (issue 18 part 2).
 */
const TRANSITION = `
local cur = redis.call('HGET', KEYS[1], 's')
if not cur then return {'missing'} end
local to = ARGV[1]
local kind
if cur == to then
  kind = 'unchanged'
else
  local legal = false
  for i = 8, #ARGV do if ARGV[i] == cur then legal = true end end
  if legal then
    redis.call('HSET', KEYS[1], 's', to)
    if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 't', ARGV[4]) end
    redis.call('RPUSH', KEYS[2], cjson.encode({from = cur, to = to, at = ARGV[2], reason = ARGV[3], code = ARGV[7]}))
    if to == 'succeeded' or to == 'failed' or to == 'expired' then
      -- The lock's name is in the hash; it is one of this request's keys, in this slot.
      local lock = redis.call('HGET', KEYS[1], 'q')
      if lock and redis.call('GET', lock) == ARGV[5] then redis.call('DEL', lock) end
      -- A finished payment is kept for the retention period (audit, reconciliation), then goes.
      redis.call('PEXPIRE', KEYS[1], ARGV[6])
      redis.call('PEXPIRE', KEYS[2], ARGV[6])
      redis.call('PEXPIRE', KEYS[3], ARGV[6])
    end
    if to == 'succeeded' then
      redis.call('SET', KEYS[4], ARGV[5], 'NX', 'PX', ARGV[6])
    end
    kind = 'applied'
  elseif cur == 'expired' and to == 'succeeded' then
    if redis.call('HGET', KEYS[1], 'r') == '1' then
      -- A replayed late success: flagged once, the history does not grow with every copy.
      kind = 'unchanged'
    else
      redis.call('HSET', KEYS[1], 'r', '1')
      if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 't', ARGV[4]) end
      redis.call('RPUSH', KEYS[2], cjson.encode({from = cur, to = to, at = ARGV[2], reason = 'late success: ' .. ARGV[3], code = 'late_success'}))
      kind = 'flagged'
    end
  else
    kind = 'refused'
  end
end
local row = redis.call('HMGET', KEYS[1], 'd', 's', 't', 'r', 'p', 'n')
local flags = redis.call('SMEMBERS', KEYS[3])
local result = {kind, row[1], row[2], row[3] or '', row[4], row[5] or '', row[6] or '', redis.call('GET', KEYS[4]) or '', tostring(#flags)}
for _, flag in ipairs(flags) do table.insert(result, flag) end
for _, entry in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do table.insert(result, entry) end
return result
`;

/**
 * KEYS (one request's slot): hash, history, flags. The payment as the transition script answers it
 * after its outcome and paid pointer (hash fields, the count of flags and the flags, the history), or
 * nothing when there is no such payment: one command where the read sent three (issue 18 part 2).
 */
const READ = `
local row = redis.call('HMGET', KEYS[1], 'd', 's', 't', 'r', 'p', 'n')
if not row[1] or not row[2] then return {} end
local flags = redis.call('SMEMBERS', KEYS[3])
local result = {row[1], row[2], row[3] or '', row[4] or '0', row[5] or '', row[6] or '', tostring(#flags)}
for _, flag in ipairs(flags) do table.insert(result, flag) end
for _, entry in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do table.insert(result, entry) end
return result
`;

/** KEYS: hash. ARGV: reference. First writer wins. */
const REMEMBER = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('HSETNX', KEYS[1], 'p', ARGV[1])
return redis.call('HGET', KEYS[1], 'p')
`;

/** KEYS: hash, flags set (one slot). ARGV: flag. 1 when the flag is new. */
const FLAG = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('SADD', KEYS[2], ARGV[1])
`;

/** KEYS: hash. ARGV: when. 1 when this call recorded it. */
const MARK_NOTIFIED = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HSETNX', KEYS[1], 'n', ARGV[1])
`;

/** A history entry as the Lua scripts encode it; `code` is absent from entries written before reason codes. */
type StoredTransitionRecord = Omit<TransitionRecord, 'code'> & { code?: unknown };

type RedisWithPayments = (Redis | Cluster) & {
  guichetPaymentCreate(hash: string, holderLock: string, otherLock: string, last: string, paid: string, data: string, id: string, hashPrefix: string, startedBy: string, retentionMs: number): Promise<number>;
  guichetPaymentTransition(hash: string, history: string, flags: string, paid: string, ...args: string[]): Promise<string[]>;
  guichetPaymentRemember(hash: string, reference: string): Promise<string | null>;
  guichetPaymentFlag(hash: string, flags: string, flag: string): Promise<number>;
  guichetPaymentMarkNotified(hash: string, at: string): Promise<number>;
  guichetPaymentRead(hash: string, history: string, flags: string): Promise<string[]>;
};

const SCRIPTS = {
  guichetPaymentCreate: { numberOfKeys: 5, lua: CREATE },
  guichetPaymentTransition: { numberOfKeys: 4, lua: TRANSITION },
  guichetPaymentRemember: { numberOfKeys: 1, lua: REMEMBER },
  guichetPaymentFlag: { numberOfKeys: 2, lua: FLAG },
  guichetPaymentMarkNotified: { numberOfKeys: 1, lua: MARK_NOTIFIED },
  guichetPaymentRead: { numberOfKeys: 3, lua: READ },
} as const;

const FINAL_STATES: readonly PaymentState[] = ['succeeded', 'failed', 'expired'];

export interface RedisPaymentStoreOptions {
  /**
   * How many payments' pointers this process keeps (`pay:id:<id>` → request, with the payment's
   * provider): 20 000 by default, 0 for none. See `PaymentPointer`.
   */
  pointerCacheSize?: number;
  /** How long a kept pointer is believed (1 hour by default: a payment's busy life is minutes). */
  pointerCacheMs?: number;
  now?: () => number;
}

/**
 * What this process keeps of a payment it has seen exist: the request whose slot holds it and the
 * provider it was made with. Both are written once, at the create, and never change (only the
 * retention's expiry removes them, with the payment), so every gateway process may keep them
 * without asking another: a status, a flag, the portal's acknowledgement are always read from Redis.
 * Kept only once the payment itself was found or created, never from the pointer alone: a pointer
 * taken back by a refused create names no payment. Each kept pointer spares a `GET` on every later
 * read or move of the payment (issue 18 part 2: about six per payment under the callback burst).
 */
interface PaymentPointer {
  requestNumber: string;
  provider: string;
}

export class RedisPaymentStore implements PaymentStore {
  private readonly redis: RedisWithPayments;
  private readonly keys: ReturnType<typeof paymentKeys>;
  private readonly pointers: BoundedCache<string, PaymentPointer>;
  /**
   * A request's first success, once Redis has named one: set once (`SET NX` in the transition that
   * makes it) and never changed, so the same rule as the pointers; a request with none is asked again.
   */
  private readonly paidCache: BoundedCache<string, string>;

  /** `prefix`: the deployment's namespace (`REDIS_PREFIX`), so two deployments can share a Redis. */
  constructor(
    redis: Redis | Cluster,
    prefix = 'guichet:',
    /** How long a finished payment stays in Redis (default 400 days: a year's audit and then some). */
    private readonly retentionMs = 400 * 24 * 3_600_000,
    options: RedisPaymentStoreOptions = {},
  ) {
    for (const [name, script] of Object.entries(SCRIPTS)) if (!(name in redis)) redis.defineCommand(name, script);
    this.redis = redis as RedisWithPayments;
    this.keys = paymentKeys(prefix);
    const size = options.pointerCacheSize ?? 20_000;
    const ageMs = Math.min(options.pointerCacheMs ?? 3_600_000, retentionMs);
    this.pointers = new BoundedCache(size, ageMs, options.now);
    this.paidCache = new BoundedCache(size, ageMs, options.now);
  }

  async create(payment: NewPayment): Promise<boolean> {
    if (!isSafeKeyPart(payment.id) || !isSafeKeyPart(payment.requestNumber)) return false;
    const { id, requestNumber } = payment;
    const k = this.keys;
    // The pointer first: an id already pointing at another request is taken.
    if ((await this.redis.set(k.pointer(id), requestNumber, 'NX')) !== 'OK' && (await this.redis.get(k.pointer(id))) !== requestNumber) return false;
    const day = k.day(financeDay(payment.createdAt));
    // NX: a second create of an existing id keeps the first one's expiry.
    await Promise.all([this.redis.zadd(k.open, 'NX', Date.parse(payment.expiresAt), id), this.redis.sadd(day, id)]);
    // A finance day's index lives as long as the payments it lists.
    await this.redis.pexpire(day, this.retentionMs);
    const created = await this.redis.guichetPaymentCreate(
      k.payment(requestNumber, id), k.holderLock(requestNumber), k.otherLock(requestNumber), k.last(requestNumber), k.paid(requestNumber),
      JSON.stringify(payment), id, k.paymentPrefix(requestNumber), payment.startedBy ?? 'holder', this.retentionMs,
    );
    if (created === 2) {
      // Refused for the request: the id names nothing, so nothing may name it.
      await Promise.all([this.redis.zrem(k.open, id), this.redis.srem(day, id)]);
      await this.redis.del(k.pointer(id));
    }
    // A payment the citizen was told is started survives its master failing over (Redis Cluster).
    if (created === 1) {
      await awaitReplicas(this.redis, [k.pointer(id), k.payment(requestNumber, id)]);
      this.pointers.set(id, { requestNumber, provider: payment.provider });
    }
    return created === 1;
  }

  async get(id: string): Promise<Payment | null> {
    const requestNumber = await this.requestOf(id);
    return requestNumber === null ? null : this.read(requestNumber, id);
  }

  /**
   * A kept pointer answers alone (no command: a duplicate callback of a payment this process has
   * seen); otherwise the pointer, then the fixed part: two commands where `get` sends four.
   */
  async providerOf(id: string): Promise<string | null> {
    if (!isSafeKeyPart(id)) return null;
    const kept = this.pointers.get(id);
    if (kept) return kept.provider;
    const requestNumber = await this.requestOf(id);
    if (requestNumber === null) return null;
    const data = await this.redis.hget(this.keys.payment(requestNumber, id), 'd');
    if (data === null) return null;
    const { provider } = JSON.parse(data) as NewPayment;
    this.pointers.set(id, { requestNumber, provider });
    return provider;
  }

  async flag(id: string, flag: ReconciliationFlag): Promise<boolean> {
    const requestNumber = await this.requestOf(id);
    if (requestNumber === null) return false;
    return (await this.redis.guichetPaymentFlag(this.keys.payment(requestNumber, id), this.keys.flags(requestNumber, id), flag)) === 1;
  }

  async markPortalNotified(id: string, atIso: string): Promise<boolean> {
    const requestNumber = await this.requestOf(id);
    if (requestNumber === null) return false;
    const marked = (await this.redis.guichetPaymentMarkNotified(this.keys.payment(requestNumber, id), atIso)) === 1;
    if (marked) await awaitReplica(this.redis, this.keys.payment(requestNumber, id));
    return marked;
  }

  async paidPaymentOf(requestNumber: string): Promise<string | null> {
    if (!isSafeKeyPart(requestNumber)) return null;
    const kept = this.paidCache.get(requestNumber);
    if (kept !== undefined) return kept;
    const paidBy = await this.redis.get(this.keys.paid(requestNumber));
    if (paidBy !== null) this.paidCache.set(requestNumber, paidBy);
    return paidBy;
  }

  async latestForRequest(requestNumber: string): Promise<Payment | null> {
    if (!isSafeKeyPart(requestNumber)) return null;
    const id = await this.redis.get(this.keys.last(requestNumber));
    return id ? this.read(requestNumber, id) : null;
  }

  async transition(id: string, request: TransitionRequest): Promise<TransitionOutcome> {
    const requestNumber = await this.requestOf(id);
    if (requestNumber === null) return { kind: 'missing' };
    const k = this.keys;
    const reply = await this.redis.guichetPaymentTransition(
      k.payment(requestNumber, id), k.history(requestNumber, id), k.flags(requestNumber, id), k.paid(requestNumber),
      request.to, request.at, request.reason, request.providerTransactionId ?? '', id, String(this.retentionMs), request.code,
      ...legalSourcesOf(request.to),
    );
    const [kind, ...after] = reply;
    if (kind === 'missing') return { kind: 'missing' };
    if (kind !== 'applied' && kind !== 'unchanged' && kind !== 'refused' && kind !== 'flagged') {
      throw new Error(`unexpected transition reply ${String(kind)}`);
    }
    // The payment's hash fields, then the request's first success, then the flags and history.
    const paidBy = after.splice(6, 1)[0];
    if (paidBy) this.paidCache.set(requestNumber, paidBy);
    const payment = fromScriptReply(after);
    this.pointers.set(id, { requestNumber, provider: payment.provider });
    if (kind === 'applied' && FINAL_STATES.includes(request.to)) {
      // Outside the request's slot, so after its script (see the layout above).
      await Promise.all([this.redis.zrem(k.open, id), this.redis.pexpire(k.pointer(id), this.retentionMs)]);
    }
    // A success the provider was told we recorded must outlive a failover: it will not call back again.
    if (kind === 'applied' || kind === 'flagged') await awaitReplica(this.redis, k.payment(requestNumber, id));
    return { kind, payment };
  }

  async rememberReference(id: string, reference: string): Promise<string | null> {
    const requestNumber = await this.requestOf(id);
    if (requestNumber === null) return null;
    return this.redis.guichetPaymentRemember(this.keys.payment(requestNumber, id), reference);
  }

  async createdOn(day: string): Promise<Payment[]> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return [];
    const ids = await this.redis.smembers(this.keys.day(day));
    const payments = await Promise.all(ids.map((id) => this.get(id)));
    return payments.filter((p): p is Payment => p !== null);
  }

  async overdue(nowIso: string, limit: number): Promise<string[]> {
    const ids = await this.redis.zrangebyscore(this.keys.open, '-inf', Date.parse(nowIso), 'LIMIT', 0, limit);
    const requests = await Promise.all(ids.map((id) => this.redis.get(this.keys.pointer(id))));
    // An entry whose payment was never created (a crash inside create) goes; the rest are answered.
    const orphans = ids.filter((_, i) => requests[i] === null);
    if (orphans.length > 0) await this.redis.zrem(this.keys.open, ...orphans);
    return ids.filter((_, i) => requests[i] !== null);
  }

  /** The request whose slot holds the payment, or null for an id that is not one of ours. */
  private async requestOf(id: string): Promise<string | null> {
    if (!isSafeKeyPart(id)) return null;
    const kept = this.pointers.get(id);
    if (kept) return kept.requestNumber;
    const requestNumber = await this.redis.get(this.keys.pointer(id));
    return requestNumber !== null && isSafeKeyPart(requestNumber) ? requestNumber : null;
  }

  private async read(requestNumber: string, id: string): Promise<Payment | null> {
    const k = this.keys;
    const reply = await this.redis.guichetPaymentRead(k.payment(requestNumber, id), k.history(requestNumber, id), k.flags(requestNumber, id));
    if (reply.length === 0) return null;
    const payment = fromScriptReply(reply);
    this.pointers.set(id, { requestNumber, provider: payment.provider });
    return payment;
  }
}

/** A payment as the READ and TRANSITION scripts answer it: d, s, t, r, p, n, the count of flags, the flags, the history. */
function fromScriptReply(reply: readonly string[]): Payment {
  const [data, state, txid, flag, reference, notifiedAt, flagCount, ...rest] = reply;
  const flagTotal = Number(flagCount);
  if (data === undefined || state === undefined || !Number.isInteger(flagTotal) || flagTotal < 0 || flagTotal > rest.length) {
    throw new Error('unexpected payment script reply');
  }
  return withFlags(toPayment(data, state, txid ?? '', flag ?? '0', reference ?? '', notifiedAt ?? '', rest.slice(flagTotal)), rest.slice(0, flagTotal));
}

function withFlags(payment: Payment, flags: string[]): Payment {
  const known = flags.filter((f): f is ReconciliationFlag => (RECONCILIATION_FLAGS as readonly string[]).includes(f)).sort();
  return known.length > 0 ? { ...payment, reconciliationFlags: known } : payment;
}

function toPayment(data: string, state: string, txid: string, flag: string, reference: string, notifiedAt: string, history: string[]): Payment {
  const fixed = JSON.parse(data) as NewPayment;
  return {
    ...fixed,
    state: state as PaymentState,
    ...(txid ? { providerTransactionId: txid } : {}),
    ...(reference ? { providerReference: reference } : {}),
    ...(notifiedAt ? { portalNotifiedAt: notifiedAt } : {}),
    needsReconciliation: flag === '1',
    // Entries written before reason codes have none: read as what their prose meant (legacy-reasons.ts).
    history: history.map((entry) => readTransitionRecord(JSON.parse(entry) as StoredTransitionRecord)),
  };
}
