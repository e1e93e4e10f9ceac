import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createFakeSecurityServer, type FakeSecurityServerControl } from '../../src/interop/demo-security-server.js';
import { InteropClient } from '../../src/interop/interop-client.js';
import { RedisBreakerStore } from '../../src/limits/breaker/redis.js';
import { silentLogger } from '../../src/observability/logger.js';
import { DEMO_REQUESTS } from '../../src/portal/demo.js';
import { createNodeGateway, type Gateway } from '../../src/runtime/node/gateway.js';
import { parseServiceRef } from '../../src/runtime/node/portal-wiring.js';
import { atHop, MENUS_DIR } from '../../testkit/harness.js';
import { serveOnLoopback, type LoopbackServer } from '../../testkit/loopback-server.js';
import { until } from '../../testkit/until.js';

/**
 * Issue 15, item 2: N gateway instances on one Redis behave as one for every limit. Two Node
 * gateways (`createNodeGateway`, as `main.ts` builds them) share one Redis and one REDIS_PREFIX;
 * requests alternate between them, as a load balancer with no sticky routing sends them.
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redis = new Redis(REDIS_URL);
const run = `limits-${process.pid}-${Date.now()}`;
const NOTIFY_KEY = 'limits-notify-key-0123456';

let securityServer: LoopbackServer;
let control: FakeSecurityServerControl;

async function pair(prefix: string, env: Record<string, string> = {}): Promise<[Gateway, Gateway]> {
  const gateways = await Promise.all(
    [0, 1].map(() =>
      createNodeGateway(
        loadConfig({ MENUS_DIR, MENUS_WATCH: '0', REDIS_URL, REDIS_PREFIX: `${run}-${prefix}:`, NOTIFY_API_KEYS: `portail:${NOTIFY_KEY}`, ...env }),
        silentLogger,
      ),
    ),
  );
  for (const gateway of gateways) await until(() => gateway.readiness().ready, 'the gateway connected to Redis');
  return gateways as [Gateway, Gateway];
}

const opened: Gateway[] = [];
beforeAll(async () => {
  const fake = createFakeSecurityServer(DEMO_REQUESTS);
  control = fake.control;
  securityServer = await serveOnLoopback(fake.app);
});
afterAll(async () => {
  await Promise.all(opened.map((g) => g.close()));
  await securityServer.close();
  const keys = await redis.keys(`${run}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

describe('two gateways on one Redis', () => {
  let a: Gateway;
  let b: Gateway;
  beforeAll(async () => {
    [a, b] = await pair('demo', { NOTIFY_RATE_PER_MINUTE: '5' });
    opened.push(a, b);
  });

  it('a notification rate of 5 a minute admits 5 in total over both, then 429 with Retry-After in the envelope', async () => {
    // Date only (timers stay real for Redis and BullMQ): 30 s into a minute, so no window boundary falls inside the test.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2026, 11, 2, 10, 0, 30));
    try {
      const statuses: number[] = [];
      const refusals: Response[] = [];
      for (let i = 0; i < 10; i++) {
        const body = JSON.stringify({ to: '+2290197000001', template: 'request_ready', params: { requestNumber: 'PS00373-240001', service: 'Casier', collectAt: 'CCSP' }, idempotencyKey: `${run}-n-${i}` });
        const res = await (i % 2 ? b : a).app.request('/v1/notifications', { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': NOTIFY_KEY }, body });
        statuses.push(res.status);
        if (res.status === 429) refusals.push(res);
      }
      expect(statuses).toEqual([202, 202, 202, 202, 202, 429, 429, 429, 429, 429]);
      // Full 30 s into the window: the next window's first millisecond still weighs all 5, so 31 s.
      expect(refusals[0]!.headers.get('retry-after')).toBe('31');
      expect(await refusals[0]!.json()).toEqual({ error: 'rate_limited', reason: expect.stringContaining('over 5 notifications per 60 s'), limit: 5, retryAfterSeconds: 31 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('the USSD flood guard counts one number’s hops on both: the 61st in a minute gets a polite END in the citizen’s language', async () => {
    // As above: the clock stands 30 s into a minute, however slow the machine (a slid window would let a few more in).
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2026, 11, 2, 11, 0, 30));
    try {
      await floodBothLanguages();
    } finally {
      vi.useRealTimers();
    }
  });

  async function floodBothLanguages(): Promise<void> {
    for (const [number, language, expected] of [
      ['+2290166100001', null, 'END Trop de tentatives. Merci de réessayer dans une minute.'],
      ['+2290166100002', 'en', 'END Too many attempts. Please try again in a minute.'],
    ] as const) {
      if (language) await redis.set(`${run}-demo:lang:${number}`, language);
      const answers: string[] = [];
      for (let i = 0; i < 61; i++) answers.push((await atHop(i % 2 ? b.app : a.app, { sessionId: `${run}-flood-${number}-${i}`, text: '', phoneNumber: number })).body);
      expect(answers.slice(0, 60).every((answer) => answer.startsWith('CON ')), answers.slice(0, 60).find((x) => !x.startsWith('CON '))).toBe(true);
      expect(answers[60]).toBe(expected);
      // Another number is not concerned.
      expect((await atHop(a.app, { sessionId: `${run}-flood-other-${number}`, text: '', phoneNumber: '+2290166100009' })).body).toMatch(/^CON /);
    }
  }

  it('identity-proof attempts alternate between the instances and still reach the lock', async () => {
    const stranger = '+2290166000077';
    const answers: string[] = [];
    // Every hop on the other instance than the one before, and each proof's deciding hop (the
    // birth date) on the other instance than the previous proof's: A, B, A, B.
    let hops = 0;
    for (let attempt = 1; attempt <= 4; attempt++) {
      if (attempt > 1) hops++;
      const sessionId = `${run}-proof-${attempt}`;
      const texts = ['', '1', '1*PS00373-240001', '1*PS00373-240001*1', '1*PS00373-240001*1*1234567890', `1*PS00373-240001*1*1234567890*0${attempt}011980`];
      let body = '';
      for (const text of texts) body = (await atHop(hops++ % 2 ? b.app : a.app, { sessionId, text, phoneNumber: stranger })).body;
      answers.push(body);
    }
    expect(answers.slice(0, 3).every((answer) => answer.startsWith('END Nous ne pouvons pas afficher')), answers.join(' | ')).toBe(true);
    expect(answers[3]).toBe("END Trop d'essais d'identification. Réessayez dans 1 min ou rendez-vous dans un CCSP.");
  });
});

describe('the X-Road circuit breaker shared by two gateways', () => {
  it('opened by failures seen through A, it is open on B: B does not call the upstream', async () => {
    const [a, b] = await pair('xroad', { PORTAL: 'xroad', XROAD_SECURITY_SERVER_URL: securityServer.baseUrl, XROAD_TIMEOUT_MS: '1000' });
    opened.push(a, b);
    const track = async (gateway: Gateway, n: number) => {
      const sessionId = `${run}-track-${n}`;
      await atHop(gateway.app, { sessionId, text: '' });
      await atHop(gateway.app, { sessionId, text: '1' });
      return (await atHop(gateway.app, { sessionId, text: '1*PS00373-240001' })).body;
    };
    const statusCalls = () => control.calls.filter((call) => call.service === 'requestStatus').length;
    // B has not called this upstream yet, so it has no recent healthy read to trust (one that is
    // under a second old is trusted: that lag is the next describe's, with a clock).
    expect(await track(a, 0)).toMatch(/^END PS00373-240001/);
    control.faults.set('requestStatus', { status: 503, type: 'Server.ServerProxy.ServiceFailed', remaining: 1_000 });
    // The breakers' clock stands still (Date only): a slow machine cannot reach the 10 s open time mid-test.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.UTC(2026, 11, 2, 12, 0, 0));
    try {
      // The default threshold is 5 failures; all of them through A.
      for (let i = 1; i <= 5; i++) expect(await track(a, i)).not.toMatch(/Disponible/);
      const before = statusCalls();
      expect(await track(b, 6)).not.toMatch(/Disponible/);
      expect(statusCalls()).toBe(before);
      const breakers = await redis.keys(`${run}-xroad:breaker:*`);
      expect(breakers).toEqual([`${run}-xroad:breaker:{BJ/GOV/PORTAIL/eservices/requestStatus}`]);
    } finally {
      vi.useRealTimers();
      control.faults.delete('requestStatus');
    }
  });
});

describe('the shared breaker, instance by instance (two clients, two Redis connections, one clock)', () => {
  const service = parseServiceRef('BJ/GOV/PORTAIL/eservices/feeDue');
  const clock = { now: Date.UTC(2026, 11, 2, 10) };
  const connections: Redis[] = [];
  afterAll(() => Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect()))));

  function instance(prefix: string, fetchImpl: typeof fetch, redisUrl = REDIS_URL) {
    const connection = new Redis(redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true, retryStrategy: () => null });
    connections.push(connection);
    // The store-away case's connection fails for good; its errors are the case, not noise.
    connection.on('error', () => {});
    connection.connect().catch(() => {});
    return new InteropClient({
      securityServerUrl: securityServer.baseUrl,
      client: { instance: 'BJ', memberClass: 'GOV', memberCode: 'GUICHET', subsystem: 'ussd' },
      dialect: 'xroad-r1',
      timeoutMs: 1000,
      logger: silentLogger,
      fetch: fetchImpl,
      breaker: { failureThreshold: 3, openMs: 10_000, now: () => clock.now },
      breakerStore: new RedisBreakerStore(connection, prefix),
    });
  }

  it('failures through both open it for both; after the open time one probe goes, and its success closes it for both', async () => {
    let upstreamCalls = 0;
    let healthy = false;
    const upstream: typeof fetch = async () => {
      upstreamCalls++;
      return healthy ? new Response('{"amountXof":1900}', { status: 200, headers: { 'content-type': 'application/json' } }) : new Response('{}', { status: 502 });
    };
    const prefix = `${run}-clients:`;
    const [a, b] = [instance(prefix, upstream), instance(prefix, upstream)];
    await until(() => connections.every((c) => c.status === 'ready'), 'both connections ready');
    const call = (client: InteropClient) => client.call(service, { path: '/x' }).then(
      () => 'ok',
      (error: { kind: string }) => error.kind,
    );
    expect([await call(a), await call(b), await call(a)]).toEqual(['unavailable', 'unavailable', 'unavailable']);
    expect(a.breakerFor(service).current).toBe('open');
    // B saw two of the three failures, below its own threshold: open because the fleet's count is.
    expect(await call(b)).toBe('circuit_open');
    expect(b.breakerFor(service).current).toBe('open');
    expect(upstreamCalls).toBe(3);

    healthy = true;
    clock.now += 10_000;
    // Both ask at once: one probe for the pair, the other is refused while it is out.
    expect((await Promise.all([call(a), call(b)])).sort()).toEqual(['circuit_open', 'ok']);
    expect(upstreamCalls).toBe(4);
    // Once the refused one's read of "someone is probing" is older than its cache (1 s), it asks again: closed.
    clock.now += 1_000;
    expect([await call(a), await call(b)]).toEqual(['ok', 'ok']);
    expect([a.breakerFor(service).current, b.breakerFor(service).current]).toEqual(['closed', 'closed']);
  });

  it('the trade-off of the local cache: an instance that saw it healthy under a second ago learns it opened within that second', async () => {
    let upstreamCalls = 0;
    let healthy = true;
    const upstream: typeof fetch = async () => {
      upstreamCalls++;
      return new Response('{}', { status: healthy ? 200 : 502 });
    };
    const prefix = `${run}-lag:`;
    const [a, b] = [instance(prefix, upstream), instance(prefix, upstream)];
    await until(() => connections.every((c) => c.status === 'ready'), 'both connections ready');
    const call = (client: InteropClient) => client.call(service, { path: '/x' }).then(() => 'ok', (error: { kind: string }) => error.kind);
    expect(await call(b)).toBe('ok');
    healthy = false;
    expect([await call(a), await call(a), await call(a)]).toEqual(['unavailable', 'unavailable', 'unavailable']);
    // B's healthy read is 0 ms old: it calls once more (a failure, counted), and from then on it asks.
    expect(await call(b)).toBe('unavailable');
    expect(await call(b)).toBe('circuit_open');
    expect(upstreamCalls).toBe(5);
  });

  it('with the breaker store away, calls still go and each instance’s own breaker still opens', async () => {
    let upstreamCalls = 0;
    const failing: typeof fetch = async () => {
      upstreamCalls++;
      return new Response('{}', { status: 502 });
    };
    // A Redis that is not there: nothing listens on port 9.
    const alone = instance(`${run}-away:`, failing, 'redis://127.0.0.1:9');
    const kinds = [];
    for (let i = 0; i < 5; i++) kinds.push(await alone.call(service, { path: '/x' }).then(() => 'ok', (error: { kind: string }) => error.kind));
    expect(kinds).toEqual(['unavailable', 'unavailable', 'unavailable', 'circuit_open', 'circuit_open']);
    expect(upstreamCalls).toBe(3);
    expect(alone.breakerFor(service).current).toBe('open');
  });
});
