import type { Cluster, Redis } from 'ioredis';
import type { BreakerAdmission, BreakerPolicy, BreakerStore, BreakerView, StoredBreaker } from './port.js';
import { viewOf } from './port.js';

/**
 * One hash per upstream (`f` failures, `o` opened at, `l` probe lease until), changed by one
 * single-key script per operation, so every instance's failures count and only one of them gets
 * the probe. The key's variable part is a hash tag (`prefix{service}`): one slot on a Redis
 * Cluster, unchanged. The rules are `memory.ts`'s; the conformance suite runs both.
 *
 * Each script answers the stored fields, and the caller derives the state with the same
 * `stateAt` as memory, from the same clock it passed in.
 */
const READ = `
local h = redis.call('HMGET', KEYS[1], 'f', 'o', 'l')
local f, o, l = tonumber(h[1]) or 0, tonumber(h[2]) or 0, tonumber(h[3]) or 0
local now, openMs = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = 'closed'
if o > 0 then
  if now < o + openMs then state = 'open' else state = 'half_open' end
end
`;

const ACQUIRE = `${READ}
local lease = tonumber(ARGV[3])
if state == 'closed' then return {1, 0, f, o} end
if state == 'open' or l > now then return {0, 0, f, o} end
redis.call('HSET', KEYS[1], 'l', now + lease)
redis.call('PEXPIRE', KEYS[1], openMs + lease + 86400000)
return {1, 1, f, o}
`;

const FAILURE = `${READ}
local threshold = tonumber(ARGV[3])
if state == 'open' then return {f, o} end
f = f + 1
if state == 'half_open' or f >= threshold then o = now else o = 0 end
redis.call('HSET', KEYS[1], 'f', f, 'o', o, 'l', 0)
-- A closed breaker's count is forgotten after a quiet day; an open one outlives its open time.
redis.call('PEXPIRE', KEYS[1], openMs + 86400000)
return {f, o}
`;

const SUCCESS = `${READ}
if state == 'open' then return {f, o} end
redis.call('DEL', KEYS[1])
return {0, 0}
`;

// Only while the hash exists: a breaker closed meanwhile stays closed (and no key without expiry is left).
const RELEASE = `
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'l', 0) end
return 1
`;

type Commands = {
  guichetBreakerAcquire(key: string, now: number, openMs: number, leaseMs: number): Promise<[number, number, number, number]>;
  guichetBreakerFailure(key: string, now: number, openMs: number, threshold: number): Promise<[number, number]>;
  guichetBreakerSuccess(key: string, now: number, openMs: number): Promise<[number, number]>;
  guichetBreakerRelease(key: string): Promise<number>;
};

export class RedisBreakerStore implements BreakerStore {
  private readonly redis: (Redis | Cluster) & Commands;

  constructor(
    redis: Redis | Cluster,
    private readonly prefix = 'guichet:breaker:',
  ) {
    if (!('guichetBreakerAcquire' in redis)) {
      redis.defineCommand('guichetBreakerAcquire', { numberOfKeys: 1, lua: ACQUIRE });
      redis.defineCommand('guichetBreakerFailure', { numberOfKeys: 1, lua: FAILURE });
      redis.defineCommand('guichetBreakerSuccess', { numberOfKeys: 1, lua: SUCCESS });
      redis.defineCommand('guichetBreakerRelease', { numberOfKeys: 1, lua: RELEASE });
    }
    this.redis = redis as (Redis | Cluster) & Commands;
  }

  async acquire(key: string, policy: BreakerPolicy, nowMs: number): Promise<BreakerAdmission> {
    const [allowed, probe, failures, openedAtMs] = await this.redis.guichetBreakerAcquire(this.key(key), nowMs, policy.openMs, policy.probeLeaseMs);
    return { allowed: allowed === 1, probe: probe === 1, view: viewOf(stored(failures, openedAtMs), policy, nowMs) };
  }

  async failure(key: string, policy: BreakerPolicy, nowMs: number): Promise<BreakerView> {
    const [failures, openedAtMs] = await this.redis.guichetBreakerFailure(this.key(key), nowMs, policy.openMs, policy.failureThreshold);
    return viewOf(stored(failures, openedAtMs), policy, nowMs);
  }

  async success(key: string, policy: BreakerPolicy, nowMs: number): Promise<BreakerView> {
    const [failures, openedAtMs] = await this.redis.guichetBreakerSuccess(this.key(key), nowMs, policy.openMs);
    return viewOf(stored(failures, openedAtMs), policy, nowMs);
  }

  async release(key: string): Promise<void> {
    await this.redis.guichetBreakerRelease(this.key(key));
  }

  async read(key: string, policy: BreakerPolicy, nowMs: number): Promise<BreakerView> {
    const [failures, openedAtMs] = await this.redis.hmget(this.key(key), 'f', 'o');
    return viewOf(stored(Number(failures ?? 0), Number(openedAtMs ?? 0)), policy, nowMs);
  }

  private key(service: string): string {
    return `${this.prefix}{${service}}`;
  }
}

function stored(failures: number, openedAtMs: number): StoredBreaker {
  return { failures: Number(failures), openedAtMs: Number(openedAtMs), probeUntilMs: 0 };
}
