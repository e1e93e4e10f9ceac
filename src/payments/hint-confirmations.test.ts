import { describe, expect, it } from 'vitest';
import { silentLogger } from '../observability/logger.js';
import { HintConfirmations } from './hint-confirmations.js';

/**
 * The rules the durable confirmation job gave and the in-process runner keeps (issue 18 part 2):
 * one confirmation per payment waits or runs, a hint for a waiting payment is absorbed, one for a
 * running payment makes one more look after it; failures and overflow go to the durable job.
 * The payment flow around it (Redis, BullMQ, MoMo's callbacks) is `test/payments/hint-confirmations.test.ts`.
 */

/**
 * A confirm whose calls each wait until the test lets them finish (or fail); `ask` is its status
 * question leaving (what `confirmHint` reports through `onAsk`).
 */
function gatedConfirm() {
  const calls: { paymentId: string; candidateReference: string | undefined; ask: () => void; finish: () => void; fail: (error: Error) => void }[] = [];
  const confirm = (paymentId: string, candidateReference: string | undefined, onAsk: () => void) =>
    new Promise<void>((finish, fail) => {
      calls.push({ paymentId, candidateReference, ask: onAsk, finish, fail });
    });
  return { calls, confirm };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const P1 = '3f0a2c1e-8b7d-4e6f-9a5b-1c2d3e4f5a6b';
const P2 = '7c9e1b2a-4d3f-4a5b-8c6d-2e1f0a9b8c7d';
const P3 = 'b1a2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';

describe('HintConfirmations', () => {
  it('a hint for a payment already waiting is absorbed: one confirmation', async () => {
    const { calls, confirm } = gatedConfirm();
    const durable: string[] = [];
    const hints = new HintConfirmations({ confirm, durable: async (id) => void durable.push(id), concurrency: 1, logger: silentLogger });
    await hints.submit(P1);
    await hints.submit(P2);
    await hints.submit(P2);
    await hints.submit(P2, 'momo-ref-2');
    expect(calls.map((c) => c.paymentId)).toEqual([P1]);
    calls[0]!.finish();
    await tick();
    expect(calls.map((c) => c.paymentId)).toEqual([P1, P2]);
    // The reference a later hint named is kept for the one confirmation.
    expect(calls[1]!.candidateReference).toBe('momo-ref-2');
    calls[1]!.finish();
    await tick();
    expect(calls).toHaveLength(2);
    expect(hints.size).toBe(0);
    expect(durable).toEqual([]);
  });

  it('a hint that comes before the running confirmation asks the provider is answered by that question', async () => {
    const { calls, confirm } = gatedConfirm();
    const hints = new HintConfirmations({ confirm, durable: async () => {}, concurrency: 4, logger: silentLogger });
    await hints.submit(P1);
    await hints.submit(P1);
    calls[0]!.ask();
    calls[0]!.finish();
    await tick();
    expect(calls).toHaveLength(1);
    expect(hints.size).toBe(0);
  });

  it('a hint that comes once the running confirmation has asked makes one more look after it, however many come', async () => {
    const { calls, confirm } = gatedConfirm();
    const hints = new HintConfirmations({ confirm, durable: async () => {}, concurrency: 4, logger: silentLogger });
    await hints.submit(P1);
    expect(calls).toHaveLength(1);
    calls[0]!.ask();
    for (let i = 0; i < 5; i++) await hints.submit(P1);
    expect(calls).toHaveLength(1);
    calls[0]!.finish();
    await tick();
    expect(calls.map((c) => c.paymentId)).toEqual([P1, P1]);
    calls[1]!.finish();
    await tick();
    expect(calls).toHaveLength(2);
    expect(hints.size).toBe(0);
  });

  it('runs at most `concurrency` confirmations at once, the rest in arrival order', async () => {
    const { calls, confirm } = gatedConfirm();
    const hints = new HintConfirmations({ confirm, durable: async () => {}, concurrency: 2, logger: silentLogger });
    for (const id of [P1, P2, P3]) await hints.submit(id);
    expect(calls.map((c) => c.paymentId)).toEqual([P1, P2]);
    calls[1]!.finish();
    await tick();
    expect(calls.map((c) => c.paymentId)).toEqual([P1, P2, P3]);
  });

  it('a confirmation that fails (the status API or the store away) goes to the durable job with its reference', async () => {
    const { calls, confirm } = gatedConfirm();
    const durable: [string, string | undefined][] = [];
    const hints = new HintConfirmations({ confirm, durable: async (id, ref) => void durable.push([id, ref]), concurrency: 2, logger: silentLogger });
    await hints.submit(P1, 'momo-ref-1');
    calls[0]!.fail(new Error('momo status: HTTP 503'));
    await tick();
    expect(durable).toEqual([[P1, 'momo-ref-1']]);
    expect(hints.size).toBe(0);
  });

  it('the durable job away too: logged, nothing thrown (the status poll settles the payment)', async () => {
    const { calls, confirm } = gatedConfirm();
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (_fields: Record<string, unknown>, message: string) => void warnings.push(message) };
    const hints = new HintConfirmations({ confirm, durable: async () => Promise.reject(new Error('Connection is closed.')), concurrency: 1, logger });
    await hints.submit(P1);
    calls[0]!.fail(new Error('momo status: HTTP 503'));
    await tick();
    await tick();
    expect(warnings).toEqual(['payment hint not confirmed here: handed to the confirmation job', 'payment hint not queued either: left to the status poll']);
    expect(hints.size).toBe(0);
  });

  it('past `maxPending` payments held here, a hint goes to the durable job, and its failure is the caller’s', async () => {
    const { calls, confirm } = gatedConfirm();
    const durable: string[] = [];
    let queueUp = true;
    const hints = new HintConfirmations({
      confirm,
      durable: async (id) => {
        if (!queueUp) throw new Error('Connection is closed.');
        durable.push(id);
      },
      concurrency: 1,
      maxPending: 2,
      logger: silentLogger,
    });
    await hints.submit(P1);
    await hints.submit(P2);
    await hints.submit(P3);
    expect(durable).toEqual([P3]);
    expect(calls.map((c) => c.paymentId)).toEqual([P1]);
    queueUp = false;
    // The callback route answers 503 for it: the provider calls back again.
    await expect(hints.submit('d4c3b2a1-f6e5-4b7a-9d8c-5c4b3a2f1e0d')).rejects.toThrow('Connection is closed.');
  });

  it('on shutdown, what has not started goes to the durable job, and so do later hints and the one more look; what runs is waited for', async () => {
    const { calls, confirm } = gatedConfirm();
    const durable: string[] = [];
    const hints = new HintConfirmations({ confirm, durable: async (id) => void durable.push(id), concurrency: 1, logger: silentLogger });
    await hints.submit(P1);
    await hints.submit(P2);
    calls[0]!.ask();
    await hints.submit(P1);
    let handedOver = false;
    const handing = hints.handOver().then(() => void (handedOver = true));
    await tick();
    expect(durable).toEqual([P2]);
    await hints.submit(P3);
    expect(durable).toEqual([P2, P3]);
    // P1 still runs: the stores must not close under it.
    expect(handedOver).toBe(false);
    calls[0]!.finish();
    await handing;
    expect(durable).toEqual([P2, P3, P1]);
    expect(calls).toHaveLength(1);
    expect(hints.size).toBe(0);
  });

  it('on shutdown, a confirmation that hangs is waited for `drainMs` at most (the poller has it)', async () => {
    const { confirm } = gatedConfirm();
    const hints = new HintConfirmations({ confirm, durable: async () => {}, concurrency: 1, drainMs: 50, logger: silentLogger });
    await hints.submit(P1);
    const started = Date.now();
    await hints.handOver();
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
