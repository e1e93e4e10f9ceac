import { describe, expect, it } from 'vitest';
import { verifyChain } from './chain.js';
import { GENESIS, type AccessEntry, type AccessLogStore } from './port.js';

const entry = (i: number): AccessEntry => ({
  channel: 'ussd',
  caller: '+2290197****01',
  agency: 'PS00373',
  at: new Date(Date.UTC(2026, 11, 2, 12, 0, i)).toISOString(),
  subject: `PS00373-24000${i % 10}`,
});

/** One contract for every AccessLogStore; `make(max)` builds a store keeping at most `max` entries per holder. */
export function accessLogConformance(name: string, make: (maxEntries: number) => AccessLogStore): void {
  describe(`AccessLogStore conformance: ${name}`, () => {
    const holder = () => `h${Math.random().toString(36).slice(2)}`;

    it('lists nothing for a holder nobody looked at', async () => {
      expect(await make(10).list(holder())).toEqual([]);
    });

    it('chains entries from genesis and lists the newest last', async () => {
      const store = make(10);
      const h = holder();
      const first = await store.append(h, entry(1));
      const second = await store.append(h, entry(2));
      expect(first).toMatchObject({ ...entry(1), seq: 1, prev: GENESIS });
      expect(second).toMatchObject({ ...entry(2), seq: 2, prev: first.hash });
      expect(await store.list(h)).toEqual([first, second]);
      expect(await store.list(h, 1)).toEqual([second]);
      expect(await verifyChain(await store.list(h))).toEqual({ ok: true, entries: 2 });
    });

    it('keeps holders apart', async () => {
      const store = make(10);
      const [a, b] = [holder(), holder()];
      await store.append(a, entry(1));
      expect(await store.list(b)).toEqual([]);
      expect((await store.append(b, entry(2))).seq).toBe(1);
    });

    it('never forks under 30 concurrent appends for one holder', async () => {
      const store = make(100);
      const h = holder();
      await Promise.all(Array.from({ length: 30 }, (_, i) => store.append(h, entry(i))));
      const log = await store.list(h);
      expect(log.map((e) => e.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(await verifyChain(log)).toEqual({ ok: true, entries: 30 });
    });

    it('bounds retention and the kept tail still verifies', async () => {
      const store = make(5);
      const h = holder();
      for (let i = 0; i < 12; i++) await store.append(h, entry(i));
      const log = await store.list(h);
      expect(log.map((e) => e.seq)).toEqual([8, 9, 10, 11, 12]);
      expect(await verifyChain(log)).toEqual({ ok: true, entries: 5 });
    });
  });
}
