import type { Redis } from 'ioredis';
import { legalSourcesOf, RECONCILIATION_FLAGS, type ReconciliationFlag, type NewPayment, type Payment, type PaymentState, type TransitionOutcome, type TransitionRecord, type TransitionRequest } from './payment.js';
import { financeDay, type PaymentStore } from './payment-store.js';

/*
 * Layout, per payment: a hash `pay:<id>` (d = the fixed part as JSON, s = state, t = provider
 * transaction id, r = reconciliation flag, p = the provider's own id for the collection), a set
 * `pay:<id>:f` of further reconciliation flags (a refund after the success), a list
 * `pay:<id>:h` of transitions as JSON; one sorted set `pay:open` of unfinished payments scored by
 * expiry (ms) for the reconciliation job; `pay:open-request:<number>` naming a request's one
 * unfinished payment (hash field q) and `pay:last-request:<number>` naming its most recent one.
 * Each operation is one Lua script, so check-then-move cannot interleave with another caller's.
 */

const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local last = redis.call('GET', KEYS[5])
if last and redis.call('HGET', ARGV[4] .. last, 's') == 'succeeded' then return 0 end
if redis.call('SET', KEYS[2], ARGV[3], 'NX') == false then return 0 end
redis.call('HSET', KEYS[1], 'd', ARGV[1], 's', 'created', 'r', '0', 'q', KEYS[2])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[3])
redis.call('SADD', KEYS[4], ARGV[3])
redis.call('SET', KEYS[5], ARGV[3])
return 1
`;

/** KEYS: hash, history, open set. ARGV: to, at, reason, provider txid ('' = none), id, legal sources... */
const TRANSITION = `
local cur = redis.call('HGET', KEYS[1], 's')
if not cur then return {'missing'} end
local to = ARGV[1]
local kind
if cur == to then
  kind = 'unchanged'
else
  local legal = false
  for i = 6, #ARGV do if ARGV[i] == cur then legal = true end end
  if legal then
    redis.call('HSET', KEYS[1], 's', to)
    if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 't', ARGV[4]) end
    redis.call('RPUSH', KEYS[2], cjson.encode({from = cur, to = to, at = ARGV[2], reason = ARGV[3]}))
    if to == 'succeeded' or to == 'failed' or to == 'expired' then
      redis.call('ZREM', KEYS[3], ARGV[5])
      local lock = redis.call('HGET', KEYS[1], 'q')
      if lock and redis.call('GET', lock) == ARGV[5] then redis.call('DEL', lock) end
    end
    kind = 'applied'
  elseif cur == 'expired' and to == 'succeeded' then
    redis.call('HSET', KEYS[1], 'r', '1')
    if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 't', ARGV[4]) end
    redis.call('RPUSH', KEYS[2], cjson.encode({from = cur, to = to, at = ARGV[2], reason = 'late success: ' .. ARGV[3]}))
    kind = 'flagged'
  else
    kind = 'refused'
  end
end
local row = redis.call('HMGET', KEYS[1], 'd', 's', 't', 'r', 'p')
local result = {kind, row[1], row[2], row[3] or '', row[4], row[5] or ''}
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

type RedisWithPayments = Redis & {
  guichetPaymentCreate(hash: string, requestLock: string, open: string, day: string, latest: string, data: string, expiresMs: number, id: string, hashPrefix: string): Promise<number>;
  guichetPaymentTransition(hash: string, history: string, open: string, ...args: string[]): Promise<string[]>;
  guichetPaymentRemember(hash: string, reference: string): Promise<string | null>;
  guichetPaymentFlag(hash: string, flags: string, flag: string): Promise<number>;
};

export class RedisPaymentStore implements PaymentStore {
  private readonly redis: RedisWithPayments;

  constructor(redis: Redis, private readonly prefix = 'guichet:') {
    if (!('guichetPaymentFlag' in redis)) redis.defineCommand('guichetPaymentFlag', { numberOfKeys: 2, lua: FLAG });
    if (!('guichetPaymentCreate' in redis)) {
      redis.defineCommand('guichetPaymentCreate', { numberOfKeys: 5, lua: CREATE });
      redis.defineCommand('guichetPaymentTransition', { numberOfKeys: 3, lua: TRANSITION });
      redis.defineCommand('guichetPaymentRemember', { numberOfKeys: 1, lua: REMEMBER });
    }
    this.redis = redis as RedisWithPayments;
  }

