import type { Cluster, Redis } from 'ioredis';
import type { RateDecision, RateLimiter, RatePolicy } from './port.js';

/**
 * The counters of one key in one Redis hash (`w` window start, `c` its hits, `p` the previous
 * window's hits), read and changed by one script: hits on every instance are counted once each,
 * and the limit holds across the fleet. One key per script, so it runs unchanged on a Redis
 * Cluster; the key's variable part is a hash tag all the same (`prefix{key}`), the convention of
 * every multi-instance key here. The arithmetic is `rollWindow` + `decide` of `port.ts`.
 */
const HIT = `
local now, limit, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local start = now - (now % window)
local h = redis.call('HMGET', KEYS[1], 'w', 'c', 'p')
local w, c, p = tonumber(h[1]), tonumber(h[2]) or 0, tonumber(h[3]) or 0
if w == nil or w < start - window then
  w, c, p = start, 0, 0
elseif w == start - window then
  w, c, p = start, 0, c
end
local elapsed = math.min(math.max(now - w, 0), window - 1)
local estimated = math.floor(p * (window - elapsed) / window) + c
if estimated < limit then
  redis.call('HSET', KEYS[1], 'w', w, 'c', c + 1, 'p', p)
  redis.call('PEXPIRE', KEYS[1], 2 * window)
  return {1, limit - estimated - 1, 0}
end
local retry
if c < limit then
  retry = math.max(1, math.floor(window * (p - limit + c) / p) + 1 - elapsed)
else
  retry = window - elapsed + math.floor(window * (c - limit) / c) + 1
end
return {0, 0, retry}
`;

type RedisWithHit = (Redis | Cluster) & { guichetRateHit(key: string, ...args: number[]): Promise<[number, number, number]> };

export class RedisRateLimiter implements RateLimiter {
  private readonly redis: RedisWithHit;

  constructor(
    redis: Redis | Cluster,
    private readonly prefix = 'guichet:rate:',
  ) {
    if (!('guichetRateHit' in redis)) redis.defineCommand('guichetRateHit', { numberOfKeys: 1, lua: HIT });
    this.redis = redis as RedisWithHit;
  }

  async hit(key: string, policy: RatePolicy, nowMs: number): Promise<RateDecision> {
    const [allowed, remaining, retryAfterMs] = await this.redis.guichetRateHit(`${this.prefix}{${key}}`, nowMs, policy.limit, policy.windowMs);
    return { allowed: allowed === 1, remaining: Number(remaining), retryAfterMs: Number(retryAfterMs) };
  }
}
