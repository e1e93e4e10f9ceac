import { describe, expect, it } from 'vitest';
import { ussdRegistry } from '../providers/index.js';
import { hopHandlerDeps } from '../src/http/app.js';
import { silentLogger } from '../src/observability/logger.js';
import { InProcessFunnels, type DropReason, type FunnelSnapshot } from '../src/observability/funnels.js';
import { storedSessionInspector } from '../src/observability/ussd-funnel.js';
import { MemorySessionStore } from '../src/sessions/memory.js';
import { atHop, createTestGateway, defaultServices, type TestGateway } from '../testkit/harness.js';
import { DIALECT_DRIVERS, WIRE_DIALECTS, walkRequests } from '../testkit/dialects.js';

/**
 * The hop handler feeding the funnels: the same counts whatever the dialect, each provider's
 * session-end notice as its reason, retransmissions never counted twice, a phone-keyed session
 * replaced by a redial, our own failure, and two instances sharing one store counting each session once.
 */

const MSISDN = '2290197000001';
const TTL_SECONDS = 180;
const MENU = 'service-public';

function node(snapshot: FunnelSnapshot, id: string) {
  return snapshot.menus.find((m) => m.menu === MENU)?.nodes.find((n) => n.node === id);
}
const droppedAt = (snapshot: FunnelSnapshot, id: string, reason: DropReason) => node(snapshot, id)?.dropped[reason] ?? 0;

async function gatewayWithFunnels(overrides: Parameters<typeof createTestGateway>[0] = {}) {
  const funnels = new InProcessFunnels({ sessionTtlSeconds: TTL_SECONDS });
  const gw = await createTestGateway({ funnels, ...overrides });
  return { gw, funnels };
}

async function post(gw: TestGateway, path: string, request: { contentType: string; body: string }) {
  const res = await gw.app.request(path, { method: 'POST', headers: { 'content-type': request.contentType }, body: request.body });
  expect(res.status, `${path} ${await res.clone().text()}`).toBe(200);
  return res.text();
}

describe('funnels through every dialect', () => {
  it.each(ussdRegistry.map((entry) => ({ name: entry.dialect.name, transport: entry.transport })))('$name ($transport): one walk to the status, counted the same', async ({ name }) => {
    const funnels = new InProcessFunnels({ sessionTtlSeconds: TTL_SECONDS });
    const services = await defaultServices();
    const gw = await createTestGateway({ services, funnels });
    const hopDeps = hopHandlerDeps({ menus: gw.menus, services, sessions: gw.store, preferences: gw.store, dialects: [], logger: silentLogger, funnels });
    const connection = await DIALECT_DRIVERS[name]!.connect({ app: gw.app, hopDeps });
    try {
      const history: string[] = [];
      const hops = [{ begin: true, input: '' }, { begin: false, input: '1' }, { begin: false, input: 'PS00373-240001' }];
      for (const [i, hop] of hops.entries()) {
        if (!hop.begin) history.push(hop.input);
        const { status } = await connection.send({ sessionId: `walk-${name}`, msisdn: MSISDN, begin: hop.begin, dialled: '*123#', input: hop.input, history: [...history], sequence: i + 1 });
        expect(status).toBe(200);
      }
    } finally {
      await connection.close();
    }
    const snapshot = funnels.snapshot();
    expect(snapshot.menus.find((m) => m.menu === MENU)?.started).toBe(1);
    expect(node(snapshot, 'home')).toMatchObject({ entered: 1, chose: { '1': 1 } });
    expect(node(snapshot, 'track.ask')).toMatchObject({ entered: 1 });
    expect(node(snapshot, 'track.lookup')).toMatchObject({ entered: 1 });
    expect(node(snapshot, 'track.show')).toMatchObject({ entered: 1, ended: 1 });
    expect(snapshot.sessions.live).toBe(0);
    expect(snapshot.sessions.byDialect).toEqual([expect.objectContaining({ dialect: name === 'smpp' ? expect.stringContaining('smpp') : name, operator: 'MTN', hops: expect.objectContaining({ count: 1, sum: 3 }) })]);
  });
});

