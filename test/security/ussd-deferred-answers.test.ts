import { describe, expect, it } from 'vitest';
import { MemorySessionStore } from '../../src/sessions/memory.js';
import { hopHandlerDeps } from '../../src/http/app.js';
import { MemoryJobQueue } from '../../src/jobs/memory.js';
import type { EnqueueOptions } from '../../src/jobs/port.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createDeferrals, processDeferredCalls, type DeferredCall, type Deferrals } from '../../src/services/deferred-calls.js';
import type { ServiceRegistry } from '../../src/services/service-registry.js';
import type { OutboundSms, SmsOutbox } from '../../src/sms/outbox.js';
import { createTestGateway, defaultServices, type TestGateway } from '../../testkit/harness.js';
import { DIALECT_DRIVERS } from '../../testkit/dialects.js';

/**
 * Issue 12 item 8: a citizen told "par SMS" always gets the SMS. Deferred answers were queued
 * under `provider:sessionId:node`, which phone-keyed dialects (Nalo without SESSIONID, SMPP) reuse
 * for every session of a handset: the queue dropped the second as a duplicate. Ids are now unique
 * per committed hop; a copy of the hop still queues once. Identity proofs are never deferred.
 */

const CALLER = '2290197000001';
const BY_SMS = 'Le service met du temps à répondre. Nous vous enverrons la réponse par SMS.';
const UNAVAILABLE = 'Service momentanément indisponible. Merci de réessayer plus tard.';
const STATUS_SMS = 'PS00373-240001 Extrait de casier judiciaire\nStatut: Disponible le 20/11/2026\nA retirer: CCSP Cotonou 1';

/** The queue, recording what was handed to it (payloads and ids). */
class RecordingQueue extends MemoryJobQueue {
  readonly enqueued: { payload: unknown; jobId: string | undefined }[] = [];
  override async enqueue<Payload>(queue: string, payload: Payload, options?: EnqueueOptions): Promise<void> {
    this.enqueued.push({ payload, jobId: options?.jobId });
    return super.enqueue(queue, payload, options);
  }
}

interface Rig {
  gw: TestGateway;
  jobs: RecordingQueue;
  sent: OutboundSms[];
  deps: ReturnType<typeof hopHandlerDeps>;
  /** While true, the portal's status lookup answers after the hop's budget. */
  slow: { on: boolean };
}

async function rig(deferrals?: (jobs: RecordingQueue) => Deferrals): Promise<Rig> {
  const base = await defaultServices();
  const slow = { on: true };
  const lookup = base['portal.requestStatus']!;
  const services: ServiceRegistry = {
    ...base,
    'portal.requestStatus': async (args, ctx) => {
      if (slow.on) await new Promise((resolve) => setTimeout(resolve, 80));
      return lookup(args, ctx);
    },
  };
  const jobs = new RecordingQueue();
  const sent: OutboundSms[] = [];
  const outbox: SmsOutbox = { enqueue: async (m) => (sent.push(m), { messageId: `m${sent.length}` }) };
  const store = new MemorySessionStore();
  const gw = await createTestGateway({ services, store, serviceDeadlineMs: 20, deferrals: (deferrals ?? createDeferrals)(jobs) });
  processDeferredCalls(jobs, { menus: gw.menus, services, outbox, logger: silentLogger });
  const deps = hopHandlerDeps({ menus: gw.menus, services, sessions: store, preferences: store, dialects: [], logger: silentLogger, serviceDeadlineMs: 20, deferrals: (deferrals ?? createDeferrals)(jobs) });
  return { gw, jobs, sent, deps, slow };
}

