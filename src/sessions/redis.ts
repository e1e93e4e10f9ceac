import type { Cluster, Redis } from 'ioredis';
import { LANGUAGE_TTL_SECONDS, type PreferenceStore, type RecipientPreferences, type SessionStore, type VersionedRecord } from './port.js';

/**
 * Compare-and-set in one server-side step: a hop's write lands only if nobody wrote since it
 * read. A hash of two short fields stays in Redis's compact listpack encoding (see the README
 * for bytes per live session).
 */
const SAVE_IF_VERSION = `
local current = redis.call('HGET', KEYS[1], 'v')
if current == false then current = '' end
if current ~= ARGV[1] then return 0 end
local next = (tonumber(ARGV[1]) or 0) + 1
redis.call('HSET', KEYS[1], 'v', next, 'd', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return next
`;

type RedisWithCas = (Redis | Cluster) & {
  guichetSaveIfVersion(key: string, expected: string, data: string, ttlSeconds: number): Promise<number>;
};

export interface RedisStoreOptions {
  /** Namespace for every key, so several deployments or tests can share one Redis. */
  prefix?: string;
  /**
   * Whether keys of two hash slots may go in one command (`MGET` of a number's language and
   * opt-out): true on one Redis, false on a Cluster, where they may live on two masters and the
   * command would be refused (CROSSSLOT). Default: the client's own (`!redis.isCluster`). The
   * slot-audited suite sets false to check the Cluster's path on one Redis.
   */
  multiKey?: boolean;
}

/** Sessions and preferences in Redis (ioredis). Node only: wired in `src/runtime/node/main.ts`. */
export class RedisSessionStore implements SessionStore, PreferenceStore {
  private readonly redis: RedisWithCas;
  private readonly prefix: string;
  private readonly multiKey: boolean;

  constructor(redis: Redis | Cluster, options: RedisStoreOptions = {}) {
    this.prefix = options.prefix ?? 'guichet:';
    this.multiKey = options.multiKey ?? !redis.isCluster;
    if (!('guichetSaveIfVersion' in redis)) {
      redis.defineCommand('guichetSaveIfVersion', { numberOfKeys: 1, lua: SAVE_IF_VERSION });
    }
    this.redis = redis as RedisWithCas;
  }

  async load(key: string): Promise<VersionedRecord | null> {
    const [version, data] = await this.redis.hmget(this.sessionKey(key), 'v', 'd');
    if (version == null || data == null) return null;
    return { data, version: Number(version) };
  }

  async save(key: string, data: string, expectedVersion: number | null, ttlSeconds: number): Promise<boolean> {
    const written = await this.redis.guichetSaveIfVersion(
      this.sessionKey(key),
      expectedVersion === null ? '' : String(expectedVersion),
      data,
      Math.max(1, Math.ceil(ttlSeconds)),
    );
    return written > 0;
  }

  /** `SET … GET EX`: one command on one key (Redis 6.2+), so atomic and Cluster-safe as it is. */
  async exchange(key: string, value: string, ttlSeconds: number): Promise<string | null> {
    return this.redis.set(`${this.prefix}ptr:${key}`, value, 'EX', Math.max(1, Math.ceil(ttlSeconds)), 'GET');
  }

  async getLanguage(msisdn: string): Promise<string | null> {
    return this.redis.get(`${this.prefix}lang:${msisdn}`);
  }

  async setLanguage(msisdn: string, language: string): Promise<void> {
    await this.redis.set(`${this.prefix}lang:${msisdn}`, language, 'EX', LANGUAGE_TTL_SECONDS);
  }

  async isOptedOut(msisdn: string): Promise<boolean> {
    return (await this.redis.exists(`${this.prefix}optout:${msisdn}`)) === 1;
  }

  /** An opt-out has no expiry: it stands until the citizen opts back in. */
  async setOptedOut(msisdn: string, optedOut: boolean): Promise<void> {
    if (optedOut) await this.redis.set(`${this.prefix}optout:${msisdn}`, new Date().toISOString());
    else await this.redis.del(`${this.prefix}optout:${msisdn}`);
  }

  /**
   * One `MGET` on one Redis (the opt-out's value is its date, any value meaning opted out, as
   * `EXISTS` reads it); on a Cluster the two keys' slots differ, so a `GET` and an `EXISTS`, sent
   * together (one round trip when they share a master, auto-pipelined).
   */
  async languageAndOptOut(msisdn: string): Promise<RecipientPreferences> {
    const languageKey = `${this.prefix}lang:${msisdn}`;
    const optOutKey = `${this.prefix}optout:${msisdn}`;
    if (this.multiKey) {
      const [language, optOut] = await this.redis.mget(languageKey, optOutKey);
      return { language: language ?? null, optedOut: optOut !== null && optOut !== undefined };
    }
    const [language, optOut] = await Promise.all([this.redis.get(languageKey), this.redis.exists(optOutKey)]);
    return { language, optedOut: optOut === 1 };
  }

  private sessionKey(key: string): string {
    return `${this.prefix}ussd:${key}`;
  }
}