describe("each provider's session-end notice is the drop's reason", () => {
  const notices: { dialect: string; reason: DropReason; path?: string; notice: (sessionId: string) => { contentType: string; body: string } }[] = [
    { dialect: 'hubtel', reason: 'user_aborted', notice: (id) => ({ contentType: 'application/json', body: JSON.stringify({ Type: 'Release', SessionId: id, Mobile: MSISDN, Sequence: 3 }) }) },
    { dialect: 'hubtel', reason: 'app_timeout', notice: (id) => ({ contentType: 'application/json', body: JSON.stringify({ Type: 'Timeout', SessionId: id, Mobile: MSISDN, Sequence: 3 }) }) },
    ...(['2', '4', '5'] as const).map((messageType) => ({
      dialect: 'mtn-madapi',
      reason: (messageType === '5' ? 'network_timeout' : 'user_aborted') as DropReason,
      notice: (id: string) => ({ contentType: 'application/json', body: JSON.stringify({ sessionId: id, messageType, msisdn: MSISDN, serviceCode: '123', ussdString: '' }) }),
    })),
    ...([['Incomplete', 'user_aborted'], ['Failed', 'error']] as const).map(([status, reason]) => ({
      dialect: 'africastalking',
      reason,
      path: '/ussd/africastalking/session-end',
      notice: (id: string) => ({ contentType: 'application/x-www-form-urlencoded', body: new URLSearchParams({ sessionId: id, status, phoneNumber: `+${MSISDN}`, serviceCode: '*123#' }).toString() }),
    })),
  ];

  it.each(notices)('$dialect: $reason, on the screen the session was on', async ({ dialect, reason, path, notice }) => {
    const { gw, funnels } = await gatewayWithFunnels();
    const wire = WIRE_DIALECTS.find((d) => d.name === dialect)!;
    for (const request of walkRequests(wire, `end-${reason}`, MSISDN, '*123#', ['1'])) await post(gw, `/ussd/${dialect}`, request);
    await post(gw, path ?? `/ussd/${dialect}`, notice(`end-${reason}`));
    // The same notice again (providers retry): the session is already closed, nothing more counted.
    await post(gw, path ?? `/ussd/${dialect}`, notice(`end-${reason}`));
    const snapshot = funnels.snapshot();
    expect(droppedAt(snapshot, 'track.ask', reason)).toBe(1);
    expect(Object.values(node(snapshot, 'track.ask')!.dropped).reduce((a, b) => a + b, 0)).toBe(1);
    expect(snapshot.sessions.live).toBe(0);
  });

  it('a notice after our END changes nothing: the session ended, it was not dropped', async () => {
    const { gw, funnels } = await gatewayWithFunnels();
    for (const text of ['', '1', '1*PS00373-240001']) await atHop(gw.app, { sessionId: 'done', text });
    await post(gw, '/ussd/africastalking/session-end', { contentType: 'application/x-www-form-urlencoded', body: 'sessionId=done&status=Success' });
    const snapshot = funnels.snapshot();
    expect(node(snapshot, 'track.show')).toMatchObject({ ended: 1 });
    expect(Object.values(node(snapshot, 'track.show')!.dropped).every((n) => n === 0)).toBe(true);
  });
});

describe('what is not a citizen moving on is not counted', () => {
  it('a retransmitted hop (the same cumulative text again) counts once', async () => {
    const { gw, funnels } = await gatewayWithFunnels();
    for (const text of ['', '', '1', '1', '1']) await atHop(gw.app, { sessionId: 'rt', text });
    const snapshot = funnels.snapshot();
    expect(node(snapshot, 'home')).toMatchObject({ entered: 1, chose: { '1': 1 } });
    expect(node(snapshot, 'track.ask')).toMatchObject({ entered: 1 });
    expect(snapshot.sessions.hopsPerMinute.reduce((n, m) => n + m.hops, 0)).toBe(2);
  });

  it('a hop refused before any session (unknown service code, another number) counts nothing', async () => {
    const { gw, funnels } = await gatewayWithFunnels();
    await atHop(gw.app, { sessionId: 'nope', text: '', serviceCode: '*999#' });
    await atHop(gw.app, { sessionId: 'mine', text: '' });
    await atHop(gw.app, { sessionId: 'mine', text: '1', phoneNumber: '+2290195000009' });
    const snapshot = funnels.snapshot();
    expect(snapshot.menus.find((m) => m.menu === MENU)?.started).toBe(1);
    expect(node(snapshot, 'home')).toMatchObject({ entered: 1, chose: {} });
  });
});

