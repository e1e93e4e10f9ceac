import type { Cluster, Redis } from 'ioredis';
import type { Cache } from './port.js';

/** The cache in Redis, with Redis's own expiry. */
export class RedisCache implements Cache {
  constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix = 'guichet:cache:',
  ) {}

  get(key: string): Promise<string | null> {
    return this.redis.get(this.prefix + key);
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.prefix + key, value, 'EX', Math.max(1, Math.ceil(ttlSeconds)));
  }
}
