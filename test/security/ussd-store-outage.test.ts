import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smppUssd } from '../../providers/smpp-ussd/ussd.js';
import { RedisSessionStore } from '../../src/sessions/redis.js';
import type { PreferenceStore, SessionStore } from '../../src/sessions/port.js';
import { hopHandlerDeps } from '../../src/http/app.js';
import { runHopPipeline } from '../../src/channels/ussd/hop-pipeline.js';
import { redisOptionsForHops } from '../../src/runtime/node/gateway.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createTestGateway, defaultServices, type TestGateway } from '../../testkit/harness.js';
import { WIRE_DIALECTS, walkRequests } from '../../testkit/dialects.js';
import { OwnRedis } from '../../testkit/processes.js';
import { until } from '../../testkit/until.js';

/**
 * Issue 12 item 1 (hop part): with the session store down, an opening hop (whose language lookup
 * runs beside the session load) and a later hop each get the polite END, within a fixed budget,
 * and no promise is left to reject unobserved (which would end a Node process). Against a real
 * redis-server started on a free port, stopped, and started again.
 */

const UNAVAILABLE = 'Service momentanément indisponible. Merci de réessayer plus tard.';
/** Hubtel gives up on an answer after about 5 s: the polite END must come well within that. */
const PROVIDER_PATIENCE_MS = 5000;

let server: OwnRedis;
let redis: Redis;
let gw: TestGateway;
let hopDeps: ReturnType<typeof hopHandlerDeps>;
let unhandled = 0;
const countUnhandled = () => void unhandled++;

beforeAll(async () => {
  process.on('unhandledRejection', countUnhandled);
  server = await OwnRedis.started();
  // The gateway's own client settings: no offline queue, a command budget.
  redis = new Redis(server.url, redisOptionsForHops());
  redis.on('error', () => {});
  await redis.connect();
  const store = new RedisSessionStore(redis, { prefix: `outage-${process.pid}:` });
  const services = await defaultServices();
  gw = await createTestGateway({ services, store });
  hopDeps = hopHandlerDeps({ menus: gw.menus, services, sessions: store, preferences: store, dialects: [], logger: silentLogger });
});

afterAll(async () => {
  process.off('unhandledRejection', countUnhandled);
  redis?.disconnect();
  await server?.stop();
});

async function post(dialect: string, request: { contentType: string; body: string }) {
  const started = performance.now();
  const res = await gw.app.request(`/ussd/${dialect}`, { method: 'POST', headers: { 'content-type': request.contentType }, body: request.body });
  return { status: res.status, body: await res.text(), ms: performance.now() - started };
}

describe('USSD hops with the session store down', () => {
  it('serves the menu while Redis is up', async () => {
    const at = WIRE_DIALECTS.find((d) => d.name === 'africastalking')!;
    const [opening] = walkRequests(at, 'outage-up', '2290197000001', '*123#', []);
    const res = await post('africastalking', opening!);
    expect(res.body).toMatch(/^CON Service Public du Bénin/);
  });

  it.each(WIRE_DIALECTS.map((d) => ({ name: d.name, dialect: d })))('$name: an opening and a later hop get the polite END, nothing left unhandled', async ({ dialect }) => {
    await server?.stop();
    const [opening, later] = walkRequests(dialect, `outage-${dialect.name}`, '2290197000001', '*123#', ['1']);
    for (const request of [opening!, later!]) {
      const res = await post(dialect.name, request);
      expect(res.status).toBe(200);
      expect(dialect.screen(res.body)).toEqual({ text: UNAVAILABLE, end: true });
      expect(res.ms).toBeLessThan(PROVIDER_PATIENCE_MS);
    }
    // Let any stray rejection surface before counting.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(unhandled).toBe(0);
  });

  it('smpp: the same through the hop pipeline', async () => {
    await server?.stop();
    const parsed = smppUssd.parse({ source_addr: '2290197000001', destination_addr: '123', message: '*123#', ussd_service_op: 1, its_session_info: new Uint8Array([9, 0]) });
    const outcome = await runHopPipeline(hopDeps, 'smpp', parsed, undefined, 160);
    expect(outcome).toMatchObject({ type: 'answer', screen: { text: UNAVAILABLE, end: true }, deliver: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(unhandled).toBe(0);
  });

  it('recovers by itself once Redis is back', async () => {
    await server.start();
    const at = WIRE_DIALECTS.find((d) => d.name === 'africastalking')!;
    const [opening] = walkRequests(at, 'outage-back', '2290197000001', '*123#', []);
    let body = '';
    await until(async () => (body = (await post('africastalking', opening!)).body).startsWith('CON '), 'hops to be served again', 10_000);
    expect(body).toMatch(/^CON Service Public du Bénin/);
    expect(unhandled).toBe(0);
  });
});

describe('a store that never answers', () => {
  it('is given up on after the store budget: the polite END, not a hang', async () => {
    const hanging: SessionStore & PreferenceStore = {
      load: () => new Promise(() => {}),
      save: () => new Promise(() => {}),
      exchange: () => new Promise(() => {}),
      getLanguage: () => new Promise(() => {}),
      setLanguage: () => new Promise(() => {}),
      isOptedOut: () => new Promise(() => {}),
      setOptedOut: () => new Promise(() => {}),
      languageAndOptOut: () => new Promise(() => {}),
    };
    const services = await defaultServices();
    const frozen = await createTestGateway({ services, store: hanging });
    const deps = { ...hopHandlerDeps({ menus: frozen.menus, services, sessions: hanging, preferences: hanging, dialects: [], logger: silentLogger }), storeBudgetMs: 50 };
    const parsed = smppUssd.parse({ source_addr: '2290197000001', destination_addr: '123', message: '*123#', ussd_service_op: 1, its_session_info: new Uint8Array([3, 0]) });
    const outcome = await runHopPipeline(deps, 'smpp', parsed, undefined, 160);
    expect(outcome).toMatchObject({ type: 'answer', screen: { text: UNAVAILABLE, end: true } });
  });
});
