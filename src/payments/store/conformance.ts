import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { REASON_CODES, type NewPayment, type PaymentState, type ReasonCode } from '../payment.js';
import type { PaymentStore } from './port.js';

let sequence = 0;
function newPayment(overrides: Partial<NewPayment> = {}): NewPayment {
  sequence += 1;
  return {
    id: `pay-${Date.now()}-${sequence}`,
    requestNumber: `PS00373-${String(100000 + sequence).slice(-6)}-${Date.now()}`,
    amountXof: 1900,
    payerMsisdn: '+2290196123456',
    operator: 'MTN',
    provider: 'sandbox',
    createdAt: '2026-11-23T09:00:00.000Z',
    expiresAt: '2026-11-23T09:10:00.000Z',
    ...overrides,
  };
}
const at = '2026-11-23T09:01:00.000Z';
/** A code that fits a move to each state, for the cases where the code is not what is checked. */
const CODE_FOR: Readonly<Record<PaymentState, ReasonCode>> = {
  created: 'provider_pending',
  pending: 'provider_pending',
  succeeded: 'provider_succeeded',
  failed: 'provider_failed',
  expired: 'expired_unanswered',
};

/** One contract, run against every PaymentStore implementation. */
export function paymentStoreConformance(name: string, makeStore: () => PaymentStore, cleanup?: () => Promise<void>): void {
  describe(`PaymentStore conformance: ${name}`, () => {
    let store: PaymentStore;
    beforeEach(() => {
      store = makeStore();
    });
    if (cleanup) afterAll(cleanup);

    it('keeps a reconciliation flag once, beside the state, and only for a payment it has', async () => {
      const payment = newPayment();
      await store.create(payment);
      await store.transition(payment.id, { to: 'pending', at, reason: 'sent', code: 'provider_pending' });
      await store.transition(payment.id, { to: 'succeeded', at, reason: 'paid', code: 'provider_succeeded', providerTransactionId: 'tx-1' });
      const flags = await Promise.all(Array.from({ length: 10 }, () => store.flag(payment.id, 'refunded_after_success')));
      expect(flags.filter(Boolean)).toHaveLength(1);
      expect(await store.flag(payment.id, 'partially_refunded_after_success')).toBe(true);
      expect(await store.get(payment.id)).toMatchObject({
        state: 'succeeded', providerTransactionId: 'tx-1', reconciliationFlags: ['partially_refunded_after_success', 'refunded_after_success'],
      });
      expect((await store.get(payment.id))?.history.filter((h) => h.to === 'succeeded')).toHaveLength(1);
      expect(await store.flag('no-such-payment', 'refunded_after_success')).toBe(false);
    });

    it("keeps each move's reason code beside its prose, in the outcome and in what is read back", async () => {
      const payment = newPayment();
      await store.create(payment);
      const pushed = await store.transition(payment.id, { to: 'pending', at, reason: 'request: sending, never resent', code: 'push_sent_once' });
      expect(pushed.kind === 'applied' && pushed.payment.history).toEqual([{ from: 'created', to: 'pending', at, reason: 'request: sending, never resent', code: 'push_sent_once' }]);
      await store.transition(payment.id, { to: 'failed', at, reason: 'callback verified: amount mismatch, provider reported 100 XOF (reconcile)', code: 'amount_mismatch' });
      expect((await store.get(payment.id))?.history.map((h) => [h.to, h.code, h.reason])).toEqual([
        ['pending', 'push_sent_once', 'request: sending, never resent'],
        ['failed', 'amount_mismatch', 'callback verified: amount mismatch, provider reported 100 XOF (reconcile)'],
      ]);
    });

    it.each(REASON_CODES)('stores the reason code %s as it was given', async (code) => {
      const payment = newPayment();
      await store.create(payment);
      // created → failed is legal, so every code can be carried by one move; the code wins over
      // prose that, written before codes, would have been read as another (not_sent).
      expect((await store.transition(payment.id, { to: 'failed', at, reason: 'request: not sent (connect ECONNREFUSED)', code })).kind).toBe('applied');
      expect((await store.get(payment.id))?.history.map((h) => h.code)).toEqual([code]);
    });

    it("records a late success as late_success, whatever the caller's code, keeping its prose", async () => {
      const payment = newPayment();
      await store.create(payment);
      await store.transition(payment.id, { to: 'pending', at, reason: 'sent', code: 'provider_pending' });
      await store.transition(payment.id, { to: 'expired', at, reason: 'no answer before expiry', code: 'expired_unanswered' });
      const late = await store.transition(payment.id, { to: 'succeeded', at, reason: 'callback verified: succeeded', code: 'provider_succeeded', providerTransactionId: 'LATE-1' });
      expect(late.kind).toBe('flagged');
      expect(late.kind === 'flagged' && late.payment.history.at(-1)).toEqual({ from: 'expired', to: 'succeeded', at, reason: 'late success: callback verified: succeeded', code: 'late_success' });
      expect((await store.get(payment.id))?.history.map((h) => h.code)).toEqual(['provider_pending', 'expired_unanswered', 'late_success']);
    });

    it('a refused or replayed move adds no code to the history', async () => {
      const payment = newPayment();
      await store.create(payment);
      await store.transition(payment.id, { to: 'pending', at, reason: 'sent', code: 'provider_pending' });
      await store.transition(payment.id, { to: 'succeeded', at, reason: 'paid', code: 'provider_succeeded' });
      expect((await store.transition(payment.id, { to: 'succeeded', at, reason: 'again', code: 'provider_answered' })).kind).toBe('unchanged');
      expect((await store.transition(payment.id, { to: 'failed', at, reason: 'too late', code: 'amount_mismatch' })).kind).toBe('refused');
      expect((await store.get(payment.id))?.history.map((h) => h.code)).toEqual(['provider_pending', 'provider_succeeded']);
    });

    it('creates once per id, starting in created with an empty history', async () => {
      const payment = newPayment();
      expect(await store.create(payment)).toBe(true);
      expect(await store.create({ ...payment, amountXof: 5 })).toBe(false);
      const stored = await store.get(payment.id);
      expect(stored).toMatchObject({ ...payment, state: 'created', needsReconciliation: false, history: [] });
      expect(await store.get('no-such-payment')).toBeNull();
    });

    it.each<[PaymentState[], PaymentState]>([
      [['pending'], 'succeeded'],
      [['pending'], 'failed'],
      [['pending'], 'expired'],
      [[], 'failed'],
      [[], 'expired'],
    ])('follows created → %j → %s and records each move', async (path, last) => {
      const payment = newPayment();
      await store.create(payment);
      for (const to of [...path, last]) {
        const outcome = await store.transition(payment.id, { to, at, reason: `to ${to}`, code: CODE_FOR[to], providerTransactionId: to === 'succeeded' ? 'MP-1' : undefined });
        expect(outcome.kind).toBe('applied');
      }
      const stored = await store.get(payment.id);
      expect(stored?.state).toBe(last);
      const visited: PaymentState[] = ['created', ...path, last];
      const expectedMoves = visited.slice(1).map((to, i) => [visited[i], to]);
      expect(stored?.history.map((h) => [h.from, h.to])).toEqual(expectedMoves);
      if (last === 'succeeded') expect(stored?.providerTransactionId).toBe('MP-1');
    });

    it.each<[PaymentState[], PaymentState]>([
      [[], 'succeeded'],
      [['pending', 'succeeded'], 'failed'],
      [['pending', 'failed'], 'succeeded'],
      [['pending', 'succeeded'], 'pending'],
      [['pending'], 'created'],
    ])('refuses an illegal move (after %j, to %s) and changes nothing', async (path, illegal) => {
      const payment = newPayment();
      await store.create(payment);
      for (const to of path) await store.transition(payment.id, { to, at, reason: 'setup', code: CODE_FOR[to] });
      const before = await store.get(payment.id);
      const outcome = await store.transition(payment.id, { to: illegal, at, reason: 'illegal', code: CODE_FOR[illegal] });
      expect(outcome.kind).toBe('refused');
      expect(await store.get(payment.id)).toEqual(before);
    });

    it('treats a replayed move as unchanged', async () => {
      const payment = newPayment();
      await store.create(payment);
      await store.transition(payment.id, { to: 'pending', at, reason: 'sent', code: 'provider_pending' });
      await store.transition(payment.id, { to: 'succeeded', at, reason: 'callback', code: 'provider_succeeded', providerTransactionId: 'T1' });
      const replay = await store.transition(payment.id, { to: 'succeeded', at, reason: 'callback again', code: 'provider_succeeded', providerTransactionId: 'T2' });
      expect(replay.kind).toBe('unchanged');
      const stored = await store.get(payment.id);
      expect(stored?.providerTransactionId).toBe('T1');
      expect(stored?.history).toHaveLength(2);
    });

    it('lets exactly one of many concurrent duplicates apply', async () => {
      const payment = newPayment();
      await store.create(payment);
      await store.transition(payment.id, { to: 'pending', at, reason: 'sent', code: 'provider_pending' });
      const outcomes = await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          store.transition(payment.id, i % 5 === 0 ? { to: 'failed', at, reason: `dup ${i}`, code: 'provider_failed' } : { to: 'succeeded', at, reason: `dup ${i}`, code: 'provider_succeeded' }),
        ),
      );
      expect(outcomes.filter((o) => o.kind === 'applied')).toHaveLength(1);
      expect((await store.get(payment.id))?.history).toHaveLength(2);
    });

    it('flags a success after expiry for reconciliation without changing the state', async () => {
      const payment = newPayment();
      await store.create(payment);
      await store.transition(payment.id, { to: 'pending', at, reason: 'sent', code: 'provider_pending' });
      await store.transition(payment.id, { to: 'expired', at, reason: 'no answer', code: 'expired_unanswered' });
      const late = await store.transition(payment.id, { to: 'succeeded', at, reason: 'late callback', code: 'provider_succeeded', providerTransactionId: 'LATE-1' });
      expect(late.kind).toBe('flagged');
      const stored = await store.get(payment.id);
      expect(stored).toMatchObject({ state: 'expired', needsReconciliation: true, providerTransactionId: 'LATE-1' });
      expect(stored?.history.at(-1)).toMatchObject({ from: 'expired', to: 'succeeded' });
    });

    it('refuses a second unfinished payment for the same request until the first is finished', async () => {
      const first = newPayment();
      const second = newPayment({ requestNumber: first.requestNumber });
      expect(await store.create(first)).toBe(true);
      expect(await store.create(second)).toBe(false);
      await store.transition(first.id, { to: 'pending', at, reason: 'sent', code: 'provider_pending' });
      expect(await store.create(second)).toBe(false);
      await store.transition(first.id, { to: 'failed', at, reason: 'declined', code: 'provider_failed' });
      expect(await store.create(second)).toBe(true);
    });

    it("keeps the provider's first reference, whoever races to set it, across transitions", async () => {
      const payment = newPayment();
      await store.create(payment);
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => store.rememberReference(payment.id, `ref-${i}`)));
      expect(new Set(answers).size).toBe(1);
      const kept = answers[0]!;
      expect(await store.rememberReference(payment.id, 'ref-later')).toBe(kept);
      const moved = await store.transition(payment.id, { to: 'pending', at, reason: 'pushed', code: 'provider_pending' });
      expect(moved.kind === 'applied' && moved.payment.providerReference).toBe(kept);
      expect((await store.get(payment.id))?.providerReference).toBe(kept);
      expect(await store.rememberReference('no-such-payment', 'x')).toBeNull();
    });

    it("names a request's most recent payment, finished or not", async () => {
      const first = newPayment();
      expect(await store.latestForRequest(first.requestNumber)).toBeNull();
      await store.create(first);
      expect((await store.latestForRequest(first.requestNumber))?.id).toBe(first.id);
      await store.transition(first.id, { to: 'failed', at, reason: 'declined', code: 'provider_failed' });
      const second = newPayment({ requestNumber: first.requestNumber });
      await store.create(second);
      expect(await store.latestForRequest(first.requestNumber)).toMatchObject({ id: second.id, state: 'created' });
      // A refused creation (one is unfinished) leaves the latest unchanged.
      expect(await store.create(newPayment({ requestNumber: first.requestNumber }))).toBe(false);
      expect((await store.latestForRequest(first.requestNumber))?.id).toBe(second.id);
      // Once it succeeded, no new payment for that request at all.
      await store.transition(second.id, { to: 'pending', at, reason: 'pushed', code: 'provider_pending' });
      await store.transition(second.id, { to: 'succeeded', at, reason: 'paid', code: 'provider_succeeded' });
      expect(await store.create(newPayment({ requestNumber: first.requestNumber }))).toBe(false);
    });

    it('a replayed late success adds nothing: flagged once, the history does not grow (issue 11 item 11)', async () => {
      const payment = newPayment();
      await store.create(payment);
      await store.transition(payment.id, { to: 'pending', at, reason: 'sent', code: 'provider_pending' });
      await store.transition(payment.id, { to: 'expired', at, reason: 'no answer', code: 'expired_unanswered' });
      expect((await store.transition(payment.id, { to: 'succeeded', at, reason: 'late', code: 'provider_succeeded', providerTransactionId: 'LATE-1' })).kind).toBe('flagged');
      const before = await store.get(payment.id);
      const replays = await Promise.all(Array.from({ length: 20 }, (_, i) => store.transition(payment.id, { to: 'succeeded', at, reason: `late ${i}`, code: 'provider_succeeded', providerTransactionId: `LATE-${i + 2}` })));
      expect(replays.map((r) => r.kind)).toEqual(Array.from({ length: 20 }, () => 'unchanged'));
      expect(await store.get(payment.id)).toEqual(before);
      expect(before?.history).toHaveLength(3);
    });

    it('records the portal acknowledgement once, first writer wins, and only for a payment it has (issue 12 item 11)', async () => {
      const payment = newPayment();
      await store.create(payment);
      expect((await store.get(payment.id))?.portalNotifiedAt).toBeUndefined();
      const marks = await Promise.all(Array.from({ length: 10 }, (_, i) => store.markPortalNotified(payment.id, `2026-11-23T09:0${i}:00.000Z`)));
      expect(marks.filter(Boolean)).toHaveLength(1);
      const kept = (await store.get(payment.id))?.portalNotifiedAt;
      expect(kept).toMatch(/^2026-11-23T09:0\d:00\.000Z$/);
      await store.transition(payment.id, { to: 'pending', at, reason: 'sent', code: 'provider_pending' });
      const moved = await store.transition(payment.id, { to: 'succeeded', at, reason: 'paid', code: 'provider_succeeded' });
      expect(moved.kind === 'applied' && moved.payment.portalNotifiedAt).toBe(kept);
      expect(await store.markPortalNotified('no-such-payment', at)).toBe(false);
    });

    it("a holder's payment is never blocked by someone else's unfinished one; someone else's waits for any (issue 11 item 5)", async () => {
      const byOther = newPayment({ startedBy: 'other' });
      const requestNumber = byOther.requestNumber;
      expect(await store.create(byOther)).toBe(true);
      expect(await store.create(newPayment({ requestNumber, startedBy: 'other' }))).toBe(false);
      const byHolder = newPayment({ requestNumber, startedBy: 'holder' });
      expect(await store.create(byHolder)).toBe(true);
      expect(await store.create(newPayment({ requestNumber }))).toBe(false); // the holder's own second confirmation
      expect(await store.create(newPayment({ requestNumber, startedBy: 'other' }))).toBe(false);
      expect((await store.latestForRequest(requestNumber))?.id).toBe(byHolder.id);
      // The stranger's expires: still no second payment while the holder's is unfinished.
      await store.transition(byOther.id, { to: 'expired', at, reason: 'no answer', code: 'expired_unanswered' });
      expect(await store.create(newPayment({ requestNumber, startedBy: 'other' }))).toBe(false);
    });

    it('names the first success of a request; a second success racing it is not named, and nothing new is created after', async () => {
      const byOther = newPayment({ startedBy: 'other' });
      const requestNumber = byOther.requestNumber;
      const byHolder = newPayment({ requestNumber, startedBy: 'holder' });
      await store.create(byOther);
      await store.create(byHolder);
      expect(await store.paidPaymentOf(requestNumber)).toBeNull();
      for (const p of [byOther, byHolder]) await store.transition(p.id, { to: 'pending', at, reason: 'sent', code: 'provider_pending' });
      const outcomes = await Promise.all([byOther, byHolder].map((p) => store.transition(p.id, { to: 'succeeded', at, reason: 'paid', code: 'provider_succeeded' })));
      expect(outcomes.map((o) => o.kind)).toEqual(['applied', 'applied']);
      const winner = await store.paidPaymentOf(requestNumber);
      expect([byOther.id, byHolder.id]).toContain(winner);
      expect(await store.create(newPayment({ requestNumber }))).toBe(false);
      expect(await store.paidPaymentOf('PS00373-000000-none')).toBeNull();
    });

    it("a payment may not be named like an index, and one named 'open' or 'day' is only a payment", async () => {
      const asIndexName = newPayment({ id: 'open', expiresAt: '2026-11-23T09:05:00.000Z' });
      expect(await store.create(asIndexName)).toBe(true);
      expect(await store.create(newPayment({ id: 'day', expiresAt: '2026-11-23T09:05:00.000Z' }))).toBe(true);
      expect(await store.overdue('2026-11-23T09:06:00.000Z', 1000)).toEqual(expect.arrayContaining(['open', 'day']));
      expect((await store.transition('open', { to: 'pending', at, reason: 'sent', code: 'provider_pending' })).kind).toBe('applied');
      expect((await store.createdOn('2026-11-23')).map((p) => p.id)).toEqual(expect.arrayContaining(['open', 'day']));
    });

    it.each(['day:2026-11-23', 'i:open', 'pay:i:open', 'p:x', 'x:h', 'x:f', '../x', '', 'a b', '*'])(
      'an outside string naming an internal key (%j) is no payment, and nothing is touched (issue 11 item 7)',
      async (outside) => {
        const real = newPayment({ id: `${newPayment().id}`, createdAt: '2026-11-23T09:00:00.000Z' });
        await store.create(real);
        await store.transition(real.id, { to: 'pending', at, reason: 'sent', code: 'provider_pending' });
        const before = await store.get(real.id);
        const named = [outside, `${real.id}:h`, `${real.id}:f`];
        for (const id of named) {
          expect(await store.get(id)).toBeNull();
          expect(await store.transition(id, { to: 'succeeded', at, reason: 'forged', code: 'provider_succeeded' })).toEqual({ kind: 'missing' });
          expect(await store.rememberReference(id, 'forged')).toBeNull();
          expect(await store.flag(id, 'paid_twice')).toBe(false);
          expect(await store.markPortalNotified(id, at)).toBe(false);
          expect(await store.latestForRequest(id)).toBeNull();
          expect(await store.paidPaymentOf(id)).toBeNull();
          expect(await store.create({ ...newPayment(), id })).toBe(false);
        }
        expect(await store.get(real.id)).toEqual(before);
        expect(await store.overdue('2026-11-23T09:20:00.000Z', 1000)).toContain(real.id);
      },
    );

    it("names a payment's provider, before and after its moves, and nothing for an id it has not (issue 18 part 2)", async () => {
      const payment = newPayment({ provider: 'mtn-momo' });
      expect(await store.providerOf(payment.id)).toBeNull();
      await store.create(payment);
      expect(await store.providerOf(payment.id)).toBe('mtn-momo');
      await store.transition(payment.id, { to: 'pending', at, reason: 'pushed', code: 'provider_pending' });
      await store.transition(payment.id, { to: 'succeeded', at, reason: 'paid', code: 'provider_succeeded', providerTransactionId: 'TX-1' });
      expect(await store.providerOf(payment.id)).toBe('mtn-momo');
      // What `get` reads, it agrees with.
      expect((await store.get(payment.id))?.provider).toBe(await store.providerOf(payment.id));
      // ('open' may be a real payment's id here: the index-name case above makes one.)
      for (const forged of [`nope-${Date.now()}`, 'pay:i:open', `${payment.id}:h`, `${payment.id}:f`, '__proto__', '*', '']) {
        expect(await store.providerOf(forged)).toBeNull();
      }
    });

    it('reports missing payments', async () => {
      expect(await store.transition('nope', { to: 'pending', at, reason: 'x', code: 'provider_pending' })).toEqual({ kind: 'missing' });
    });

    it('lists unfinished payments past expiry, and only those', async () => {
      const overdue = newPayment({ expiresAt: '2026-11-23T09:05:00.000Z' });
      const later = newPayment({ expiresAt: '2026-11-23T09:30:00.000Z' });
      const done = newPayment({ expiresAt: '2026-11-23T09:05:00.000Z' });
      for (const p of [overdue, later, done]) await store.create(p);
      await store.transition(done.id, { to: 'failed', at, reason: 'declined', code: 'provider_failed' });
      const due = await store.overdue('2026-11-23T09:06:00.000Z', 1000);
      expect(due).toContain(overdue.id);
      expect(due).not.toContain(later.id);
      expect(due).not.toContain(done.id);
    });

    it("lists a day's payments by Benin's calendar (UTC+1)", async () => {
      const lateEvening = newPayment({ createdAt: '2026-11-24T22:59:00.000Z' }); // 23:59 in Cotonou
      const afterMidnight = newPayment({ createdAt: '2026-11-24T23:01:00.000Z' }); // 00:01 the next day
      for (const p of [lateEvening, afterMidnight]) await store.create(p);
      expect((await store.createdOn('2026-11-24')).map((p) => p.id)).toContain(lateEvening.id);
      expect((await store.createdOn('2026-11-24')).map((p) => p.id)).not.toContain(afterMidnight.id);
      expect((await store.createdOn('2026-11-25')).map((p) => p.id)).toContain(afterMidnight.id);
    });
  });
}
