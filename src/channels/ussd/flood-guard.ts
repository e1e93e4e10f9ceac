import type { Logger } from '../../observability/logger.js';
import type { RateDecision, RateLimiter, RatePolicy } from '../../limits/rate/port.js';
import type { TextHasher } from './pii-hash.js';

/**
 * USSD hops per caller number, counted over every instance (the rate limiter's store): a handset
 * or a script hammering the short code gets a polite END instead of menus and portal calls. Keyed
 * by the keyed hash of the number, as the attempt counters are: no number in a Redis key name.
 */
export interface FloodGuard {
  /**
   * Counts one hop for the number. Started before the hop's session load and awaited beside it,
   * so the count costs no round trip of its own (ioredis auto-pipelining writes it with the
   * commands issued in the same tick). Never rejects: a limiter that fails (its store away)
   * admits the hop (`null`), and the hop meets the same store and answers for it.
   */
  admit(msisdn: string, hash: TextHasher): Promise<RateDecision | null>;
}

/** Counter keys kept per number (about 100 bytes each); the map starts again when full. */
const MAX_KNOWN_KEYS = 10_000;

export function floodGuard(limiter: RateLimiter, policy: RatePolicy, logger: Logger, now: () => number = Date.now): FloodGuard {
  // A number's counter key is the same on every hop of its sessions: hashed once, not per hop.
  const keys = new Map<string, string>();
  let keyedWith: TextHasher | undefined;
  return {
    async admit(msisdn, hash) {
      try {
        if (hash !== keyedWith) {
          keys.clear();
          keyedWith = hash;
        }
        let key = keys.get(msisdn);
        if (key === undefined) {
          key = `ussd:${await hash(`flood:${msisdn}`)}`;
          if (keys.size >= MAX_KNOWN_KEYS) keys.clear();
          keys.set(msisdn, key);
        }
        return await limiter.hit(key, policy, now());
      } catch (error) {
        logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'USSD flood guard not checked: limiter unavailable');
        return null;
      }
    },
  };
}
