import { describe, expect, it } from 'vitest';
import { MemoryJobQueue } from '../../src/jobs/memory.js';
import { createEmbeddedPayments } from '../../src/payments/embedded-payments.js';
import { MemoryPaymentStore } from '../../src/payments/store/memory.js';
import { createDemoPortal, DEMO_MSISDN } from '../../src/portal/demo.js';
import type { OutboundSms, SmsOutbox } from '../../src/sms/outbox.js';
import { createSandboxPaymentProvider, sandboxTransactionId } from '../../providers/sandbox-payment/payment.js';
import { reference } from '../../src/payments/payment.js';
import { atHop, createTestGateway, defaultServices } from '../../testkit/harness.js';

async function payingGateway(options: { approveAfterMs?: number } = {}) {
  const portal = createDemoPortal();
  const sent: OutboundSms[] = [];
  const sms: SmsOutbox = {
    async enqueue(message) {
      sent.push(message);
      return { messageId: `m${sent.length}` };
    },
  };
  const jobs = new MemoryJobQueue();
  const store = new MemoryPaymentStore();
  const payments = createEmbeddedPayments(portal, {
    jobs,
    store,
    sms,
    provider: createSandboxPaymentProvider({ approveAfterMs: options.approveAfterMs ?? 0 }),
    pollIntervalMs: 1,
  });
  payments.start();
  const gateway = await createTestGateway({ services: await defaultServices({ portal, payments }) });
  return { ...gateway, portal, sent, jobs, store, payments };
}

async function dial(app: Awaited<ReturnType<typeof payingGateway>>['app'], sessionId: string, phoneNumber: string, inputs: string[]) {
  let last = { status: 0, body: '' };
  for (let i = 0; i <= inputs.length; i++) {
    last = await atHop(app, { sessionId, phoneNumber, text: inputs.slice(0, i).join('*') });
  }
  return last;
}

