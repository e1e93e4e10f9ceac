import type { Cluster, Redis } from 'ioredis';
import { IDENTITY_PROOF_POLICY, type AttemptLimiter, type AttemptPolicy, type AttemptState } from './port.js';

/**
 * Failure counters in Redis, shared by every instance: one hash per key (`f` failures, `u` locked
 * until), changed by one script so concurrent failures on several instances all count.
 * The script computes the same lock as `lockForFailures`.
 */
const FAIL = `
local failures = redis.call('HINCRBY', KEYS[1], 'f', 1)
local now, free, base, max, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local lock = 0
if failures > free then lock = math.min(base * 2 ^ (failures - free - 1), max) end
local lockedUntil = tonumber(redis.call('HGET', KEYS[1], 'u') or '0')
if lock > 0 then
  lockedUntil = now + lock
  redis.call('HSET', KEYS[1], 'u', lockedUntil)
end
redis.call('PEXPIRE', KEYS[1], math.max(window, lock))
return {failures, tostring(lockedUntil)}
`;

type RedisWithFail = (Redis | Cluster) & { guichetAttemptFail(key: string, ...args: number[]): Promise<[number, string]> };

export class RedisAttemptLimiter implements AttemptLimiter {
  private readonly redis: RedisWithFail;

  constructor(
    redis: Redis | Cluster,
    private readonly policy: AttemptPolicy = IDENTITY_PROOF_POLICY,
    private readonly prefix = 'guichet:attempts:',
  ) {
    if (!('guichetAttemptFail' in redis)) redis.defineCommand('guichetAttemptFail', { numberOfKeys: 1, lua: FAIL });
    this.redis = redis as RedisWithFail;
  }

  async peek(key: string): Promise<AttemptState> {
    const [failures, lockedUntil] = await this.redis.hmget(this.prefix + key, 'f', 'u');
    return { failures: Number(failures ?? 0), lockedUntilMs: Number(lockedUntil ?? 0) };
  }

  async fail(key: string, nowMs: number): Promise<AttemptState> {
    const p = this.policy;
    const [failures, lockedUntil] = await this.redis.guichetAttemptFail(this.prefix + key, nowMs, p.freeFailures, p.baseLockMs, p.maxLockMs, p.windowMs);
    return { failures: Number(failures), lockedUntilMs: Number(lockedUntil) };
  }

  async clear(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }
}
