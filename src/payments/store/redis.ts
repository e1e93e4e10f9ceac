import type { Redis } from 'ioredis';
import { legalSourcesOf, RECONCILIATION_FLAGS, type ReconciliationFlag, type NewPayment, type Payment, type PaymentState, type TransitionOutcome, type TransitionRecord, type TransitionRequest } from '../payment.js';
import { isSafeKeyPart } from '../payment-id.js';
import { financeDay, type PaymentStore } from './port.js';
import { readTransitionRecord } from './legacy-reasons.js';

/*
 * Layout, under the deployment's prefix (`REDIS_PREFIX`, default `guichet:`), in two namespaces
 * that no outside string can cross (issue 11 item 7): ids and request numbers are refused unless
 * they are letters, digits, `-` and `_` (no `:`), so `pay:p:<id>` can only ever be a payment.
 *
 * Per payment, `pay:p:<id>`: a hash (d = the fixed part as JSON, s = state, t = provider
 * transaction id, r = reconciliation flag, p = the provider's own id for the collection, q = the
 * request lock it holds, n = when the portal acknowledged it), a set `pay:p:<id>:f` of further
 * reconciliation flags, a list `pay:p:<id>:h` of transitions as JSON (`from`, `to`, `at`, the prose
 * `reason` and its `code`; entries written before codes have none).
 * Indexes, `pay:i:…`: the sorted set `open` of unfinished payments scored by expiry (ms) for the
 * reconciliation job; `day:<YYYY-MM-DD>` the payments of a finance day; `open-holder:<number>`
 * and `open-other:<number>` naming a request's unfinished payment started by its holder or by
 * someone else; `last:<number>` its most recent payment; `paid:<number>` its first success.
 * Each operation is one Lua script, so check-then-move cannot interleave with another caller's.
 */

/** KEYS: hash, holder lock, other lock, open, day, last, paid. ARGV: data, expiry ms, id, hash prefix, startedBy, retention ms. */
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('EXISTS', KEYS[7]) == 1 then return 0 end
local last = redis.call('GET', KEYS[6])
if last and redis.call('HGET', ARGV[4] .. last, 's') == 'succeeded' then return 0 end
local lock = KEYS[2]
if ARGV[5] ~= 'holder' then
  if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
  lock = KEYS[3]
end
if redis.call('SET', lock, ARGV[3], 'NX') == false then return 0 end
redis.call('HSET', KEYS[1], 'd', ARGV[1], 's', 'created', 'r', '0', 'q', lock)
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[3])
redis.call('SADD', KEYS[5], ARGV[3])
-- A finance day's index lives as long as the payments it lists.
redis.call('PEXPIRE', KEYS[5], ARGV[6])
redis.call('SET', KEYS[6], ARGV[3], 'PX', ARGV[6])
return 1
`;

/** KEYS: hash, history, open. ARGV: to, at, reason, provider txid ('' = none), id, paid-index prefix, retention ms, reason code, legal sources... */
const TRANSITION = `
local cur = redis.call('HGET', KEYS[1], 's')
if not cur then return {'missing'} end
local to = ARGV[1]
local kind
if cur == to then
  kind = 'unchanged'
else
  local legal = false
  for i = 9, #ARGV do if ARGV[i] == cur then legal = true end end
  if legal then
    redis.call('HSET', KEYS[1], 's', to)
    if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 't', ARGV[4]) end
    redis.call('RPUSH', KEYS[2], cjson.encode({from = cur, to = to, at = ARGV[2], reason = ARGV[3], code = ARGV[8]}))
    if to == 'succeeded' or to == 'failed' or to == 'expired' then
      redis.call('ZREM', KEYS[3], ARGV[5])
      local lock = redis.call('HGET', KEYS[1], 'q')
      if lock and redis.call('GET', lock) == ARGV[5] then redis.call('DEL', lock) end
      -- A finished payment is kept for the retention period (audit, reconciliation), then goes.
      redis.call('PEXPIRE', KEYS[1], ARGV[7])
      redis.call('PEXPIRE', KEYS[2], ARGV[7])
      redis.call('PEXPIRE', KEYS[1] .. ':f', ARGV[7])
    end
    if to == 'succeeded' then
      local fixed = cjson.decode(redis.call('HGET', KEYS[1], 'd'))
      redis.call('SET', ARGV[6] .. fixed.requestNumber, ARGV[5], 'NX', 'PX', ARGV[7])
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
local result = {kind, row[1], row[2], row[3] or '', row[4], row[5] or '', row[6] or ''}
for _, entry in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do table.insert(result, entry) end
return result
`;

/** KEYS: hash. ARGV: reference. First writer wins. */
const REMEMBER = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('HSETNX', KEYS[1], 'p', ARGV[1])
return redis.call('HGET', KEYS[1], 'p')
`;

/** KEYS: hash, flags set. ARGV: flag. 1 when the flag is new. */
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

type RedisWithPayments = Redis & {
  guichetPaymentCreate(hash: string, holderLock: string, otherLock: string, open: string, day: string, last: string, paid: string, data: string, expiresMs: number, id: string, hashPrefix: string, startedBy: string, retentionMs: number): Promise<number>;
  guichetPaymentTransition(hash: string, history: string, open: string, ...args: string[]): Promise<string[]>;
  guichetPaymentRemember(hash: string, reference: string): Promise<string | null>;
  guichetPaymentFlag(hash: string, flags: string, flag: string): Promise<number>;
  guichetPaymentMarkNotified(hash: string, at: string): Promise<number>;
};