async function nalo(gw: TestGateway, body: string): Promise<string> {
  const res = await gw.app.request('/ussd/nalo', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return (JSON.parse(await res.text()) as { MSG: string }).MSG;
}

async function hubtel(gw: TestGateway, body: string): Promise<string> {
  const res = await gw.app.request('/ussd/hubtel', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return (JSON.parse(await res.text()) as { Message: string }).Message;
}

// Nalo without SESSIONID, raw: every session of this handset has the same key.
const NALO_WALK = [
  `{"USERID":"NALOTest","MSISDN":"${CALLER}","USERDATA":"*123#","MSGTYPE":true,"NETWORK":"MTN"}`,
  `{"USERID":"NALOTest","MSISDN":"${CALLER}","USERDATA":"1","MSGTYPE":false,"NETWORK":"MTN"}`,
  `{"USERID":"NALOTest","MSISDN":"${CALLER}","USERDATA":"PS00373-240001","MSGTYPE":false,"NETWORK":"MTN"}`,
];

const hubtelHop = (sequence: number, type: string, message: string) =>
  `{"Type":"${type}","Mobile":"${CALLER}","SessionId":"defer-hubtel-1","ServiceCode":"123","Message":"${message}","Operator":"mtn","Sequence":${sequence},"ClientState":"","Platform":"USSD"}`;

describe('deferred answers reach the citizen', () => {
  it('Nalo keyed by the number: two sessions in a row told "par SMS" get two SMS', async () => {
    const { gw, jobs, sent } = await rig();
    for (let session = 0; session < 2; session++) {
      const screens = [];
      for (const body of NALO_WALK) screens.push(await nalo(gw, body));
      expect(screens.at(-1)).toBe(BY_SMS);
    }
    await jobs.drain();
    expect(sent.map((m) => m.text)).toEqual([STATUS_SMS, STATUS_SMS]);
    expect(new Set(sent.map((m) => m.idempotencyKey)).size).toBe(2);
    // No job id or SMS key holds the number (it is the session id here).
    for (const { jobId } of jobs.enqueued) expect(jobId).not.toContain('97000001');
    for (const m of sent) expect(m.idempotencyKey).not.toContain('97000001');
  });

  it('SMPP, the same number and session number twice: two dialogues, two SMS', async () => {
    const { gw, jobs, sent, deps } = await rig();
    const connection = await DIALECT_DRIVERS.smpp!.connect({ app: gw.app, hopDeps: deps });
    try {
      for (let dialogue = 0; dialogue < 2; dialogue++) {
        const walk = { sessionId: 'defer-smpp', msisdn: CALLER, dialled: '*123#', history: [] };
        await connection.send({ ...walk, begin: true, input: '', sequence: 1 });
        await connection.send({ ...walk, begin: false, input: '1', sequence: 2 });
        expect((await connection.send({ ...walk, begin: false, input: 'PS00373-240001', sequence: 3 })).screen.text).toBe(BY_SMS);
      }
    } finally {
      await connection.close();
    }
    await jobs.drain();
    expect(sent).toHaveLength(2);
  });

  it('a retransmitted hop, in sequence and concurrently, queues once', async () => {
    const { gw, jobs, sent } = await rig();
    await hubtel(gw, hubtelHop(1, 'initiation', '*123#'));
    await hubtel(gw, hubtelHop(2, 'response', '1'));
    // Three copies of the same hop racing, then a late fourth.
    const copies = await Promise.all([1, 2, 3].map(() => hubtel(gw, hubtelHop(3, 'response', 'PS00373-240001'))));
    expect(copies).toEqual([BY_SMS, BY_SMS, BY_SMS]);
    expect(await hubtel(gw, hubtelHop(3, 'response', 'PS00373-240001'))).toBe(BY_SMS);
    await jobs.drain();
    expect(jobs.enqueued).toHaveLength(1);
    expect(sent.map((m) => m.text)).toEqual([STATUS_SMS]);
  });

  it('an identity proof over its budget is not deferred: the NPI and birth date never reach a job', async () => {
    const { gw, jobs, sent, slow } = await rig();
    slow.on = false;
    const hop = (sequence: number, message: string) => hubtel(gw, hubtelHop(sequence, sequence === 1 ? 'initiation' : 'response', message).replace('defer-hubtel-1', 'defer-proof'));
    await hop(1, '*123#');
    await hop(2, '1');
    expect(await hop(3, 'PS00200-240005')).toContain("n'est liée à ce numéro");
    await hop(4, '1');
    await hop(5, '9876543210');
    slow.on = true;
    expect(await hop(6, '01012000')).toBe(UNAVAILABLE);
    // The next lookup of that session is deferred, and its job holds no proof.
    await jobs.drain();
    expect(jobs.enqueued).toHaveLength(0);
    expect(sent).toHaveLength(0);
  });

  it('a deferred lookup after a proof queues a job without the NPI or birth date', async () => {
    const { gw, jobs, slow } = await rig();
    slow.on = false;
    const hop = (sequence: number, message: string) => hubtel(gw, hubtelHop(sequence, sequence === 1 ? 'initiation' : 'response', message).replace('defer-hubtel-1', 'defer-after-proof'));
    await hop(1, '*123#');
    await hop(2, '1');
    await hop(3, 'PS00200-240005');
    await hop(4, '1');
    await hop(5, '9876543210');
    // A birth date that fails the format keeps the citizen on the prompt, NPI still held for the check...
    expect(await hop(6, '99')).toContain('Exemple: 15031990');
    // ...then `0` back twice and "another request number": the proof is abandoned, and the NPI goes with it.
    await hop(7, '0');
    await hop(8, '0');
    await hop(9, '2');
    slow.on = true;
    expect(await hop(10, 'PS00373-240001')).toBe(BY_SMS);
    await jobs.drain();
    expect(jobs.enqueued).toHaveLength(1);
    const job = JSON.stringify(jobs.enqueued[0]!.payload as DeferredCall);
    expect(job).not.toContain('9876543210');
  });

  it('a job that cannot be queued is not announced: the citizen is told to try later', async () => {
    const failing: Deferrals = { defer: async () => Promise.reject(new Error('queue down')) };
    const { gw, sent } = await rig(() => failing);
    await hubtel(gw, hubtelHop(1, 'initiation', '*123#'));
    await hubtel(gw, hubtelHop(2, 'response', '1'));
    expect(await hubtel(gw, hubtelHop(3, 'response', 'PS00373-240001'))).toBe(UNAVAILABLE);
    // Its retransmission is not told "par SMS" either.
    expect(await hubtel(gw, hubtelHop(3, 'response', 'PS00373-240001'))).toBe(UNAVAILABLE);
    expect(sent).toHaveLength(0);
  });
});
