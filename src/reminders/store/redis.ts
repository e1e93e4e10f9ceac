import type { Cluster, Redis } from 'ioredis';
import { LANGUAGES, type Language } from '../../engine/schema.js';
import { TRACKED_STATUSES, type TrackedStatus } from '../rules.js';
import type { FrequencyCap } from '../schedule.js';
import { claimRetentionMs, IDEMPOTENCY_TTL_MS, STATE_TTL_MS, type EventOutcome, type RecordedEvent, type ReminderStore, type RequestState, type SendClaim, type StatusEvent } from './port.js';

/**
 * One report, atomically: the idempotency key, the time order and the status move in one script.
 * KEYS[1] is the request's state (a hash), KEYS[2] its idempotency keys (a sorted set scored by
 * expiry); both carry the request's hash tag, so the script runs on one Redis Cluster slot.
 */
const RECORD = `
local now = tonumber(ARGV[9])
local prev = redis.call('HGETALL', KEYS[1])
if ARGV[1] ~= '' and #prev > 0 then
  local seen = redis.call('ZSCORE', KEYS[2], ARGV[1])
  if seen and tonumber(seen) > now then return {'duplicate', prev, prev} end
end
local cur = {}
for i = 1, #prev, 2 do cur[prev[i]] = prev[i + 1] end
local at = tonumber(ARGV[3])
local outcome
if cur.status and at < tonumber(cur.lastEventMs) then
  outcome = 'stale'
elseif cur.status == ARGV[2] then
  outcome = 'unchanged'
  redis.call('HSET', KEYS[1], 'lastEventMs', ARGV[3])
else
  outcome = 'changed'
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'agency', ARGV[7], 'requestNumber', ARGV[8], 'status', ARGV[2], 'sinceMs', ARGV[3], 'lastEventMs', ARGV[3], 'to', ARGV[4])
  if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'language', ARGV[5]) end
  if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'amountXof', ARGV[6]) end
end
redis.call('PEXPIRE', KEYS[1], ARGV[10])
if ARGV[1] ~= '' then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[11]), ARGV[1])
  redis.call('PEXPIRE', KEYS[2], ARGV[11])
end
return {outcome, redis.call('HGETALL', KEYS[1]), prev}
`;

/**
 * The frequency cap, atomically (two reminders for one number firing at once on two instances
 * cannot both take the last place): the same rule as `capVerdict`. One key, a sorted set of the
 * number's reminder keys scored by when they were claimed. ARGV: key, now, retention, then
 * max/window pairs.
 */
const CLAIM = `
local now = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%d', now - tonumber(ARGV[3])))
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 'already' end
for i = 4, #ARGV, 2 do
  local max, window = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  local count = redis.call('ZCOUNT', KEYS[1], string.format('(%d', now - window), string.format('%d', now))
  if count >= max then return 'capped' end
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 'claimed'
`;

type RedisWithReminders = (Redis | Cluster) & {
  guichetReminderRecord(state: string, keys: string, ...args: string[]): Promise<[EventOutcome, string[], string[]]>;
  guichetReminderClaim(sent: string, ...args: string[]): Promise<SendClaim>;
};

/** Reminder state in Redis, shared by every instance. Node only. */
export class RedisReminderStore implements ReminderStore {
  private readonly redis: RedisWithReminders;

  constructor(
    redis: Redis | Cluster,
    private readonly prefix = 'guichet:',
    private readonly now: () => number = Date.now,
  ) {
    if (!('guichetReminderRecord' in redis)) redis.defineCommand('guichetReminderRecord', { numberOfKeys: 2, lua: RECORD });
    if (!('guichetReminderClaim' in redis)) redis.defineCommand('guichetReminderClaim', { numberOfKeys: 1, lua: CLAIM });
    this.redis = redis as RedisWithReminders;
  }

  /** The keys of one request: one hash tag, the agency and the request number (both validated: no braces). */
  requestKeys(agency: string, requestNumber: string): { state: string; idempotency: string } {
    const tag = `${this.prefix}{rem:${agency}:${requestNumber}}`;
    return { state: `${tag}:state`, idempotency: `${tag}:keys` };
  }

  sentKey(msisdn: string): string {
    return `${this.prefix}{remsent:${msisdn}}`;
  }

  async recordStatus(event: StatusEvent): Promise<RecordedEvent> {
    const keys = this.requestKeys(event.agency, event.requestNumber);
    const [outcome, after, before] = await this.redis.guichetReminderRecord(
      keys.state,
      keys.idempotency,
      event.idempotencyKey ?? '',
      event.status,
      String(event.atMs),
      event.to,
      event.language ?? '',
      event.amountXof === undefined ? '' : String(event.amountXof),
      event.agency,
      event.requestNumber,
      String(this.now()),
      String(STATE_TTL_MS),
      String(IDEMPOTENCY_TTL_MS),
    );
    const state = fromHash(after)!;
    const previous = fromHash(before);
    return { outcome, state, ...(outcome === 'changed' && previous ? { previous } : {}) };
  }

  async get(agency: string, requestNumber: string): Promise<RequestState | null> {
    const fields = await this.redis.hgetall(this.requestKeys(agency, requestNumber).state);
    return fromHash(Object.entries(fields).flat());
  }

  async claimSend(msisdn: string, reminderKey: string, nowMs: number, caps: readonly FrequencyCap[]): Promise<SendClaim> {
    const pairs = caps.flatMap((cap) => [String(cap.max), String(cap.windowMs)]);
    return this.redis.guichetReminderClaim(this.sentKey(msisdn), reminderKey, String(nowMs), String(claimRetentionMs(caps)), ...pairs);
  }
}

/** A state hash as HGETALL lists it (field, value, …); null when empty or not one of ours. */
function fromHash(flat: readonly string[]): RequestState | null {
  if (flat.length === 0) return null;
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  const status = fields.status as TrackedStatus | undefined;
  if (!status || !(TRACKED_STATUSES as readonly string[]).includes(status) || !fields.agency || !fields.requestNumber || !fields.to) return null;
  const language = (LANGUAGES as readonly string[]).includes(fields.language ?? '') ? (fields.language as Language) : undefined;
  return {
    agency: fields.agency,
    requestNumber: fields.requestNumber,
    status,
    sinceMs: Number(fields.sinceMs),
    lastEventMs: Number(fields.lastEventMs),
    to: fields.to,
    ...(language ? { language } : {}),
    ...(fields.amountXof !== undefined ? { amountXof: Number(fields.amountXof) } : {}),
  };
}
