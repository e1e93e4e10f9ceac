import { Cluster, Redis } from 'ioredis';
import { awaitReplica, keySlot } from '../src/lib/redis.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OwnRedisCluster } from '../testkit/redis-cluster.js';
import { startGateway, type GatewayProcess } from '../testkit/processes.js';
import { until } from '../testkit/until.js';
import { auditSlots } from '../testkit/redis-slots.js';
import { sessionStoreConformance } from '../src/sessions/conformance.js';
import { RedisSessionStore } from '../src/sessions/redis.js';
import { paymentStoreConformance } from '../src/payments/store/conformance.js';
import { RedisPaymentStore } from '../src/payments/store/redis.js';
import { messageStoreConformance } from '../src/sms/store/conformance.js';
import { RedisMessageStore } from '../src/sms/store/redis.js';
import { surveyStoreConformance } from '../src/surveys/conformance.js';
import { RedisSurveyStore } from '../src/surveys/redis.js';
import { jobQueueConformance } from '../src/jobs/conformance.js';
import { BullMqJobQueue } from '../src/jobs/bullmq.js';
import { appointmentBookConformance, CONFORMANCE_CALENDAR } from '../src/appointments/conformance.js';
import { RedisAppointmentBook } from '../src/appointments/redis.js';

/*
 * Issue 15 part 1: Guichet on a real Redis Cluster (Debian's redis-server, 3 masters and 3
 * replicas on free loopback ports). The stores' and the job queue's conformance suites run against
 * it (a script touching a key of another slot fails here: Redis 7 refuses it); then three gateway
 * processes share it, a walk load goes round-robin over them (no sticky routing) while a master
 * fails over, and every session must read as one walk, every accepted notification be sent once.
 */
let cluster: OwnRedisCluster;
let client: Cluster;
let audit: { violations: string[] };
const run = `${process.pid}-${Date.now()}`;
const newClient = () => new Cluster(cluster.startupNodes, { scaleReads: 'master', redisOptions: { maxRetriesPerRequest: 1 } });

beforeAll(async () => {
  cluster = await OwnRedisCluster.start();
  client = newClient();
  audit = auditSlots(client);
}, 45_000);

afterAll(async () => {
  client?.disconnect();
  await cluster?.stop();
});

describe('the stores on a Redis Cluster', () => {
  sessionStoreConformance('redis cluster', () => new RedisSessionStore(client, { prefix: `t${run}:` }));
  paymentStoreConformance('redis cluster', () => new RedisPaymentStore(client, `t${run}:`));
  messageStoreConformance('redis cluster', () => new RedisMessageStore(client, `t${run}:sms:`));
  // An answer's take-and-count is one script: the number's marker and the month's tallies live in two slots.
  surveyStoreConformance('redis cluster', () => new RedisSurveyStore(client, `t${run}:surveys:${Math.random()}:`));
  // A holder's pointer and a centre's day are different slots (often different masters): the claim order is what holds.
  appointmentBookConformance('redis cluster', () => new RedisAppointmentBook(client, CONFORMANCE_CALENDAR, { prefix: `t${run}:appt:${Math.random().toString(16).slice(2)}:` }));
  // BullMQ's scripts touch many keys of one queue: the prefix is a hash tag per queue.
  jobQueueConformance('bullmq on redis cluster', () => new BullMqJobQueue({ connect: (forWorker) => new Cluster(cluster.startupNodes, { redisOptions: { maxRetriesPerRequest: forWorker ? null : 1 } }), prefix: (queue) => `{t${run}:${queue}}` }));

  it('an acknowledged write waits for its master\'s replica: WAIT on the connection that wrote it', async () => {
    const key = `t${run}:replicated`;
    await client.set(key, 'first');
    // Just after the cluster forms a replica may still be in its first full sync.
    await until(async () => (await awaitReplica(client, key)) === 1, 'the replica to confirm a write', 20_000);
    // The replica held back (DEBUG SLEEP): the next write cannot be confirmed. A WAIT sent on a
    // connection that did not write it would answer 1 at once (nothing of its own to wait for).
    const [host, port] = client.slots[keySlot(key)]![0]!.split(':');
    expect(host).toBe('127.0.0.1');
    const replica = new Redis({ port: await cluster.replicaOf(Number(port)), host: '127.0.0.1' });
    try {
      await replica.ping();
      const sleeping = replica.call('DEBUG', 'SLEEP', '1');
      await new Promise((resolve) => setTimeout(resolve, 100));
      await client.set(key, 'second');
      expect(await awaitReplica(client, key, 200)).toBe(0);
      await sleeping;
      expect(await awaitReplica(client, key)).toBe(1);
    } finally {
      replica.disconnect();
    }
    // One Redis: nothing to wait for.
    expect(await awaitReplica(new Redis({ lazyConnect: true }), key)).toBeNull();
  });

  it('no command they sent spanned two slots', () => {
    expect(audit.violations).toEqual([]);
  });
});

