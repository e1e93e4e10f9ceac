import { afterAll, describe, expect, it } from 'vitest';
import type { BreakerPolicy, BreakerStore } from './port.js';

const T0 = Date.UTC(2026, 11, 2, 10, 0, 0);
const POLICY: BreakerPolicy = { failureThreshold: 3, openMs: 10_000, probeLeaseMs: 6_000 };

/**
 * One contract, run against every breaker store: memory (this process) and Redis (shared by
 * instances). `make` may be called twice for one case: two handles on one shared state, as two
 * gateway instances hold (for memory: the same object).
 */
export function breakerStoreConformance(name: string, make: () => { a: BreakerStore; b: BreakerStore }, cleanup?: () => Promise<void>): void {
  describe(`BreakerStore conformance: ${name}`, () => {
    if (cleanup) afterAll(cleanup);

    it('opens at the threshold counting the failures of every holder, and is open for all', async () => {
      const { a, b } = make();
      expect((await a.failure('svc', POLICY, T0)).state).toBe('closed');
      expect((await b.failure('svc', POLICY, T0 + 1)).state).toBe('closed');
      expect(await a.failure('svc', POLICY, T0 + 2)).toEqual({ state: 'open', failures: 3, openedAtMs: T0 + 2 });
      expect(await b.acquire('svc', POLICY, T0 + 3)).toEqual({ allowed: false, probe: false, view: { state: 'open', failures: 3, openedAtMs: T0 + 2 } });
      // Another upstream is not concerned.
      expect(await b.acquire('other', POLICY, T0 + 3)).toMatchObject({ allowed: true, probe: false, view: { state: 'closed' } });
    });

    it('a success between failures starts the count again', async () => {
      const { a, b } = make();
      await a.failure('svc', POLICY, T0);
      await a.failure('svc', POLICY, T0);
      expect(await b.success('svc', POLICY, T0)).toEqual({ state: 'closed', failures: 0, openedAtMs: 0 });
      expect((await a.failure('svc', POLICY, T0)).state).toBe('closed');
      expect((await a.failure('svc', POLICY, T0)).state).toBe('closed');
      expect((await a.failure('svc', POLICY, T0)).state).toBe('open');
    });

    it('once open long enough, exactly one of many concurrent callers gets the probe', async () => {
      const { a, b } = make();
      for (let i = 0; i < 3; i++) await a.failure('svc', POLICY, T0);
      const after = T0 + POLICY.openMs;
      const admissions = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).acquire('svc', POLICY, after)));
      expect(admissions.filter((x) => x.allowed)).toEqual([{ allowed: true, probe: true, view: { state: 'half_open', failures: 3, openedAtMs: T0 } }]);
      expect((await a.read('svc', POLICY, after)).state).toBe('half_open');
    });

    it('the probe succeeding closes it for every holder', async () => {
      const { a, b } = make();
      for (let i = 0; i < 3; i++) await a.failure('svc', POLICY, T0);
      const after = T0 + POLICY.openMs + 5;
      expect((await a.acquire('svc', POLICY, after)).probe).toBe(true);
      expect((await a.success('svc', POLICY, after + 1)).state).toBe('closed');
      expect(await b.acquire('svc', POLICY, after + 2)).toEqual({ allowed: true, probe: false, view: { state: 'closed', failures: 0, openedAtMs: 0 } });
    });

    it('the probe failing opens it again from then, for every holder', async () => {
      const { a, b } = make();
      for (let i = 0; i < 3; i++) await a.failure('svc', POLICY, T0);
      const after = T0 + POLICY.openMs;
      expect((await b.acquire('svc', POLICY, after)).probe).toBe(true);
      expect(await b.failure('svc', POLICY, after + 100)).toMatchObject({ state: 'open', openedAtMs: after + 100 });
      expect((await a.acquire('svc', POLICY, after + 200)).allowed).toBe(false);
      expect((await a.acquire('svc', POLICY, after + 100 + POLICY.openMs)).probe).toBe(true);
    });

    it('calls that started before it opened change nothing when they end', async () => {
      const { a, b } = make();
      for (let i = 0; i < 3; i++) await a.failure('svc', POLICY, T0);
      expect(await b.success('svc', POLICY, T0 + 50)).toMatchObject({ state: 'open', openedAtMs: T0 });
      expect(await b.failure('svc', POLICY, T0 + 60)).toMatchObject({ state: 'open', openedAtMs: T0 });
      expect((await a.acquire('svc', POLICY, T0 + POLICY.openMs)).probe).toBe(true);
    });

    it('a probe given up is handed on at once; one whose holder vanished, after its lease', async () => {
      const { a, b } = make();
      for (let i = 0; i < 3; i++) await a.failure('svc', POLICY, T0);
      const after = T0 + POLICY.openMs;
      expect((await a.acquire('svc', POLICY, after)).probe).toBe(true);
      expect((await b.acquire('svc', POLICY, after + 1)).allowed).toBe(false);
      await a.release('svc');
      expect((await b.acquire('svc', POLICY, after + 2)).probe).toBe(true);
      // b's instance dies holding it: refused until the lease is over, then someone else probes.
      expect((await a.acquire('svc', POLICY, after + 2 + POLICY.probeLeaseMs - 1)).allowed).toBe(false);
      expect((await a.acquire('svc', POLICY, after + 2 + POLICY.probeLeaseMs)).probe).toBe(true);
    });

    it('releasing a probe of a breaker closed meanwhile leaves it closed', async () => {
      const { a, b } = make();
      await a.release('never-seen');
      expect(await b.read('never-seen', POLICY, T0)).toEqual({ state: 'closed', failures: 0, openedAtMs: 0 });
    });
  });
}
