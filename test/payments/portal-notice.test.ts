import { describe, expect, it } from 'vitest';
import { MemoryJobQueue } from '../../src/jobs/memory.js';
import { createEmbeddedPayments } from '../../src/payments/embedded-payments.js';
import { MemoryPaymentStore } from '../../src/payments/store/memory.js';
import { createDemoPortal, DEMO_MSISDN } from '../../src/portal/demo.js';
import type { PortalClient } from '../../src/portal/port.js';

/**
 * Issue 12 item 11: whether the portal was told is kept with the payment, not in BullMQ's memory of
 * a completed job (which `removeOnComplete` or a flushed queue forgets).
 */
describe('the portal notice is de-duplicated by the payment record', () => {
  it('a success replayed after the queue forgot the first job tells the portal nothing more', async () => {
    const demo = createDemoPortal();
    let told = 0;
    const portal: PortalClient = { ...demo, recordPayment: async (notice, call) => (told++, demo.recordPayment(notice, call)) };
    const store = new MemoryPaymentStore();
    const first = new MemoryJobQueue();
    const payments = createEmbeddedPayments(portal, { store, jobs: first, sms: { enqueue: async () => ({ messageId: 'x' }) } });
    payments.start();
    const id = crypto.randomUUID();
    const at = new Date().toISOString();
    await store.create({ id, requestNumber: 'PS00373-240002', amountXof: 1900, payerMsisdn: DEMO_MSISDN, operator: 'MTN', provider: 'sandbox', createdAt: at, expiresAt: at });
    await store.transition(id, { to: 'pending', at, reason: 'pushed', code: 'provider_pending' });
    await payments.apply((await store.get(id))!, { status: 'succeeded', providerTransactionId: 'TX-1' }, 'callback');
    await first.drain();
    expect(told).toBe(1);
    expect((await store.get(id))?.portalNotifiedAt).toEqual(expect.any(String));

    // Another process, a queue that keeps no completed jobs: the same callback again, and the job run by hand.
    const fresh = new MemoryJobQueue();
    const again = createEmbeddedPayments(portal, { store, jobs: fresh, sms: { enqueue: async () => ({ messageId: 'x' }) } });
    again.start();
    for (let i = 0; i < 5; i++) await again.apply((await store.get(id))!, { status: 'succeeded', providerTransactionId: 'TX-1' }, 'callback replay');
    await again.tellPortal(id);
    await fresh.drain();
    expect(told).toBe(1);
  });

  it('a portal that refused leaves the payment unmarked, so the retried job tells it', async () => {
    const demo = createDemoPortal();
    let refuse = true;
    const portal: PortalClient = { ...demo, recordPayment: async (notice, call) => { if (refuse) throw new Error('portal down'); return demo.recordPayment(notice, call); } };
    const store = new MemoryPaymentStore();
    const payments = createEmbeddedPayments(portal, { store, jobs: new MemoryJobQueue(), sms: { enqueue: async () => ({ messageId: 'x' }) } });
    payments.start();
    const id = crypto.randomUUID();
    const at = new Date().toISOString();
    await store.create({ id, requestNumber: 'PS00373-240002', amountXof: 1900, payerMsisdn: DEMO_MSISDN, operator: 'MTN', provider: 'sandbox', createdAt: at, expiresAt: at });
    await store.transition(id, { to: 'pending', at, reason: 'pushed', code: 'provider_pending' });
    await store.transition(id, { to: 'succeeded', at, reason: 'paid', code: 'provider_succeeded', providerTransactionId: 'TX-2' });
    await expect(payments.tellPortal(id)).rejects.toThrow(/portal down/);
    expect((await store.get(id))?.portalNotifiedAt).toBeUndefined();
    refuse = false;
    await payments.tellPortal(id);
    expect(demo.payments.map((p) => p.paymentId)).toEqual([id]);
    expect((await store.get(id))?.portalNotifiedAt).toEqual(expect.any(String));
  });
});
