import type { Redis } from 'ioredis';
import { isSafeKeyPart } from '../payments/payment-id.js';
import { paymentKeys } from '../payments/store/redis.js';

/**
 * Moves payments written before issue 15 into the Redis Cluster layout (`src/payments/store/redis.ts`):
 * `pay:p:<id>` (and `:h`, `:f`) and the request indexes `pay:i:{open-holder,open-other,last,paid}:<n>`
 * become keys under the request's hash tag, `pay:{<n>}:…`, and each payment gets its `pay:id:<id>`
 * pointer. `pay:i:open` and `pay:i:day:*` keep their names. Sessions, SMS messages, counters and the
 * cache kept theirs, so nothing else moves.
 *
 * For a single Redis (REDIS_URL or Sentinel), run once with the gateways stopped, before starting
 * the version that reads the new layout; a second run finds nothing to move. It SCANs (never KEYS),
 * and moves each payment in one MULTI with RENAME, so expiries are kept and a crash mid-way leaves
 * every payment either old or new, never half of each: running it again finishes the job.
 */
export async function migrateLegacyPayments(redis: Redis, prefix: string): Promise<{ payments: number; indexes: number }> {
  const keys = paymentKeys(prefix);
  const legacyHash = `${prefix}pay:p:`;
  const legacyIndex = `${prefix}pay:i:`;
  const requests = new Set<string>();
  let payments = 0;
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${legacyHash}*`, 'COUNT', 500);
    cursor = next;
    for (const hashKey of found) {
      const id = hashKey.slice(legacyHash.length);
      if (!isSafeKeyPart(id)) continue; // `<id>:h`, `<id>:f`: moved with their payment
      const [data, lock] = await redis.hmget(hashKey, 'd', 'q');
      if (data === null || data === undefined) continue;
      const requestNumber = (JSON.parse(data) as { requestNumber?: unknown }).requestNumber;
      if (!isSafeKeyPart(requestNumber)) continue;
      const [hasHistory, hasFlags, ttlMs] = await Promise.all([redis.exists(`${hashKey}:h`), redis.exists(`${hashKey}:f`), redis.pttl(hashKey)]);
      const move = redis.multi().rename(hashKey, keys.payment(requestNumber, id));
      if (hasHistory) move.rename(`${hashKey}:h`, keys.history(requestNumber, id));
      if (hasFlags) move.rename(`${hashKey}:f`, keys.flags(requestNumber, id));
      // The lock a payment holds is named in its hash: renamed below, so named anew here.
      if (lock === `${legacyIndex}open-holder:${requestNumber}`) move.hset(keys.payment(requestNumber, id), 'q', keys.holderLock(requestNumber));
      if (lock === `${legacyIndex}open-other:${requestNumber}`) move.hset(keys.payment(requestNumber, id), 'q', keys.otherLock(requestNumber));
      if (ttlMs > 0) move.set(keys.pointer(id), requestNumber, 'PX', ttlMs);
      else move.set(keys.pointer(id), requestNumber);
      await move.exec();
      requests.add(requestNumber);
      payments++;
    }
  } while (cursor !== '0');

  let indexes = 0;
  for (const requestNumber of requests) {
    const moves: [string, string][] = [
      [`${legacyIndex}open-holder:${requestNumber}`, keys.holderLock(requestNumber)],
      [`${legacyIndex}open-other:${requestNumber}`, keys.otherLock(requestNumber)],
      [`${legacyIndex}last:${requestNumber}`, keys.last(requestNumber)],
      [`${legacyIndex}paid:${requestNumber}`, keys.paid(requestNumber)],
    ];
    for (const [from, to] of moves) {
      if ((await redis.exists(from)) === 0) continue;
      await redis.rename(from, to);
      indexes++;
    }
  }
  return { payments, indexes };
}
