import type { Cluster, Redis } from 'ioredis';
import { chainEntry, sha256Hex, type Sha256Hex } from './chain.js';
import {
  ACCESS_LOG_MAX_ENTRIES,
  ACCESS_LOG_TTL_SECONDS,
  GENESIS,
  type AccessEntry,
  type AccessLogStore,
  type ChainedEntry,
} from './port.js';

/**
 * Append only after the head the writer chained on: the list's last element starts with its
 * hash, so the script compares, pushes, trims (retention) and refreshes the TTL in one step on
 * one key. A writer that lost the race re-reads the head and chains again.
 */
const APPEND_AFTER_HEAD = `
local last = redis.call('LINDEX', KEYS[1], -1)
local head = '${GENESIS}'
if last then head = string.sub(last, 1, 64) end
if head ~= ARGV[1] then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[2])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[3]), -1)
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
`;

type RedisWithAppend = (Redis | Cluster) & {
  guichetAccessLogAppend(key: string, head: string, item: string, max: number, ttl: number): Promise<number>;
};

const MAX_ATTEMPTS = 20;

export class RedisAccessLogStore implements AccessLogStore {
  private readonly redis: RedisWithAppend;
  private readonly prefix: string;

  private readonly maxEntries: number;
  private readonly ttlSeconds: number;

  private readonly sha256: Sha256Hex;

  /** `sha256`: the runtime's hash when faster than WebCrypto's (same digests; Node: `nodeSha256Hex`). */
  constructor(redis: Redis | Cluster, options: { prefix?: string; maxEntries?: number; ttlSeconds?: number; sha256?: Sha256Hex } = {}) {
    this.sha256 = options.sha256 ?? sha256Hex;
    this.maxEntries = options.maxEntries ?? ACCESS_LOG_MAX_ENTRIES;
    this.ttlSeconds = options.ttlSeconds ?? ACCESS_LOG_TTL_SECONDS;
    this.prefix = options.prefix ?? 'guichet:';
    if (!('guichetAccessLogAppend' in redis)) {
      redis.defineCommand('guichetAccessLogAppend', { numberOfKeys: 1, lua: APPEND_AFTER_HEAD });
    }
    this.redis = redis as RedisWithAppend;
  }

  /** One hash-tagged key per holder, so the script is Cluster-safe. */
  private key(holderKey: string): string {
    return `${this.prefix}accesslog:{${holderKey}}`;
  }

  /** Appends for one holder from this instance go one at a time (no self-contention); the script guards across instances. */
  private readonly tails = new Map<string, Promise<unknown>>();

  append(holderKey: string, entry: AccessEntry): Promise<ChainedEntry> {
    const run = (this.tails.get(holderKey) ?? Promise.resolve()).then(() => this.appendOnce(holderKey, entry));
    const tail = run.catch(() => undefined);
    this.tails.set(holderKey, tail);
    void tail.then(() => {
      if (this.tails.get(holderKey) === tail) this.tails.delete(holderKey);
    });
    return run;
  }

  private async appendOnce(holderKey: string, entry: AccessEntry): Promise<ChainedEntry> {
    const key = this.key(holderKey);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const last = await this.redis.lindex(key, -1);
      const previous = last === null ? null : decode(last);
      const chained = await chainEntry(previous, entry, this.sha256);
      const item = `${chained.hash}${JSON.stringify(chained)}`;
      const written = await this.redis.guichetAccessLogAppend(key, chained.prev, item, this.maxEntries, this.ttlSeconds);
      if (written === 1) return chained;
    }
    throw new Error('access log append kept losing the race');
  }

  async list(holderKey: string, limit?: number): Promise<ChainedEntry[]> {
    const items = await this.redis.lrange(this.key(holderKey), limit === undefined ? 0 : -limit, -1);
    return items.map(decode);
  }
}

function decode(item: string): ChainedEntry {
  return JSON.parse(item.slice(64)) as ChainedEntry;
}
