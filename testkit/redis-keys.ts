import type { Redis } from 'ioredis';

/**
 * Deletes every key under `prefix` (SCAN, then DEL): what a test file leaves on a shared Redis.
 * `oneKeyPerCommand` for a client whose commands are audited for slots (test/unit/redis-slots.test.ts):
 * a DEL of several keys would itself be a cross-slot command there.
 */
export async function deleteKeysUnder(redis: Redis, prefix: string, options: { oneKeyPerCommand?: boolean } = {}): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (options.oneKeyPerCommand) for (const key of keys) await redis.del(key);
    else if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}
