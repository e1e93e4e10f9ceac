/**
 * Hops saved without a load first (`src/sessions/write-through.ts`): two gateways on one Redis, each
 * keeping the records it saved. Whether a provider keeps a session on one instance or spreads its
 * hops over both, every hop answers what a single in-memory gateway answers, no service is called
 * more often than there, and the session stays linear. With one instance, navigation hops load nothing.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSessionStore } from '../src/sessions/redis.js';
import { WriteThroughSessionStore } from '../src/sessions/write-through.js';
import type { ServiceRegistry } from '../src/services/service-registry.js';
import { atHop, createTestGateway, defaultServices, type TestGateway } from '../testkit/harness.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `guichet-test:wt:${process.pid}:${Date.now()}:`;
let redis: Redis;

/** Walks of the national menu (menus/service-public.yaml): navigation, a portal lookup, a fee quote, the CCSP directory. */
const WALKS: { name: string; texts: string[] }[] = [
  { name: 'track a request after going back and forth', texts: ['', '3', '3*0', '3*0*1', '3*0*1*PS00373-240001'] },
  { name: 'fee due', texts: ['', '2', '2*PS00373-240002'] },
  { name: 'CCSP by department, paged', texts: ['', '3', '3*8', '3*8*98'] },
  { name: 'a retransmitted hop in the middle', texts: ['', '3', '3', '3*0', '3*0*1', '3*0*1', '3*0*1*PS00373-240001'] },
];

interface Instance {
  gateway: TestGateway;
  loads: number;
  saves: number;
  calls: Record<string, number>;
}

async function instance(services: ServiceRegistry, calls: Record<string, number>): Promise<Instance> {
  const inner = new RedisSessionStore(redis, { prefix });
  const counted = { loads: 0, saves: 0 };
  const load = inner.load.bind(inner);
  inner.load = (key) => {
    counted.loads++;
    return load(key);
  };
  const sessions = new WriteThroughSessionStore(inner);
  const save = sessions.save.bind(sessions);
  sessions.save = (...args) => {
    counted.saves++;
    return save(...args);
  };
  // Resuming on, as by default (RESUME_WINDOW_SECONDS=120): openings read the previous session.
  const gateway = await createTestGateway({ store: inner, sessions, services, resumeWindowSeconds: 120 });
  return {
    gateway,
    get loads() {
      return counted.loads;
    },
    get saves() {
      return counted.saves;
    },
    calls,
  };
}

/** Every service of the registry, counting its calls into `calls`. */
function counting(services: ServiceRegistry, calls: Record<string, number>): ServiceRegistry {
  return Object.fromEntries(
    Object.entries(services).map(([name, handler]) => [
      name,
      (args: Record<string, string>, ctx: Parameters<typeof handler>[1]) => {
        calls[name] = (calls[name] ?? 0) + 1;
        return handler(args, ctx);
      },
    ]),
  );
}

let reference: TestGateway;
const referenceCalls: Record<string, number> = {};
let a: Instance;
let b: Instance;
const sharedCalls: Record<string, number> = {};

beforeAll(async () => {
  redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, enableAutoPipelining: true });
  await redis.connect();
  const services = await defaultServices();
  reference = await createTestGateway({ services: counting(services, referenceCalls), resumeWindowSeconds: 120 });
  a = await instance(counting(services, sharedCalls), sharedCalls);
  b = await instance(counting(services, sharedCalls), sharedCalls);
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

describe('hops saved from the record this instance wrote', () => {
  for (const [spread, pick] of [
    ['every hop on one instance', () => a],
    ['hops alternating between two instances', (i: number) => (i % 2 === 0 ? a : b)],
    ['two hops here, one there', (i: number) => (i % 3 === 2 ? b : a)],
  ] as const) {
    it.each(WALKS)(`${spread}: $name`, async ({ texts }) => {
      const id = `wt-${Math.random().toString(36).slice(2)}`;
      for (const key of Object.keys(referenceCalls)) delete referenceCalls[key];
      for (const key of Object.keys(sharedCalls)) delete sharedCalls[key];
      for (const [i, text] of texts.entries()) {
        const expected = await atHop(reference.app, { sessionId: id, text });
        const seen = await atHop(pick(i).gateway.app, { sessionId: id, text });
        expect({ hop: i, text, ...seen }).toEqual({ hop: i, text, ...expected });
      }
      // No service ran more often than on the single gateway (a stale record never reaches a call).
      expect(sharedCalls).toEqual(referenceCalls);
      // The session is linear: one committed version per hop that moved it.
      const committed = texts.filter((text, i) => i === 0 || text !== texts[i - 1]).length;
      expect(Number(await redis.hget(`${prefix}ussd:africastalking:${id}`, 'v'))).toBe(committed);
    });
  }

  it('a redial after a session this instance ended on its END screen loads only its own key', async () => {
    // The holder of PS00373-240001 (demo portal): the walk ends on its END status screen.
    const phoneNumber = '+2290197000001';
    const first = `wt-ended-${Date.now()}`;
    for (const text of ['', '1', '1*PS00373-240001']) await atHop(a.gateway.app, { sessionId: first, text, phoneNumber });
    const loads = a.loads;
    expect((await atHop(a.gateway.app, { sessionId: `${first}-again`, text: '', phoneNumber })).body).toMatch(/^CON Service Public du Bénin/);
    expect(a.loads - loads).toBe(1);
  });

  it('a session cut on the other instance is loaded, not taken from the stale copy, and offered for resuming', async () => {
    const phoneNumber = '+2290197000078';
    const cut = `wt-cut-${Date.now()}`;
    for (const text of ['', '3']) await atHop(a.gateway.app, { sessionId: cut, text, phoneNumber });
    // The provider tells instance B the session was cut; A still holds the open record it saved.
    const ended = await b.gateway.app.request('/ussd/africastalking/session-end', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ sessionId: cut, status: 'Incomplete' }).toString(),
    });
    expect(ended.status).toBe(200);
    const redial = await atHop(a.gateway.app, { sessionId: `${cut}-again`, text: '', phoneNumber });
    expect(redial.body).toMatch(/^CON .*\n1\.Reprendre/s);
  });

  it('on one instance, a hop between screens loads nothing; a hop calling a service loads first', async () => {
    const id = `wt-count-${Date.now()}`;
    const loads = a.loads;
    const saves = a.saves;
    // Opening (no record yet: loaded), three navigation hops, then the portal lookup (loaded).
    // A number with no earlier session on the code: no previous record for the opening to read.
    for (const text of ['', '3', '3*0', '3*0*1', '3*0*1*PS00373-240001']) await atHop(a.gateway.app, { sessionId: id, text, phoneNumber: '+2290197000079' });
    expect(a.loads - loads).toBe(2);
    expect(a.saves - saves).toBe(5);
  });
});