const PHONE = '+2290197000001';
const POLITE = 'END Service momentanément indisponible';
const NOTIFY_KEY = 'k-cluster-test-0123456789';

async function hop(gateway: GatewayProcess, sessionId: string, text: string): Promise<string> {
  const res = await fetch(`${gateway.url}/ussd/africastalking`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ sessionId, serviceCode: '*123#', phoneNumber: PHONE, networkCode: '61602', text }).toString(),
    // A hang is a failure, not a slow answer: the hop budget is far under this.
    signal: AbortSignal.timeout(8_000),
  });
  const body = await res.text();
  return res.status === 200 ? body : `HTTP ${res.status} ${body}`;
}

async function notify(gateway: GatewayProcess, idempotencyKey: string): Promise<string | null> {
  const res = await fetch(`${gateway.url}/v1/notifications`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': NOTIFY_KEY },
    body: JSON.stringify({ to: PHONE, template: 'request_ready', params: { requestNumber: 'PS00373-240001', service: 'Extrait de casier', collectAt: 'CCSP Cotonou 1' }, idempotencyKey }),
    signal: AbortSignal.timeout(8_000),
  });
  if (res.status >= 500 && res.status !== 503) throw new Error(`notification answered ${res.status}: ${await res.text()}`);
  return res.status === 202 ? ((await res.json()) as { id: string }).id : null;
}