const SCRIPTS = {
  guichetPaymentCreate: { numberOfKeys: 7, lua: CREATE },
  guichetPaymentTransition: { numberOfKeys: 3, lua: TRANSITION },
  guichetPaymentRemember: { numberOfKeys: 1, lua: REMEMBER },
  guichetPaymentFlag: { numberOfKeys: 2, lua: FLAG },
  guichetPaymentMarkNotified: { numberOfKeys: 1, lua: MARK_NOTIFIED },
} as const;

export class RedisPaymentStore implements PaymentStore {
  private readonly redis: RedisWithPayments;
  private readonly payKey: string;
  private readonly indexKey: string;

  /** `prefix`: the deployment's namespace (`REDIS_PREFIX`), so two deployments can share a Redis. */
  constructor(
    redis: Redis,
    prefix = 'guichet:',
    /** How long a finished payment stays in Redis (default 400 days: a year's audit and then some). */
    private readonly retentionMs = 400 * 24 * 3_600_000,
  ) {
    for (const [name, script] of Object.entries(SCRIPTS)) if (!(name in redis)) redis.defineCommand(name, script);
    this.redis = redis as RedisWithPayments;
    this.payKey = `${prefix}pay:p:`;
    this.indexKey = `${prefix}pay:i:`;
  }

  async create(payment: NewPayment): Promise<boolean> {
    if (!isSafeKeyPart(payment.id) || !isSafeKeyPart(payment.requestNumber)) return false;
    const created = await this.redis.guichetPaymentCreate(
      this.hashKey(payment.id), this.index(`open-holder:${payment.requestNumber}`), this.index(`open-other:${payment.requestNumber}`),
      this.index('open'), this.index(`day:${financeDay(payment.createdAt)}`), this.index(`last:${payment.requestNumber}`), this.index(`paid:${payment.requestNumber}`),
      JSON.stringify(payment), Date.parse(payment.expiresAt), payment.id, this.payKey, payment.startedBy ?? 'holder', this.retentionMs,
    );
    return created === 1;
  }

  async get(id: string): Promise<Payment | null> {
    if (!isSafeKeyPart(id)) return null;
    const [row, history, flags] = await Promise.all([
      this.redis.hmget(this.hashKey(id), 'd', 's', 't', 'r', 'p', 'n'),
      this.redis.lrange(this.historyKey(id), 0, -1),
      this.redis.smembers(this.flagsKey(id)),
    ]);
    const [data, state, txid, flag, reference, notifiedAt] = row;
    if (data == null || state == null) return null;
    return withFlags(toPayment(data, state, txid ?? '', flag ?? '0', reference ?? '', notifiedAt ?? '', history), flags);
  }

  async flag(id: string, flag: ReconciliationFlag): Promise<boolean> {
    if (!isSafeKeyPart(id)) return false;
    return (await this.redis.guichetPaymentFlag(this.hashKey(id), this.flagsKey(id), flag)) === 1;
  }

  async markPortalNotified(id: string, atIso: string): Promise<boolean> {
    if (!isSafeKeyPart(id)) return false;
    return (await this.redis.guichetPaymentMarkNotified(this.hashKey(id), atIso)) === 1;
  }

  async paidPaymentOf(requestNumber: string): Promise<string | null> {
    if (!isSafeKeyPart(requestNumber)) return null;
    return this.redis.get(this.index(`paid:${requestNumber}`));
  }

  async latestForRequest(requestNumber: string): Promise<Payment | null> {
    if (!isSafeKeyPart(requestNumber)) return null;
    const id = await this.redis.get(this.index(`last:${requestNumber}`));
    return id ? this.get(id) : null;
  }

  async transition(id: string, request: TransitionRequest): Promise<TransitionOutcome> {
    if (!isSafeKeyPart(id)) return { kind: 'missing' };
    const reply = await this.redis.guichetPaymentTransition(
      this.hashKey(id), this.historyKey(id), this.index('open'),
      request.to, request.at, request.reason, request.providerTransactionId ?? '', id, this.index('paid:'), String(this.retentionMs), request.code,
      ...legalSourcesOf(request.to),
    );
    const [kind, data, state, txid, flag, reference, notifiedAt, ...history] = reply;
    if (kind === 'missing' || data === undefined || state === undefined) return { kind: 'missing' };
    if (kind !== 'applied' && kind !== 'unchanged' && kind !== 'refused' && kind !== 'flagged') {
      throw new Error(`unexpected transition reply ${String(kind)}`);
    }
    const flags = await this.redis.smembers(this.flagsKey(id));
    return { kind, payment: withFlags(toPayment(data, state, txid ?? '', flag ?? '0', reference ?? '', notifiedAt ?? '', history), flags) };
  }

  async rememberReference(id: string, reference: string): Promise<string | null> {
    if (!isSafeKeyPart(id)) return null;
    return this.redis.guichetPaymentRemember(this.hashKey(id), reference);
  }

  async createdOn(day: string): Promise<Payment[]> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return [];
    const ids = await this.redis.smembers(this.index(`day:${day}`));
    const payments = await Promise.all(ids.map((id) => this.get(id)));
    return payments.filter((p): p is Payment => p !== null);
  }

  async overdue(nowIso: string, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.index('open'), '-inf', Date.parse(nowIso), 'LIMIT', 0, limit);
  }

  private hashKey(id: string): string {
    return this.payKey + id;
  }
  private flagsKey(id: string): string {
    return `${this.payKey}${id}:f`;
  }
  private historyKey(id: string): string {
    return `${this.payKey}${id}:h`;
  }
  private index(name: string): string {
    return this.indexKey + name;
  }
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