  async create(payment: NewPayment): Promise<boolean> {
    const created = await this.redis.guichetPaymentCreate(
      this.hashKey(payment.id), `${this.prefix}pay:open-request:${payment.requestNumber}`, this.openKey(), this.dayKey(financeDay(payment.createdAt)),
      this.lastRequestKey(payment.requestNumber), JSON.stringify(payment), Date.parse(payment.expiresAt), payment.id, `${this.prefix}pay:`,
    );
    return created === 1;
  }

  async get(id: string): Promise<Payment | null> {
    const [row, history, flags] = await Promise.all([
      this.redis.hmget(this.hashKey(id), 'd', 's', 't', 'r', 'p'),
      this.redis.lrange(this.historyKey(id), 0, -1),
      this.redis.smembers(this.flagsKey(id)),
    ]);
    const [data, state, txid, flag, reference] = row;
    if (data == null || state == null) return null;
    return withFlags(toPayment(data, state, txid ?? '', flag ?? '0', reference ?? '', history), flags);
  }

  async flag(id: string, flag: ReconciliationFlag): Promise<boolean> {
    return (await this.redis.guichetPaymentFlag(this.hashKey(id), this.flagsKey(id), flag)) === 1;
  }

  async latestForRequest(requestNumber: string): Promise<Payment | null> {
    const id = await this.redis.get(this.lastRequestKey(requestNumber));
    return id ? this.get(id) : null;
  }

  async transition(id: string, request: TransitionRequest): Promise<TransitionOutcome> {
    const reply = await this.redis.guichetPaymentTransition(
      this.hashKey(id), this.historyKey(id), this.openKey(),
      request.to, request.at, request.reason, request.providerTransactionId ?? '', id,
      ...legalSourcesOf(request.to),
    );
    const [kind, data, state, txid, flag, reference, ...history] = reply;
    if (kind === 'missing' || data === undefined || state === undefined) return { kind: 'missing' };
    if (kind !== 'applied' && kind !== 'unchanged' && kind !== 'refused' && kind !== 'flagged') {
      throw new Error(`unexpected transition reply ${String(kind)}`);
    }
    const flags = await this.redis.smembers(this.flagsKey(id));
    return { kind, payment: withFlags(toPayment(data, state, txid ?? '', flag ?? '0', reference ?? '', history), flags) };
  }

  async rememberReference(id: string, reference: string): Promise<string | null> {
    return this.redis.guichetPaymentRemember(this.hashKey(id), reference);
  }

  async createdOn(day: string): Promise<Payment[]> {
    const ids = await this.redis.smembers(this.dayKey(day));
    const payments = await Promise.all(ids.map((id) => this.get(id)));
    return payments.filter((p): p is Payment => p !== null);
  }

  private dayKey(day: string): string {
    return `${this.prefix}pay:day:${day}`;
  }

  async overdue(nowIso: string, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.openKey(), '-inf', Date.parse(nowIso), 'LIMIT', 0, limit);
  }

  private hashKey(id: string): string {
    return `${this.prefix}pay:${id}`;
  }
  private flagsKey(id: string): string {
    return `${this.prefix}pay:${id}:f`;
  }
  private historyKey(id: string): string {
    return `${this.prefix}pay:${id}:h`;
  }
  private lastRequestKey(requestNumber: string): string {
    return `${this.prefix}pay:last-request:${requestNumber}`;
  }
  private openKey(): string {
    return `${this.prefix}pay:open`;
  }
}

function withFlags(payment: Payment, flags: string[]): Payment {
  const known = flags.filter((f): f is ReconciliationFlag => (RECONCILIATION_FLAGS as readonly string[]).includes(f)).sort();
  return known.length > 0 ? { ...payment, reconciliationFlags: known } : payment;
}

function toPayment(data: string, state: string, txid: string, flag: string, reference: string, history: string[]): Payment {
  const fixed = JSON.parse(data) as NewPayment;
  return {
    ...fixed,
    state: state as PaymentState,
    ...(txid ? { providerTransactionId: txid } : {}),
    ...(reference ? { providerReference: reference } : {}),
    needsReconciliation: flag === '1',
    history: history.map((entry) => JSON.parse(entry) as TransitionRecord),
  };
}
