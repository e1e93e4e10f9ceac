import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSessionStore } from '../src/sessions/redis.js';
import type { ServiceRegistry } from '../src/services/service-registry.js';
import { atHop, createTestGateway, defaultServices, type TestGateway } from '../testkit/harness.js';

/** The gateway on a real Redis: what `REDIS_URL` gives in production. */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `guichet-test:gw:${process.pid}:${Date.now()}:`;
let redis: Redis;
let gateway: TestGateway;
let feeCalls = 0;
/** Saves the store accepted: a forked session would show as more than one commit per hop. */
let commits = 0;

beforeAll(async () => {
  redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, enableAutoPipelining: true });
  await redis.connect();
  const services = await defaultServices();
  const counted: ServiceRegistry = {
    ...services,
    'payments.quote': async (args, ctx) => {
      feeCalls++;
      // Slow enough that concurrent duplicates overlap.
      await new Promise((r) => setTimeout(r, 20));
      return services['payments.quote']!(args, ctx);
    },
  };
  const store = new RedisSessionStore(redis, { prefix });
  const save = store.save.bind(store);
  store.save = async (...args) => {
    const committed = await save(...args);
    if (committed) commits++;
    return committed;
  };
  gateway = await createTestGateway({ store, services: counted });
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

describe('USSD sessions in Redis', () => {
  it('walks the national menu with the session in Redis', async () => {
    const id = `walk-${Date.now()}`;
    expect((await atHop(gateway.app, { sessionId: id, text: '' })).body).toMatch(/^CON Service Public/);
    expect((await atHop(gateway.app, { sessionId: id, text: '1' })).body).toMatch(/^CON Numéro de la demande/);
    const stored = await redis.hgetall(`${prefix}ussd:africastalking:${id}`);
    expect(stored.v).toBe('2');
    expect(JSON.parse(stored.d!).e.node).toBe('track.ask');
    expect(await redis.ttl(`${prefix}ussd:africastalking:${id}`)).toBeGreaterThan(170);
    expect((await atHop(gateway.app, { sessionId: id, text: '1*PS00373-240001' })).body).toMatch(/^END PS00373-240001/);
  });

  it('concurrent copies of one hop commit once, answer the same screen, and do not fork the session', async () => {
    const id = `race-${Date.now()}`;
    await atHop(gateway.app, { sessionId: id, text: '' });
    await atHop(gateway.app, { sessionId: id, text: '2' });
    const before = Number(await redis.hget(`${prefix}ussd:africastalking:${id}`, 'v'));
    const callsBefore = feeCalls;
    const commitsBefore = commits;

    const answers = await Promise.all(Array.from({ length: 20 }, () => atHop(gateway.app, { sessionId: id, text: '2*PS00373-240002' })));

    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    expect(answers[0]!.body).toMatch(/^CON Extrait de casier judiciaire\nMontant: 1 900 FCFA\. Payer par mobile money\?/);
    expect(Number(await redis.hget(`${prefix}ussd:africastalking:${id}`, 'v'))).toBe(before + 1);
    expect(commits - commitsBefore).toBe(1);
    // Copies that arrive after the commit are answered from the record without calling again;
    // only copies already running when it committed may have read the portal.
    expect(feeCalls - callsBefore).toBeGreaterThanOrEqual(1);
    const after = feeCalls;
    await atHop(gateway.app, { sessionId: id, text: '2*PS00373-240002' });
    expect(feeCalls).toBe(after);
  });

  it('two different concurrent inputs: one wins, the session stays linear', async () => {
    const id = `fork-${Date.now()}`;
    await atHop(gateway.app, { sessionId: id, text: '' });
    const commitsBefore = commits;
    const [a, b] = await Promise.all([atHop(gateway.app, { sessionId: id, text: '3' }), atHop(gateway.app, { sessionId: id, text: '1' })]);
    const record = JSON.parse((await redis.hget(`${prefix}ussd:africastalking:${id}`, 'd'))!);
    expect(await redis.hget(`${prefix}ussd:africastalking:${id}`, 'v')).toBe('2');
    // The record keeps a keyed hash of the history, not the text: the winner shows in where the session stands.
    expect(['ccsp.department', 'track.ask']).toContain(record.e.node);
    expect(record.p).toEqual([0, 1]);
    // The winner's answer is the screen stored; the loser is not silently applied on top.
    expect([a.body, b.body]).toContain(`CON ${record.s.text}`);
    expect(record.e.back).toEqual(['home']);
    expect(commits - commitsBefore).toBe(1);
  });

  it('holds a live session in under 1 KB of Redis memory', async () => {
    const id = `mem-${Date.now()}`;
    await atHop(gateway.app, { sessionId: id, text: '' });
    await atHop(gateway.app, { sessionId: id, text: '3' });
    const bytes = await redis.memory('USAGE', `${prefix}ussd:africastalking:${id}`);
    expect(bytes).toBeLessThanOrEqual(1024);
  });
});
