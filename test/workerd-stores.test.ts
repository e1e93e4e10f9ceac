import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paymentStoreConformance } from '../src/payments/store/conformance.js';
import { DurableObjectPaymentStore } from '../src/payments/store/durable-object.js';
import { messageStoreConformance } from '../src/sms/store/conformance.js';
import { DurableObjectMessageStore } from '../src/sms/store/durable-object.js';
import type { DurableNamespace } from '../src/lib/durable-objects.js';
import { until } from '../testkit/until.js';
import { startWorkerdStores, type WorkerdStores } from '../testkit/workerd-stores.js';

/**
 * Issue 15: the Worker adapters on the real runtime, not only on the stand-ins of testkit. The
 * payment and message conformance suites run against their Durable Objects in workerd (SQLite
 * storage, the platform's input gates and serialisation), and jobs go through a local Cloudflare
 * queue to the test Worker's `queue()` export (real `attempts`, `retry({ delaySeconds })`, JSON
 * bodies). The stand-ins stay the fast check of every case; this proves they tell the truth.
 */
let workerd: WorkerdStores;
const bindings: Partial<Record<'PAYMENTS' | 'SMS_MESSAGES' | 'INDEXES', DurableNamespace>> = {};

beforeAll(async () => {
  workerd = await startWorkerdStores();
  for (const binding of ['PAYMENTS', 'SMS_MESSAGES', 'INDEXES'] as const) bindings[binding] = await workerd.namespace(binding);
}, 60_000);
afterAll(async () => {
  await workerd?.dispose();
});

paymentStoreConformance('durable-object in workerd', () => new DurableObjectPaymentStore({ requests: bindings.PAYMENTS!, indexes: bindings.INDEXES! }));
messageStoreConformance('durable-object in workerd', () => new DurableObjectMessageStore({ messages: bindings.SMS_MESSAGES!, indexes: bindings.INDEXES! }));

describe('CloudflareJobQueue in workerd, on a local queue', () => {
  const runsOf = async (key: string) => (await (await workerd.fetch(`/runs?key=${key}`)).json()) as { attempt: number; jobId: string }[];
  const enqueue = async (payload: object, options: object = {}) => {
    const answer = await workerd.fetch('/enqueue', { method: 'POST', body: JSON.stringify({ payload, options }) });
    expect(answer.status).toBe(200);
  };

  it('runs a job once however often it is enqueued with the same id', async () => {
    const key = crypto.randomUUID();
    for (let i = 0; i < 3; i++) await enqueue({ key }, { jobId: `dedup:${key}` });
    await until(async () => (await runsOf(key)).length >= 1, 'the first run');
    // A second run would come within the batch window (100 ms); give it several.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await runsOf(key)).toEqual([{ attempt: 1, jobId: `dedup:${key}` }]);
  });

  it("retries a failing job from the platform's attempts until it succeeds, then leaves it", async () => {
    const key = crypto.randomUUID();
    await enqueue({ key, failThrough: 2 }, { attempts: 5, backoffMs: 100 });
    await until(async () => (await runsOf(key)).length >= 3, 'three runs', 20_000);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await runsOf(key)).map((run) => run.attempt)).toEqual([1, 2, 3]);
  }, 30_000);

  it('fails a job at once on a permanent error, and records the failure', async () => {
    const key = crypto.randomUUID();
    await enqueue({ key, permanent: true }, { jobId: `permanent:${key}`, attempts: 5, backoffMs: 100 });
    await until(async () => (await (await workerd.fetch(`/failure?jobId=permanent:${key}`)).json()) !== null, 'the failure recorded');
    expect(await (await workerd.fetch(`/failure?jobId=permanent:${key}`)).json()).toEqual({ queue: 'record', jobId: `permanent:${key}`, error: `refused ${key}`, attempt: 1 });
    expect((await runsOf(key)).map((run) => run.attempt)).toEqual([1]);
  });

  it('brings a throttled job back without using an attempt', async () => {
    const key = crypto.randomUUID();
    await enqueue({ key, throttleMs: 1_000 }, { jobId: `throttled:${key}` });
    await until(async () => (await runsOf(key)).length >= 2, 'the run after the throttle', 20_000);
    expect((await runsOf(key)).map((run) => run.attempt)).toEqual([1, 1]);
  }, 30_000);
});
