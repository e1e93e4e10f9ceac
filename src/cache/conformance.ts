import { afterAll, describe, expect, it } from 'vitest';
import { cached, type Cache } from './port.js';

/** One contract, run against every Cache backend: memory (embedded, tests) and Redis (shared by instances). */
export function cacheConformance(name: string, make: () => Cache, cleanup?: () => Promise<void>): void {
  describe(`Cache conformance: ${name}`, () => {
    if (cleanup) afterAll(cleanup);
    const key = () => `k:${Math.random().toString(36).slice(2)}`;

    it('misses a key it was never given', async () => {
      expect(await make().get(key())).toBeNull();
    });

    it('answers what was set, any characters intact, and the latest set wins', async () => {
      const cache = make();
      const k = key();
      const value = JSON.stringify({ name: 'Extrait d’acte de naissance «CCSP» €', feeXof: 1900 });
      await cache.set(k, 'first', 60);
      await cache.set(k, value, 60);
      expect(await cache.get(k)).toBe(value);
    });

    it('forgets an entry after its time to live', async () => {
      const cache = make();
      const k = key();
      await cache.set(k, 'x', 1);
      expect(await cache.get(k)).toBe('x');
      await new Promise((r) => setTimeout(r, 1100));
      expect(await cache.get(k)).toBeNull();
    });

    it('cached() loads once, then answers from the cache', async () => {
      const cache = make();
      const k = key();
      let loads = 0;
      const load = async () => ({ services: ['acte-naissance'], loads: ++loads });
      expect(await cached(cache, k, 60, load)).toEqual({ services: ['acte-naissance'], loads: 1 });
      expect(await cached(cache, k, 60, load)).toEqual({ services: ['acte-naissance'], loads: 1 });
      expect(loads).toBe(1);
    });
  });
}
