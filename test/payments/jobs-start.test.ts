import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryJobQueue } from '../../src/jobs/memory.js';
import type { JobHandler, ProcessOptions } from '../../src/jobs/port.js';
import { createEmbeddedPayments } from '../../src/payments/embedded-payments.js';
import { COLLECT_QUEUE, CONFIRM_QUEUE, POLL_QUEUE, PORTAL_QUEUE } from '../../src/payments/queues.js';
import { MemoryPaymentStore } from '../../src/payments/store/memory.js';
import { createDemoPortal, DEMO_MSISDN } from '../../src/portal/demo.js';
import { createSandboxPaymentProvider } from '../../providers/sandbox-payment/payment.js';

/** A memory queue that records which queues get a worker. */
class RecordingQueue extends MemoryJobQueue {
  readonly consumed: { queue: string; concurrency?: number }[] = [];
  override process<Payload>(queue: string, handler: JobHandler<Payload>, options?: ProcessOptions): void {
    this.consumed.push({ queue, ...(options?.concurrency !== undefined ? { concurrency: options.concurrency } : {}) });
    super.process(queue, handler, options);
  }
}

const ctx = { msisdn: DEMO_MSISDN, language: 'fr' as const, signal: new AbortController().signal, channel: 'ussd' as const };

describe('payment jobs start only when asked (issue 13 item 5)', () => {
  afterEach(() => vi.useRealTimers());

  it('building the service registers no worker; a payment started meanwhile waits for start()', async () => {
    const portal = createDemoPortal();
    const jobs = new RecordingQueue();
    const store = new MemoryPaymentStore();
    const payments = createEmbeddedPayments(portal, { jobs, store, provider: createSandboxPaymentProvider({ approveAfterMs: 0 }), pollIntervalMs: 1, sms: { enqueue: async () => ({ messageId: 'x' }) } });
    expect(jobs.consumed).toEqual([]);

    expect((await payments.services['payments.start']!({ requestNumber: 'PS00373-240002' }, ctx)).outcome).toBe('ok');
    await jobs.drain();
    const [id] = await store.overdue('9999-01-01T00:00:00.000Z', 10);
    expect((await store.get(id!))?.state).toBe('created');
    expect(portal.payments).toHaveLength(0);

    payments.start();
    expect(jobs.consumed.map((c) => c.queue).sort()).toEqual([COLLECT_QUEUE, CONFIRM_QUEUE, POLL_QUEUE, PORTAL_QUEUE].sort());
    expect(jobs.consumed.every((c) => c.concurrency === 32)).toBe(true);
    await jobs.drain();
    expect((await store.get(id!))?.state).toBe('succeeded');
    expect(portal.payments.map((p) => p.paymentId)).toEqual([id]);
    await jobs.close();
  });

  it('a second start() is refused: two sets of workers would double the concurrency', () => {
    const payments = createEmbeddedPayments(createDemoPortal(), { jobs: new RecordingQueue() });
    payments.start();
    expect(() => payments.start()).toThrow(/already started/);
  });

  it('the overdue sweep runs only when start() is given its period, and stops when told', async () => {
    vi.useFakeTimers();
    const quietStore = new MemoryPaymentStore();
    const quietOverdue = vi.spyOn(quietStore, 'overdue');
    createEmbeddedPayments(createDemoPortal(), { store: quietStore }).start();
    const store = new MemoryPaymentStore();
    const overdue = vi.spyOn(store, 'overdue');
    const stop = createEmbeddedPayments(createDemoPortal(), { store }).start({ reconcileEveryMs: 60_000 });
    await vi.advanceTimersByTimeAsync(180_000);
    expect(overdue).toHaveBeenCalledTimes(3);
    stop();
    await vi.advanceTimersByTimeAsync(180_000);
    expect(overdue).toHaveBeenCalledTimes(3);
    expect(quietOverdue).not.toHaveBeenCalled();
  });
});
