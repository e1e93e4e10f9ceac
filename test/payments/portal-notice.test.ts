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

  it('a job that succeeds tells the portal inside it; one run again after a crash finishes an untold success', async () => {
    const demo = createDemoPortal();
    let refuse = false;
    const portal: PortalClient = { ...demo, recordPayment: async (notice, call) => { if (refuse) throw new Error('portal down'); return demo.recordPayment(notice, call); } };
    const store = new MemoryPaymentStore();
    const jobs = new MemoryJobQueue();
    const enqueued: string[] = [];
    const recording: MemoryJobQueue = Object.assign(Object.create(jobs) as MemoryJobQueue, {
      enqueue: (queue: string, payload: unknown, options?: object) => (enqueued.push(queue), jobs.enqueue(queue, payload, options)),
    });
    const payments = createEmbeddedPayments(portal, { store, jobs: recording, sms: { enqueue: async () => ({ messageId: 'x' }) } });
    const at = new Date().toISOString();
    const make = async (requestNumber: string) => {
      const id = crypto.randomUUID();
      await store.create({ id, requestNumber, amountXof: 1900, payerMsisdn: DEMO_MSISDN, operator: 'MTN', provider: 'sandbox', createdAt: at, expiresAt: new Date(Date.now() + 60_000).toISOString() });
      await store.transition(id, { to: 'pending', at, reason: 'pushed', code: 'provider_pending' });
      return id;
    };

    // In a job (`now`): told at once, nothing on the portal queue.
    const first = await make('PS00373-240002');
    await payments.apply((await store.get(first))!, { status: 'succeeded', providerTransactionId: 'TX-3' }, 'status', 'now');
    expect(demo.payments.map((p) => p.paymentId)).toEqual([first]);
    expect(enqueued).not.toContain('payments.portal');

    // The portal refuses: the durable portal job takes over.
    refuse = true;
    const second = await make('PS00200-240003');
    await payments.apply((await store.get(second))!, { status: 'succeeded', providerTransactionId: 'TX-4' }, 'status', 'now');
    expect(enqueued).toContain('payments.portal');
    expect((await store.get(second))?.portalNotifiedAt).toBeUndefined();

    // A crash between "paid" and "told": the success is recorded, the notice is not; the poll job,
    // run again, finds it and tells the portal.
    refuse = false;
    const third = await make('PS00150-240004');
    await store.transition(third, { to: 'succeeded', at, reason: 'paid', code: 'provider_succeeded', providerTransactionId: 'TX-5' });
    await payments.poll(third, 2);
    expect(demo.payments.map((p) => p.paymentId)).toContain(third);
    expect((await store.get(third))?.portalNotifiedAt).toEqual(expect.any(String));
    await payments.poll(third, 3);
    expect(demo.payments.filter((p) => p.paymentId === third)).toHaveLength(1);
  });
});
