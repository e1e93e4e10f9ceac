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

    it('exchanges a pointer: each caller is handed the value it replaced, once', async () => {
      const store = make();
      const k = key();
      expect(await store.exchange(k, 'first', 180)).toBeNull();
      expect(await store.exchange(k, 'second', 180)).toBe('first');
      expect(await store.exchange(k, 'third', 180)).toBe('second');
    });

    it('of many concurrent exchanges of one pointer, each old value goes to exactly one caller', async () => {
      const store = make();
      const k = key();
      await store.exchange(k, 'start', 180);
      const handed = await Promise.all(Array.from({ length: 20 }, (_, i) => store.exchange(k, `caller-${i}`, 180)));
      // Every value but the last one written is handed on exactly once: a chain, never a fork.
      const values = ['start', ...Array.from({ length: 20 }, (_, i) => `caller-${i}`)];
      expect(handed.filter((value) => value === 'start')).toHaveLength(1);
      expect(new Set(handed).size).toBe(20);
      for (const value of handed) expect(values).toContain(value);
    });

    it('keeps pointers apart from session records under the same key', async () => {
      const store = make();
      const k = key();
      await store.save(k, 'record', null, 180);
      expect(await store.exchange(k, 'pointer', 180)).toBeNull();
      expect(await store.load(k)).toEqual({ data: 'record', version: 1 });
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

    it('reads a language and an opt-out together as the two reads give them', async () => {
      const store = make();
      const msisdn = `+22901${Math.floor(Math.random() * 1e8).toString().padStart(8, '0')}`;
      const both = async () => {
        const together = await store.languageAndOptOut(msisdn);
        expect(together).toEqual({ language: await store.getLanguage(msisdn), optedOut: await store.isOptedOut(msisdn) });
        return together;
      };
      expect(await both()).toEqual({ language: null, optedOut: false });
      await store.setLanguage(msisdn, 'fon');
      expect(await both()).toEqual({ language: 'fon', optedOut: false });
      await store.setOptedOut(msisdn, true);
      expect(await both()).toEqual({ language: 'fon', optedOut: true });
      await store.setOptedOut(msisdn, false);
      expect(await both()).toEqual({ language: 'fon', optedOut: false });
      // An opt-out alone, for a number with no language.
      const other = `+22901${Math.floor(Math.random() * 1e8).toString().padStart(8, '0')}`;
      await store.setOptedOut(other, true);
      expect(await store.languageAndOptOut(other)).toEqual({ language: null, optedOut: true });
    });
  });
}
