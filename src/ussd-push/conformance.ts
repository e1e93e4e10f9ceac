import { afterEach, describe, expect, it } from 'vitest';
import type { UssdPushRoute } from './port.js';

/** How the peer (an SMSC, MADAPI) treats the next pushes. */
export type PeerBehaviour = 'confirm' | 'refuse' | 'take-silently' | 'down';

/** A push route bound to a test peer the suite can steer. */
export interface PushRouteUnderTest {
  route: UssdPushRoute;
  behave(behaviour: PeerBehaviour): void;
  /** Pushes that reached the peer, with their destination (E.164) and text. */
  received(): { to: string; text: string }[];
  close(): Promise<void>;
}

/**
 * One contract, run against every push route (SMPP link, MADAPI): the outcome says what the peer
 * said, `push` never rejects, a push reaches the peer once, with the text as given.
 */
export function ussdPushRouteConformance(name: string, make: () => Promise<PushRouteUnderTest>): void {
  describe(`UssdPushRoute conformance: ${name}`, () => {
    const open: PushRouteUnderTest[] = [];
    afterEach(async () => {
      for (const peer of open.splice(0)) await peer.close();
    });
    const peer = async () => {
      const made = await make();
      open.push(made);
      return made;
    };
    const request = (to = '+2290197000001') => ({ id: crypto.randomUUID(), to, text: 'Service Public: votre demande PS00373-240001 est disponible.', encoding: 'GSM-7' as const });

    it.each([
      ['confirm', 'confirmed'],
      ['refuse', 'refused'],
    ] as const)('a peer that will %s: %s, the push sent once with its text', async (behaviour, outcome) => {
      const p = await peer();
      p.behave(behaviour);
      const sent = request();
      expect(await p.route.push(sent)).toMatchObject({ kind: outcome, detail: expect.any(String) });
      expect(p.received()).toEqual([{ to: sent.to, text: sent.text }]);
    });

    it('a peer that takes the push and never says it showed: not confirmed (the SMS follows)', async () => {
      const p = await peer();
      p.behave('take-silently');
      const outcome = await p.route.push(request());
      expect(['unanswered', 'failed']).toContain(outcome.kind);
    });

    it('a peer that is down: failed, never a rejection', async () => {
      const p = await peer();
      p.behave('down');
      await expect(p.route.push(request())).resolves.toMatchObject({ kind: 'failed' });
    });

    it('pushes to two numbers at once each get their own outcome', async () => {
      const p = await peer();
      p.behave('confirm');
      const outcomes = await Promise.all([p.route.push(request('+2290197000001')), p.route.push(request('+2290197000002'))]);
      expect(outcomes.map((o) => o.kind)).toEqual(['confirmed', 'confirmed']);
      expect(p.received().map((r) => r.to).sort()).toEqual(['+2290197000001', '+2290197000002']);
    });
  });
}