describe('sessions closed without a notice', () => {
  it('a phone-keyed session replaced by a redial is dropped as expired where it was', async () => {
    const { gw, funnels } = await gatewayWithFunnels();
    // Nalo without SESSIONID keys the session by the phone number.
    const nalo = (data: string, begin: boolean) => ({ contentType: 'application/json', body: JSON.stringify({ USERID: 'NALOTest', MSISDN, USERDATA: data, MSGTYPE: begin, NETWORK: 'MTN' }) });
    await post(gw, '/ussd/nalo', nalo('*123#', true));
    await post(gw, '/ussd/nalo', nalo('1', false));
    await post(gw, '/ussd/nalo', nalo('*123#', true));
    const snapshot = funnels.snapshot();
    expect(droppedAt(snapshot, 'track.ask', 'expired')).toBe(1);
    expect(snapshot.menus.find((m) => m.menu === MENU)?.started).toBe(2);
    expect(snapshot.sessions.live).toBe(1);
  });

  it('our own failure (the answer by SMS could not be queued) drops the session as error', async () => {
    const services = await defaultServices();
    const { gw, funnels } = await gatewayWithFunnels({
      services: { ...services, 'portal.requestStatus': () => new Promise(() => {}) },
      serviceDeadlineMs: 50,
      deferrals: {
        defer: async () => {
          throw new Error('queue down');
        },
      },
    });
    for (const text of ['', '1']) await atHop(gw.app, { sessionId: 'slow', text });
    const last = await atHop(gw.app, { sessionId: 'slow', text: '1*PS00373-240001' });
    expect(last.body).toMatch(/^END Service momentanément indisponible/);
    const snapshot = funnels.snapshot();
    expect(node(snapshot, 'track.lookup')).toMatchObject({ entered: 1 });
    expect(droppedAt(snapshot, 'by_sms', 'error')).toBe(1);
    expect(snapshot.sessions.live).toBe(0);
  });
});

describe('two instances sharing one session store', () => {
  /** Two gateways on one store, each with its own funnels reading sessions back at expiry. */
  async function pair() {
    let offset = 0;
    const clock = () => Date.now() + offset;
    const store = new MemorySessionStore(clock);
    const services = await defaultServices();
    const make = async () => {
      const funnels = new InProcessFunnels({ sessionTtlSeconds: TTL_SECONDS, now: clock, inspect: (key, tracked) => inspect(key, tracked) });
      const gw = await createTestGateway({ services, store, funnels });
      const inspect = storedSessionInspector(store, gw.menus);
      return { gw, funnels };
    };
    return { a: await make(), b: await make(), wait: (ms: number) => (offset += ms) };
  }
  const sum = (x: number | undefined, y: number | undefined) => (x ?? 0) + (y ?? 0);

  it('a session served by both, left unanswered, is counted expired once, by the instance that served it last', async () => {
    const { a, b, wait } = await pair();
    await atHop(a.gw.app, { sessionId: 'both', text: '' });
    await atHop(b.gw.app, { sessionId: 'both', text: '1' });
    wait(TTL_SECONDS * 1000 - 2000);
    await Promise.all([a.funnels.sweep(), b.funnels.sweep()]);
    const [sa, sb] = [a.funnels.snapshot(), b.funnels.snapshot()];
    expect(droppedAt(sa, 'track.ask', 'expired') + droppedAt(sb, 'track.ask', 'expired')).toBe(1);
    expect(droppedAt(sb, 'track.ask', 'expired')).toBe(1);
    expect(droppedAt(sa, 'home', 'expired')).toBe(0);
    expect(sa.sessions.live + sb.sessions.live).toBe(0);
    // Its two hops, counted once each, where they were answered.
    expect(sum(node(sa, 'home')?.entered, node(sb, 'home')?.entered)).toBe(1);
    expect(sum(node(sa, 'track.ask')?.entered, node(sb, 'track.ask')?.entered)).toBe(1);
    expect(sb.sessions.byDialect[0]?.hops).toMatchObject({ count: 1, sum: 2 });
  });

  it('a session ended on the other instance is not counted expired by the first', async () => {
    const { a, b, wait } = await pair();
    await atHop(a.gw.app, { sessionId: 'moved', text: '' });
    await atHop(a.gw.app, { sessionId: 'moved', text: '1' });
    await atHop(b.gw.app, { sessionId: 'moved', text: '1*PS00373-240001' });
    wait(TTL_SECONDS * 1000 - 2000);
    await Promise.all([a.funnels.sweep(), b.funnels.sweep()]);
    const [sa, sb] = [a.funnels.snapshot(), b.funnels.snapshot()];
    expect(node(sb, 'track.show')).toMatchObject({ ended: 1 });
    for (const s of [sa, sb]) for (const n of s.menus.flatMap((m) => m.nodes)) expect(n.dropped.expired, n.node).toBe(0);
    expect(sa.sessions.live + sb.sessions.live).toBe(0);
  });
});