describe('three gateways on the cluster, a master failing over during a walk load', () => {
  const gateways: GatewayProcess[] = [];
  afterAll(async () => {
    for (const gateway of gateways) gateway.child.kill('SIGKILL');
  });

  const walk = ['', '1', '1*PS00373-240001'];
  const expected: string[] = [];

  /** Walks and notifications round-robin over the three while `disrupt` runs; then the checks. */
  async function underLoad(label: string, disrupt: () => Promise<void>): Promise<void> {
    const screens = new Map<string, string[]>();
    const notifications: string[] = [];
    let started = 0;
    let afterFailover = 0;
    let failoverDone = false;
    let failingOver = false;
    let duringFailover = 0;
    async function walker(): Promise<void> {
      while (started < 30 || !failoverDone || afterFailover < 15) {
        const index = started++;
        if (failoverDone) afterFailover++;
        const sessionId = `walk-${label}-${run}-${index}`;
        const answers: string[] = [];
        screens.set(sessionId, answers);
        if (index % 3 === 0) {
          const id = await notify(gateways[index % 3]!, `cluster-${label}-${run}-${index}`);
          if (id) notifications.push(id);
        }
        for (const [i, text] of walk.entries()) {
          // Round-robin, no sticky routing: each hop of a session on the next gateway.
          const sentBeforeTheEnd = !failoverDone;
          const answer = await hop(gateways[(index + i) % 3]!, sessionId, text);
          // In flight at some moment of the switch: sent before it ended, answered after it began.
          if (sentBeforeTheEnd && failingOver) duringFailover++;
          answers.push(answer);
          if (answer.startsWith('END')) break;
        }
      }
    }
    const load = Promise.all(Array.from({ length: 6 }, () => walker()));
    await until(() => started >= 20, 'the load to be under way', 20_000);
    failingOver = true;
    await disrupt();
    await cluster.waitHealthy();
    failoverDone = true;
    await load;

    // Every session reads as the single walk, cut short at most by the polite answer.
    const forked: string[] = [];
    let polite = 0;
    for (const [sessionId, answers] of screens) {
      const ok = answers.every((answer, i) => answer === expected[i] || (answer.startsWith(POLITE) && i === answers.length - 1));
      if (!ok) forked.push(`${sessionId}: ${JSON.stringify(answers)}`);
      if (answers.at(-1)?.startsWith(POLITE)) polite++;
    }
    expect(forked, forked.join('\n')).toEqual([]);
    // Walks were under way before, during and after the switch.
    expect(screens.size).toBeGreaterThanOrEqual(35);
    expect(duringFailover, 'hops in flight during the switch').toBeGreaterThan(0);
    // Most sessions went through: the switch is short.
    expect(polite).toBeLessThan(screens.size / 2);

    // Every accepted notification was handed to the SMS route once, by one of the three.
    expect(notifications.length).toBeGreaterThan(5);
    const sent = () => {
      const counts = new Map<string, number>();
      for (const gateway of gateways) {
        for (const line of gateway.output().split('\n')) {
          // What the route was handed (a submit), not the "SMS sent" line: a send whose `sent` was
          // recorded but not confirmed by a replica in a failover is settled by its retry without that line.
          if (!line.includes('"SMS (sandbox route: not sent)"')) continue;
          const id = (JSON.parse(line) as { id?: string }).id;
          if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
        }
      }
      return counts;
    };
    // Under the full suite on 2 cores a send after the switch has taken over 20 s (seen once in .ci/run): a lost job still fails at 60 s.
    await until(() => notifications.every((id) => sent().has(id)), () => `every notification to be sent; missing ${notifications.filter((id) => !sent().has(id)).length}`, 60_000);
    const counts = sent();
    expect(notifications.filter((id) => counts.get(id) !== 1)).toEqual([]);
    console.log(`cluster ${label}: ${screens.size} sessions (${duringFailover} hops in flight during the switch), ${polite} answered politely during the switch, ${notifications.length} notifications each sent once`);
  }

  it('0 forked sessions, every hop answered (politely during the switch), every accepted job run once: CLUSTER FAILOVER', async () => {
    // The walks all dial from one number, many at once: the per-number flood guard would (rightly) stop them, and each
    // opening would be offered the number's previous session back (resume); neither is what this tests.
    const env = { USSD_HOP_RATE_PER_MINUTE: '0', RESUME_WINDOW_SECONDS: '0', REDIS_CLUSTER_NODES: cluster.seeds, REDIS_PREFIX: `g${run}:`, NOTIFY_API_KEYS: `portail:${NOTIFY_KEY}`, LOG_LEVEL: 'info', SESSION_TTL_SECONDS: '120' };
    // Three processes starting at once on a shared 2-core machine: slower than one.
    gateways.push(...(await Promise.all([0, 1, 2].map(() => startGateway(env, { startMs: 40_000 })))));
    for (const gateway of gateways) await until(async () => (await fetch(`${gateway.url}/readyz`)).ok, 'the gateway to be ready on the cluster', 20_000);

    // What one walk gives, on one gateway, before any trouble.
    for (const text of walk) expected.push(await hop(gateways[0]!, `single-${run}`, text));
    expect(expected[2]).toMatch(/^END PS00373-240001/);

    await underLoad('manual failover', async () => {
      const [master] = await cluster.masters();
      await cluster.failover(master!);
    });
  }, 120_000);

  it('the same when a master is killed outright (kill -9): its replica is promoted by the others', async () => {
    expect(gateways).toHaveLength(3);
    await underLoad('master killed', async () => {
      const [master] = await cluster.masters();
      await cluster.killNode(master!);
      // Switched once the others have marked it failed and its replica serves its slots.
      await until(async () => !(await cluster.masters()).includes(master!), 'the killed master to be replaced', 30_000);
    });
  }, 120_000);
});
