import { describe, expect, it } from 'vitest';
import type { PreferenceStore, SessionStore } from './port.js';

/** One contract, run against every SessionStore (and PreferenceStore) implementation. */
export function sessionStoreConformance(name: string, make: () => SessionStore & PreferenceStore): void {
  describe(`SessionStore conformance: ${name}`, () => {
    const key = () => `at:${Math.random().toString(36).slice(2)}`;

    it('loads nothing for an unknown session', async () => {
      expect(await make().load(key())).toBeNull();
    });

    it('creates, then updates only from the version it read', async () => {
      const store = make();
      const k = key();
      expect(await store.save(k, 'a', null, 180)).toBe(true);
      expect(await store.load(k)).toEqual({ data: 'a', version: 1 });
      expect(await store.save(k, 'b', null, 180)).toBe(false); // already exists
      expect(await store.save(k, 'b', 7, 180)).toBe(false); // stale version
      expect(await store.save(k, 'b', 1, 180)).toBe(true);
      expect(await store.load(k)).toEqual({ data: 'b', version: 2 });
    });

    it('of many concurrent writers from the same version, exactly one wins', async () => {
      const store = make();
      const k = key();
      await store.save(k, 'start', null, 180);
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.save(k, `writer-${i}`, 1, 180)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect(await store.load(k)).toEqual({ data: `writer-${winner}`, version: 2 });
    });

    it('keeps data with any characters intact', async () => {
      const store = make();
      const k = key();
      const data = JSON.stringify({ text: 'Prête à être reçue «CCSP» 1*2*3 \n €' });
      await store.save(k, data, null, 180);
      expect((await store.load(k))?.data).toBe(data);
    });

    it('remembers an opt-out until it is lifted', async () => {
      const store = make();
      const msisdn = `+22901${Math.floor(Math.random() * 1e8).toString().padStart(8, '0')}`;
      expect(await store.isOptedOut(msisdn)).toBe(false);
      await store.setOptedOut(msisdn, true);
      expect(await store.isOptedOut(msisdn)).toBe(true);
      await store.setOptedOut(msisdn, false);
      expect(await store.isOptedOut(msisdn)).toBe(false);
    });

    it('remembers a language per phone number', async () => {
      const store = make();
      const msisdn = `+22901${Math.floor(Math.random() * 1e8).toString().padStart(8, '0')}`;
      expect(await store.getLanguage(msisdn)).toBeNull();
      await store.setLanguage(msisdn, 'en');
      expect(await store.getLanguage(msisdn)).toBe('en');
    });
  });
}
