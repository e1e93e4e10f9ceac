import { afterAll, describe, expect, it } from 'vitest';
import type { MessageStore, SmsMessage } from './port.js';

/** One contract, run against every MessageStore: memory (embedded, bounded) and Redis (shared by instances). */
export function messageStoreConformance(name: string, make: () => MessageStore, cleanup?: () => Promise<void>): void {
  describe(`MessageStore conformance: ${name}`, () => {
    if (cleanup) afterAll(cleanup);
    const message = (over: Partial<SmsMessage> = {}): SmsMessage => ({
      id: crypto.randomUUID(), to: '+2290197000001', text: 'x', encoding: 'GSM-7', segments: 1, route: 'test', purpose: 'test', idempotencyKey: crypto.randomUUID(),
      requestedBy: 'guichet', status: 'queued', createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(), history: [], ...over,
    });

    it('creates once per idempotency key', async () => {
      const store = make();
      const first = message();
      expect((await store.create(first)).created).toBe(true);
      const again = await store.create(message({ idempotencyKey: first.idempotencyKey }));
      expect(again).toMatchObject({ created: false, message: { id: first.id } });
    });

    it('statuses move forward only; reports after a final one change nothing; unknown ones are only noted', async () => {
      const store = make();
      const m = message();
      await store.create(m);
      await store.transition(m.id, { status: 'sent', providerMessageId: 'prov-1', detail: 'accepted' });
      expect(await store.findByProviderId('test', 'prov-1')).toBe(m.id);
      await store.transition(m.id, { detail: 'report: WEIRD' });
      expect((await store.get(m.id))!.status).toBe('sent');
      await store.transition(m.id, { status: 'delivered', detail: 'report: delivered' });
      await store.transition(m.id, { status: 'failed', detail: 'late report: failed' });
      await store.transition(m.id, { status: 'delivered', detail: 'duplicate report' });
      const final = (await store.get(m.id))!;
      expect(final.status).toBe('delivered');
      expect(final.history.map((h) => h.detail)).toEqual(['accepted', 'report: WEIRD', 'report: delivered', 'late report: failed (ignored: already delivered)', 'duplicate report (ignored: already delivered)']);
    });

    it('a long message is delivered once every part is; parts are found by their own ids', async () => {
      const store = make();
      const m = message();
      await store.create(m);
      await store.transition(m.id, { acceptedPart: { providerMessageId: 'part-a', index: 0, count: 2 }, providerMessageId: 'part-a', detail: 'part 1/2' });
      await store.transition(m.id, { acceptedPart: { providerMessageId: 'part-b', index: 1, count: 2 }, detail: 'part 2/2' });
      await store.transition(m.id, { status: 'sent', detail: 'accepted' });
      expect(await store.findByProviderId('test', 'part-b')).toBe(m.id);
      await store.transition(m.id, { status: 'delivered', reportedPart: 'part-b', detail: 'DELIVRD b' });
      expect((await store.get(m.id))!.status).toBe('sent');
      await store.transition(m.id, { status: 'delivered', reportedPart: 'part-a', detail: 'DELIVRD a' });
      expect((await store.get(m.id))!).toMatchObject({ status: 'delivered', providerMessageId: 'part-a', partCount: 2 });
    });

    it('parked reports are taken once; a claim holds for its window', async () => {
      const store = make();
      const providerId = crypto.randomUUID();
      await store.parkReport('test', providerId, { status: 'delivered', raw: 'DELIVRD' });
      await store.parkReport('test', providerId, { raw: 'odd' });
      const [first, second] = await Promise.all([store.takeParkedReports('test', providerId), store.takeParkedReports('test', providerId)]);
      expect([first, second].flat()).toEqual([{ status: 'delivered', raw: 'DELIVRD' }, { raw: 'odd' }]);
      const key = crypto.randomUUID();
      expect(await store.claimOnce(key, 1)).toBe(true);
      expect(await store.claimOnce(key, 1)).toBe(false);
      await new Promise((r) => setTimeout(r, 1100));
      expect(await store.claimOnce(key, 1)).toBe(true);
    });

    it('concurrent reports for one message lose nothing', async () => {
      const store = make();
      const m = message();
      await store.create(m);
      await Promise.all(Array.from({ length: 10 }, (_, i) => store.transition(m.id, { detail: `note ${i}` })));
      expect((await store.get(m.id))!.history).toHaveLength(10);
    });

    it('a held USSD push is claimed by one of many runs, moves only from the phase expected, and stays put once the message is final', async () => {
      const store = make();
      const m = message({ channel: 'ussd-push', push: { route: 'smpp-moov', phase: 'waiting' } });
      await store.create(m);
      const claims = Array.from({ length: 10 }, () => crypto.randomUUID());
      const results = await Promise.all(claims.map((claim) => store.transition(m.id, { push: { expect: 'waiting', phase: 'pushing', claim }, detail: 'pushing' })));
      const winners = claims.filter((claim, i) => results[i]?.push?.claim === claim);
      expect(winners).toHaveLength(1);
      expect((await store.get(m.id))!.history.map((h) => h.detail)).toEqual(['pushing']);
      // Not from `waiting` any more: nothing changes, nothing is noted.
      await store.transition(m.id, { push: { expect: 'waiting', phase: 'fallback', outcome: 'refused' }, detail: 'late' });
      await store.transition(m.id, { push: { expect: 'pushing', phase: 'confirmed', outcome: 'confirmed' }, status: 'delivered', detail: 'confirmed' });
      await store.transition(m.id, { push: { expect: 'confirmed', phase: 'fallback', outcome: 'failed' }, detail: 'after final' });
      expect(await store.get(m.id)).toMatchObject({ status: 'delivered', push: { phase: 'confirmed', outcome: 'confirmed', claim: winners[0] }, history: [{ detail: 'pushing' }, { detail: 'confirmed', status: 'delivered' }] });
    });

    it('lists messages in flight past their expiry, and drops them once final', async () => {
      const store = make();
      const [late, later, done] = [message(), message(), message()];
      for (const m of [late, later, done]) await store.create(m);
      const claim = (m: SmsMessage, expiresAt: string) => store.transition(m.id, { expect: 'queued', status: 'sending', claim: `claim-${m.id}`, expiresAt, detail: 'claimed' });
      await claim(late, '2026-11-23T09:00:00.000Z');
      await claim(later, '2026-11-23T11:00:00.000Z');
      await claim(done, '2026-11-23T09:00:00.000Z');
      await store.transition(done.id, { status: 'delivered', detail: 'report: delivered' });
      const due = await store.overdue(new Date('2026-11-23T10:00:00.000Z'), 100);
      expect(due).toContain(late.id);
      expect(due).not.toContain(later.id);
      expect(due).not.toContain(done.id);
      await store.transition(late.id, { status: 'expired', detail: 'validity period over' });
      expect(await store.overdue(new Date('2026-11-23T10:00:00.000Z'), 100)).not.toContain(late.id);
    });

    // Moved from the SMS failure suite, where it ran on Redis only: a create is one atomic step.
    it('concurrent creates of one idempotency key agree: one is created, every caller gets its message', async () => {
      const store = make();
      const base = message({ idempotencyKey: crypto.randomUUID() });
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.create({ ...base, id: `${base.id}-${i}` })));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.message.id)).size).toBe(1);
    });
  });
}