describe('paying a fee from the USSD menu (sandbox provider)', () => {
  it('confirms, ends the session with a reference, collects, tells the portal once and sends a receipt', async () => {
    const gw = await payingGateway();
    const shown = await dial(gw.app, 's1', DEMO_MSISDN, ['2', 'PS00373-240002']);
    expect(shown.body).toMatch(/^CON /);
    expect(shown.body).toContain('1 900');
    const started = await dial(gw.app, 's2', DEMO_MSISDN, ['2', 'PS00373-240002', '1']);
    expect(started.body).toMatch(/^END Paiement [0-9A-F]{8}: 1 900 FCFA\. Tapez votre code secret/);
    await gw.jobs.drain();

    expect(gw.portal.payments).toHaveLength(1);
    expect(gw.portal.payments[0]).toMatchObject({ requestNumber: 'PS00373-240002', amountXof: 1900, provider: 'sandbox' });
    const paymentId = gw.portal.payments[0]!.paymentId;
    const payment = await gw.store.get(paymentId);
    expect(payment?.state).toBe('succeeded');
    expect(payment?.operator).toBe('MTN');
    expect(payment?.history.map((h) => h.to)).toEqual(['pending', 'succeeded']);
    expect(gw.sent).toHaveLength(1);
    expect(gw.sent[0]).toMatchObject({ to: DEMO_MSISDN, idempotencyKey: `receipt:${paymentId}`, purpose: 'payment-receipt' });
    expect(gw.sent[0]!.text).toContain(sandboxTransactionId(paymentId));

    // "Check my payment" by redialling: the payer sees the payment and its transaction id ...
    const again = await dial(gw.app, 's3', DEMO_MSISDN, ['2', 'PS00373-240002']);
    expect(again.body).toBe(`END Paiement ${reference(paymentId)} effectué: 1 900 FCFA, transaction ${sandboxTransactionId(paymentId)}. La demande PS00373-240002 sera mise à jour.`);
    // ... anyone else the neutral answer of a request that is not theirs (tracking's rule).
    const other = await dial(gw.app, 's4', '+2290196123456', ['2', 'PS00373-240002']);
    expect(other.body).toMatch(/^CON Aucune demande PS00373-240002 n'est liée à ce numéro de téléphone\./);
  });

  it('redialling while the PIN prompt is open says so; after a decline it offers the fee again', async () => {
    const gw = await payingGateway({ approveAfterMs: 60_000 });
    await dial(gw.app, 's1', DEMO_MSISDN, ['2', 'PS00373-240002', '1']);
    const waiting = await dial(gw.app, 's2', DEMO_MSISDN, ['2', 'PS00373-240002']);
    expect(waiting.body).toMatch(/^END Paiement [0-9A-F]{8} \(1 900 FCFA\) en attente de votre code secret/);
    await gw.jobs.close();

    const declined = await payingGateway();
    await dial(declined.app, 's1', '+2290166000002', ['2', 'PS00200-240005', '1']);
    await declined.jobs.drain();
    const retry = await dial(declined.app, 's2', '+2290166000002', ['2', 'PS00200-240005']);
    expect(retry.body).toMatch(/^CON Le paiement [0-9A-F]{8} n'a pas abouti\. Aucun montant prélevé\./);
    const feeAgain = await dial(declined.app, 's2', '+2290166000002', ['2', 'PS00200-240005', '1']);
    expect(feeAgain.body).toMatch(/^CON Passeport ordinaire\nMontant: .* FCFA\. Payer par mobile money\?/);
  });

  it("pays from another number: that wallet gets the PIN prompt, both phones the receipt, both can check it", async () => {
    const gw = await payingGateway();
    const menu = await dial(gw.app, 's1', DEMO_MSISDN, ['2', 'PS00373-240002']);
    expect(menu.body).toMatch(/\n1\.Confirmer\n2\.Annuler\n3\.Payer depuis un autre numéro\n/);
    const bad = await dial(gw.app, 's2', DEMO_MSISDN, ['2', 'PS00373-240002', '3', '0100000000']);
    expect(bad.body).toMatch(/^CON Ce numéro n'est pas un numéro mobile du Bénin\./);
    const started = await dial(gw.app, 's3', DEMO_MSISDN, ['2', 'PS00373-240002', '3', '0195123456']);
    expect(started.body).toMatch(/^END Paiement [0-9A-F]{8}: 1 900 FCFA\. Le 0195123456 doit taper son code secret/);
    const [id] = await gw.store.overdue('9999-01-01T00:00:00.000Z', 10);
    expect(await gw.store.get(id!)).toMatchObject({ payerMsisdn: '+2290195123456', initiatorMsisdn: DEMO_MSISDN, operator: 'MOOV' });
    await gw.jobs.drain();
    expect(gw.portal.payments).toHaveLength(1);
    expect(gw.sent.map((m) => m.to).sort()).toEqual(['+2290195123456', DEMO_MSISDN].sort());
    for (const phone of [DEMO_MSISDN, '+2290195123456']) {
      expect((await dial(gw.app, `check-${phone}`, phone, ['2', 'PS00373-240002'])).body).toMatch(/^END Paiement [0-9A-F]{8} effectué/);
    }
  });

  it('a payment that succeeded but is not yet recorded by the portal cannot be paid again', async () => {
    const gw = await payingGateway();
    const id = crypto.randomUUID();
    const at = new Date().toISOString();
    await gw.store.create({ id, requestNumber: 'PS00373-240002', amountXof: 1900, payerMsisdn: DEMO_MSISDN, operator: 'MTN', provider: 'sandbox', createdAt: at, expiresAt: at });
    await gw.store.transition(id, { to: 'pending', at, reason: 'pushed', code: 'provider_pending' });
    await gw.store.transition(id, { to: 'succeeded', at, reason: 'paid', code: 'provider_succeeded', providerTransactionId: 'TX-9' });
    const start = gw.payments.services['payments.start']!;
    expect(await start({ requestNumber: 'PS00373-240002' }, { msisdn: DEMO_MSISDN, language: 'fr', signal: new AbortController().signal, channel: 'ussd' })).toEqual({ outcome: 'paid' });
  });

  it('a declined payment is failed, receipted, and never reaches the portal', async () => {
    const gw = await payingGateway();
    const started = await dial(gw.app, 's1', '+2290166000002', ['2', 'PS00200-240005', '1']);
    expect(started.body).toMatch(/^END Paiement/);
    await gw.jobs.drain();
    expect(gw.portal.payments).toHaveLength(0);
    expect(gw.sent).toHaveLength(1);
    expect(gw.sent[0]!.text).toContain('non abouti');
  });

  it('a second confirmation while the first payment is under way creates no second charge', async () => {
    const gw = await payingGateway({ approveAfterMs: 60_000 });
    await dial(gw.app, 's1', DEMO_MSISDN, ['2', 'PS00373-240002', '1']);
    // From another phone, after the holder's proof (the payer's own redial shows the pending payment instead).
    const second = await dial(gw.app, 's2', '+2290196123456', ['2', 'PS00373-240002', '1', '1234567890', '15031990', '1']);
    expect(second.body).toMatch(/^END Un paiement pour la demande PS00373-240002 est déjà en cours/);
    expect(await gw.store.overdue('9999-01-01T00:00:00.000Z', 10)).toHaveLength(1);
    await gw.jobs.close();
  });

  it('cancelling creates nothing', async () => {
    const gw = await payingGateway();
    const cancelled = await dial(gw.app, 's1', DEMO_MSISDN, ['2', 'PS00373-240002', '2']);
    expect(cancelled.body).toMatch(/^END Paiement annulé/);
    await gw.jobs.drain();
    expect(gw.portal.payments).toHaveLength(0);
    expect(await gw.store.overdue('9999-01-01T00:00:00.000Z', 10)).toEqual([]);
  });

  it('replayed and concurrent provider successes credit the portal exactly once', async () => {
    const gw = await payingGateway({ approveAfterMs: 60_000 });
    await dial(gw.app, 's1', DEMO_MSISDN, ['2', 'PS00373-240002', '1']);
    await gw.jobs.close(); // stop the poller: successes arrive only as the replays below
    const [paymentId] = await gw.store.overdue('9999-01-01T00:00:00.000Z', 10);
    const fresh = new MemoryJobQueue();
    const again = createEmbeddedPayments(gw.portal, { store: gw.store, jobs: fresh, sms: { enqueue: async () => ({ messageId: 'x' }) } });
    again.start();
    const payment = (await gw.store.get(paymentId!))!;
    await Promise.all(Array.from({ length: 20 }, () => again.apply(payment, { status: 'succeeded', providerTransactionId: 'TX-1' }, 'callback')));
    await again.apply(payment, { status: 'failed', reason: 'reordered late failure' }, 'callback');
    await fresh.drain();
    expect(gw.portal.payments.filter((p) => p.paymentId === paymentId)).toHaveLength(1);
    expect((await gw.store.get(paymentId!))?.state).toBe('succeeded');
  });
});

describe('reconciliation of overdue payments', () => {
  it('expires pending payments past expiry, and flags a success that arrives afterwards', async () => {
    const portal = createDemoPortal();
    let clock = Date.parse('2026-11-23T09:00:00Z');
    const jobs = new MemoryJobQueue();
    const store = new MemoryPaymentStore();
    const sent: OutboundSms[] = [];
    const payments = createEmbeddedPayments(portal, {
      jobs, store, now: () => clock, expiryMs: 60_000,
      sms: { enqueue: async (m) => (sent.push(m), { messageId: 'x' }) },
      provider: createSandboxPaymentProvider({ approveAfterMs: 10 * 60_000, now: () => clock }),
    });
    payments.start();
    const start = payments.services['payments.start']!;
    const result = await start({ requestNumber: 'PS00373-240002' }, { msisdn: DEMO_MSISDN, language: 'fr', signal: new AbortController().signal, channel: 'ussd' });
    expect(result.outcome).toBe('ok');
    const [id] = await store.overdue('9999-01-01T00:00:00.000Z', 10);
    await payments.collect(id!);
    expect(await payments.reconcileOverdue()).toBe(0); // not yet due
    clock += 61_000;
    expect(await payments.reconcileOverdue()).toBe(1);
    expect((await store.get(id!))?.state).toBe('expired');
    expect(sent).toHaveLength(1);

    // The citizen approved late: the provider now reports success.
    clock += 10 * 60_000;
    const payment = (await store.get(id!))!;
    await payments.apply(payment, await payments.providers.byName('sandbox')!.checkStatus({ paymentId: id! }), 'late callback');
    const flagged = await store.get(id!);
    expect(flagged).toMatchObject({ state: 'expired', needsReconciliation: true, providerTransactionId: sandboxTransactionId(id!) });
    await jobs.close();
    expect(portal.payments).toHaveLength(0);
  });
});
