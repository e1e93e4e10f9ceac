import { afterAll, describe, expect, it } from 'vitest';
import type { EnrolmentStore } from './port.js';

const T0 = Date.UTC(2026, 11, 3, 9, 0, 0);
const TTL = 5 * 60_000;

/** One contract, run against every enrolment store: memory (embedded) and Redis (shared by instances). */
export function enrolmentStoreConformance(name: string, make: () => EnrolmentStore, cleanup?: () => Promise<void>): void {
  describe(`EnrolmentStore conformance: ${name}`, () => {
    if (cleanup) afterAll(cleanup);
    let n = 0;
    const key = () => `number-${name}-${Date.now()}-${++n}`;

    it('a confirmed code enrols the number, once, and the code is gone', async () => {
      const store = make();
      const number = key();
      expect(await store.enrolled(number)).toBeNull();
      await store.startPending(number, { matricule: '1042173', codeHash: 'h1' }, TTL, T0);
      expect(await store.enrolled(number)).toBeNull();
      const taken = await store.takeAttempt(number, T0 + 1000);
      expect(taken).toEqual({ matricule: '1042173', codeHash: 'h1', attempts: 1, expiresAtMs: T0 + TTL });
      expect(await store.complete(number, 'h1', T0 + 1000)).toBe('1042173');
      expect(await store.enrolled(number)).toBe('1042173');
      expect(await store.takeAttempt(number, T0 + 2000)).toBeNull();
      expect(await store.complete(number, 'h1', T0 + 2000)).toBeNull();
    });

    it('an enrolment belongs to its number only', async () => {
      const store = make();
      const [a, b] = [key(), key()];
      await store.startPending(a, { matricule: '1187540', codeHash: 'ha' }, TTL, T0);
      await store.takeAttempt(a, T0);
      await store.complete(a, 'ha', T0);
      expect(await store.enrolled(a)).toBe('1187540');
      expect(await store.enrolled(b)).toBeNull();
      expect(await store.takeAttempt(b, T0)).toBeNull();
      expect(await store.complete(b, 'ha', T0)).toBeNull();
    });

    it('counts every attempt, one by one', async () => {
      const store = make();
      const number = key();
      await store.startPending(number, { matricule: '1042173', codeHash: 'h' }, TTL, T0);
      const counts: number[] = [];
      for (let i = 0; i < 4; i++) counts.push((await store.takeAttempt(number, T0))!.attempts);
      expect(counts).toEqual([1, 2, 3, 4]);
    });

    it('counts every one of 40 concurrent attempts (no two guesses share a try)', async () => {
      const store = make();
      const number = key();
      await store.startPending(number, { matricule: '1042173', codeHash: 'h' }, TTL, T0);
      const taken = await Promise.all(Array.from({ length: 40 }, () => store.takeAttempt(number, T0)));
      expect(taken.map((t) => t!.attempts).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    });

    it('an expired code cannot be tried nor completed', async () => {
      const store = make();
      const number = key();
      await store.startPending(number, { matricule: '1042173', codeHash: 'h' }, TTL, T0);
      expect(await store.complete(number, 'h', T0 + TTL)).toBeNull();
      expect(await store.takeAttempt(number, T0 + TTL)).toBeNull();
      expect(await store.enrolled(number)).toBeNull();
    });

    it('a new code voids the old one and starts its tries again', async () => {
      const store = make();
      const number = key();
      await store.startPending(number, { matricule: '1042173', codeHash: 'old' }, TTL, T0);
      await store.takeAttempt(number, T0);
      await store.takeAttempt(number, T0);
      await store.startPending(number, { matricule: '1042173', codeHash: 'new' }, TTL, T0 + 1000);
      expect((await store.takeAttempt(number, T0 + 1000))!.attempts).toBe(1);
      expect(await store.complete(number, 'old', T0 + 1000)).toBeNull();
      expect(await store.complete(number, 'new', T0 + 1000)).toBe('1042173');
    });

    it('a dropped code is gone; unenrol forgets the number', async () => {
      const store = make();
      const number = key();
      await store.startPending(number, { matricule: '1042173', codeHash: 'h' }, TTL, T0);
      await store.dropPending(number);
      expect(await store.takeAttempt(number, T0)).toBeNull();
      await store.startPending(number, { matricule: '1042173', codeHash: 'h' }, TTL, T0);
      await store.complete(number, 'h', T0);
      expect(await store.enrolled(number)).toBe('1042173');
      await store.unenrol(number);
      expect(await store.enrolled(number)).toBeNull();
    });

    it('re-enrolling the number with another matricule replaces the first', async () => {
      const store = make();
      const number = key();
      for (const [matricule, hash] of [['1042173', 'x'], ['2210884', 'y']] as const) {
        await store.startPending(number, { matricule, codeHash: hash }, TTL, T0);
        await store.complete(number, hash, T0);
      }
      expect(await store.enrolled(number)).toBe('2210884');
    });

    it('a matricule has one holder: each exchange hands back the one before, and release forgets only its own', async () => {
      const store = make();
      const matricule = `m-${key()}`;
      const [a, b] = [key(), key()];
      expect(await store.exchangeHolder(matricule, { numberKey: a, sealedNumber: 'sealed-a' })).toBeNull();
      expect(await store.exchangeHolder(matricule, { numberKey: b, sealedNumber: 'sealed-b' })).toEqual({ numberKey: a, sealedNumber: 'sealed-a' });
      await store.releaseHolder(matricule, a);
      expect(await store.exchangeHolder(matricule, { numberKey: b, sealedNumber: 'sealed-b2' })).toEqual({ numberKey: b, sealedNumber: 'sealed-b' });
      await store.releaseHolder(matricule, b);
      expect(await store.exchangeHolder(matricule, { numberKey: a, sealedNumber: 'sealed-a' })).toBeNull();
    });

    it('20 concurrent exchanges on one matricule hand each previous holder back exactly once', async () => {
      const store = make();
      const matricule = `m-${key()}`;
      const numbers = Array.from({ length: 20 }, () => key());
      const previous = await Promise.all(numbers.map((numberKey) => store.exchangeHolder(matricule, { numberKey, sealedNumber: `s-${numberKey}` })));
      const last = await store.exchangeHolder(matricule, { numberKey: 'final', sealedNumber: 's-final' });
      const handedBack = [...previous, last].filter((p) => p !== null).map((p) => p!.numberKey);
      // A chain: every number but none is handed back once, and exactly one exchange found nobody.
      expect(previous.filter((p) => p === null)).toHaveLength(1);
      expect(handedBack.sort()).toEqual([...numbers].sort());
    });

    it('unenrolIf unenrols only a number still enrolled for that matricule', async () => {
      const store = make();
      const number = key();
      await store.startPending(number, { matricule: '1042173', codeHash: 'h' }, TTL, T0);
      await store.complete(number, 'h', T0);
      expect(await store.unenrolIf(number, '2210884')).toBe(false);
      expect(await store.enrolled(number)).toBe('1042173');
      expect(await store.unenrolIf(number, '1042173')).toBe(true);
      expect(await store.enrolled(number)).toBeNull();
      expect(await store.unenrolIf(number, '1042173')).toBe(false);
    });
  });
}
