import type { Cluster, Redis } from 'ioredis';
import type { EnrolmentStore, MatriculeHolder, PendingCode } from './port.js';

/**
 * Enrolments in Redis, shared by every instance. Per number two keys under one hash tag (the
 * number's keyed hash), so each script below runs on one Redis Cluster slot: `…:enrolled` (the
 * matricule, no expiry) and `…:code` (a hash: `m` matricule, `h` code hash, `a` attempts, `e`
 * expiry in ms; PEXPIREd with the code). Per matricule one key under the matricule's keyed hash,
 * `…{m:<hash>}:holder`: `<number key> <sealed number>`, no expiry, changed with single commands or
 * a script on that one key.
 */
const TAKE_ATTEMPT = `
local e = tonumber(redis.call('HGET', KEYS[1], 'e') or '0')
if e <= tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[1])
  return false
end
local a = redis.call('HINCRBY', KEYS[1], 'a', 1)
return {redis.call('HGET', KEYS[1], 'm'), redis.call('HGET', KEYS[1], 'h'), a, tostring(e)}
`;

const COMPLETE = `
local e = tonumber(redis.call('HGET', KEYS[1], 'e') or '0')
if e <= tonumber(ARGV[2]) or redis.call('HGET', KEYS[1], 'h') ~= ARGV[1] then return false end
local m = redis.call('HGET', KEYS[1], 'm')
redis.call('SET', KEYS[2], m)
redis.call('DEL', KEYS[1])
return m
`;

/** Deletes the holder key if it still names this number key (the value's first word). */
const RELEASE_HOLDER = `
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, string.len(ARGV[1]) + 1) == ARGV[1] .. ' ' then redis.call('DEL', KEYS[1]) end
return 0
`;

/** Deletes the number's enrolment if it is still this matricule. */
const UNENROL_IF = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`;

type RedisWithScripts = (Redis | Cluster) & {
  guichetEnrolmentTake(code: string, nowMs: number): Promise<[string, string, number, string] | null>;
  guichetEnrolmentComplete(code: string, enrolled: string, codeHash: string, nowMs: number): Promise<string | null>;
  guichetEnrolmentReleaseHolder(holder: string, numberKey: string): Promise<number>;
  guichetEnrolmentUnenrolIf(enrolled: string, matricule: string): Promise<number>;
};

export class RedisEnrolmentStore implements EnrolmentStore {
  private readonly redis: RedisWithScripts;

  constructor(
    redis: Redis | Cluster,
    private readonly prefix = 'guichet:careers:',
  ) {
    if (!('guichetEnrolmentTake' in redis)) redis.defineCommand('guichetEnrolmentTake', { numberOfKeys: 1, lua: TAKE_ATTEMPT });
    if (!('guichetEnrolmentComplete' in redis)) redis.defineCommand('guichetEnrolmentComplete', { numberOfKeys: 2, lua: COMPLETE });
    if (!('guichetEnrolmentReleaseHolder' in redis)) redis.defineCommand('guichetEnrolmentReleaseHolder', { numberOfKeys: 1, lua: RELEASE_HOLDER });
    if (!('guichetEnrolmentUnenrolIf' in redis)) redis.defineCommand('guichetEnrolmentUnenrolIf', { numberOfKeys: 1, lua: UNENROL_IF });
    this.redis = redis as RedisWithScripts;
  }

  private keys(numberKey: string) {
    const base = `${this.prefix}{${numberKey}}`;
    return { enrolled: `${base}:enrolled`, code: `${base}:code` };
  }

  async enrolled(numberKey: string): Promise<string | null> {
    return this.redis.get(this.keys(numberKey).enrolled);
  }

  async startPending(numberKey: string, pending: { matricule: string; codeHash: string }, ttlMs: number, nowMs: number): Promise<void> {
    const { code } = this.keys(numberKey);
    // One MULTI on one key: the old code is gone in the same step the new one appears.
    await this.redis
      .multi()
      .del(code)
      .hset(code, 'm', pending.matricule, 'h', pending.codeHash, 'a', 0, 'e', nowMs + ttlMs)
      .pexpire(code, ttlMs)
      .exec();
  }

  async takeAttempt(numberKey: string, nowMs: number): Promise<PendingCode | null> {
    const taken = await this.redis.guichetEnrolmentTake(this.keys(numberKey).code, nowMs);
    if (!taken) return null;
    const [matricule, codeHash, attempts, expiresAt] = taken;
    return { matricule, codeHash, attempts: Number(attempts), expiresAtMs: Number(expiresAt) };
  }

  async complete(numberKey: string, codeHash: string, nowMs: number): Promise<string | null> {
    const { code, enrolled } = this.keys(numberKey);
    return this.redis.guichetEnrolmentComplete(code, enrolled, codeHash, nowMs);
  }

  async dropPending(numberKey: string): Promise<void> {
    await this.redis.del(this.keys(numberKey).code);
  }

  async unenrol(numberKey: string): Promise<void> {
    const { code, enrolled } = this.keys(numberKey);
    await this.redis.del(code, enrolled);
  }

  /** `SET … GET`: one command on one key, so the exchange is atomic on a Cluster as it is. */
  async exchangeHolder(matriculeKey: string, holder: MatriculeHolder): Promise<MatriculeHolder | null> {
    const previous = await this.redis.set(this.holderKey(matriculeKey), `${holder.numberKey} ${holder.sealedNumber}`, 'GET');
    if (previous === null) return null;
    const space = previous.indexOf(' ');
    return space > 0 ? { numberKey: previous.slice(0, space), sealedNumber: previous.slice(space + 1) } : null;
  }

  async releaseHolder(matriculeKey: string, numberKey: string): Promise<void> {
    await this.redis.guichetEnrolmentReleaseHolder(this.holderKey(matriculeKey), numberKey);
  }

  async unenrolIf(numberKey: string, matricule: string): Promise<boolean> {
    return (await this.redis.guichetEnrolmentUnenrolIf(this.keys(numberKey).enrolled, matricule)) === 1;
  }

  private holderKey(matriculeKey: string): string {
    return `${this.prefix}{m:${matriculeKey}}:holder`;
  }
}
