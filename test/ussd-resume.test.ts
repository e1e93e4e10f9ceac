import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRecord } from '../src/channels/ussd/session-record.js';
import { InProcessFunnels, type FunnelSnapshot } from '../src/observability/funnels.js';
import { MemorySessionStore } from '../src/sessions/memory.js';
import type { PreferenceStore, SessionStore } from '../src/sessions/port.js';
import { RedisSessionStore } from '../src/sessions/redis.js';
import { testClock, type TestClock } from '../testkit/clock.js';
import { WIRE_DIALECTS, type WireDialect } from '../testkit/dialects.js';
import { createTestGateway, defaultServices, type TestGateway } from '../testkit/harness.js';

/**
 * Resuming a dropped session (README "Resuming a dropped session") through HTTP dialects that
 * report a session's end in three different ways: Africa's Talking on a separate callback URL,
 * Hubtel and MTN MADAPI on the hop URL itself, Nalo and Arkesel not at all (the session is found
 * dropped by its time-out, or by the redial itself). Each runs on the memory store and on a real
 * Redis. Requests are built as each provider sends them (`testkit/dialects.ts`, from the samples
 * in `providers/<name>/fixtures.ts`); the notices are the ones `test/funnels-hops.test.ts` replays.
 */

const MSISDN = '2290197000001';
const TTL_SECONDS = 180;
const WINDOW_SECONDS = 120;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `guichet-test:resume:${process.pid}:${Date.now()}:`;

const OFFER = "Votre session a été coupée.\n1.Reprendre où j'en étais\n2.Recommencer";
const HOME = 'Service Public du Bénin\n1.Suivre une demande\n2.Payer des frais\n3.Trouver un CCSP\n4.Langue / Language\n5.Qui a consulté mon dossier';
/** The holder's own unpaid request: the fee's confirmation screen (demo portal). */
const CONFIRMATION = 'Extrait de casier judiciaire\nMontant: 1 900 FCFA. Payer par mobile money?\n1.Confirmer\n2.Annuler\n3.Payer depuis un autre numéro\n0.Retour 00.Accueil';

type Cut =
  /** A notice on a URL of its own. */
  | { kind: 'callback'; path: string; body: (sessionId: string) => { contentType: string; body: string } }
  /** A notice on the hop URL. */
  | { kind: 'with-hops'; body: (sessionId: string) => { contentType: string; body: string } }
  /** Nothing: the session times out in silence. */
  | { kind: 'none' };

const json = (value: unknown) => ({ contentType: 'application/json', body: JSON.stringify(value) });
const wire = (name: string): WireDialect => WIRE_DIALECTS.find((d) => d.name === name)!;

/** Nalo without SESSIONID: the session is keyed by the phone number, so the redial lands on the dropped session's own key. */
const naloByPhone: WireDialect = {
  ...wire('nalo'),
  request: (h) => json({ USERID: 'NALOTest', MSISDN: h.msisdn, USERDATA: h.begin ? h.dialled : h.input, MSGTYPE: h.begin, NETWORK: 'MTN' }),
};

const DIALECTS: { label: string; dialect: WireDialect; path: string; cut: Cut }[] = [
  {
    label: "africastalking (end callback, status Incomplete)",
    dialect: wire('africastalking'),
    path: '/ussd/africastalking',
    cut: {
      kind: 'callback',
      path: '/ussd/africastalking/session-end',
      body: (id) => ({ contentType: 'application/x-www-form-urlencoded', body: new URLSearchParams({ sessionId: id, status: 'Incomplete', phoneNumber: `+${MSISDN}`, serviceCode: '*123#' }).toString() }),
    },
  },
  { label: 'hubtel (Type Timeout on the hop URL)', dialect: wire('hubtel'), path: '/ussd/hubtel', cut: { kind: 'with-hops', body: (id) => json({ Type: 'Timeout', SessionId: id, Mobile: MSISDN, Sequence: 4 }) } },
  {
    label: 'mtn-madapi (messageType 5 on the hop URL)',
    dialect: wire('mtn-madapi'),
    path: '/ussd/mtn-madapi',
    cut: { kind: 'with-hops', body: (id) => json({ sessionId: id, messageType: '5', msisdn: MSISDN, serviceCode: '123', ussdString: '' }) },
  },
  { label: 'nalo by SESSIONID (no end report)', dialect: wire('nalo'), path: '/ussd/nalo', cut: { kind: 'none' } },
  { label: 'nalo by phone number (no end report, key reused)', dialect: naloByPhone, path: '/ussd/nalo', cut: { kind: 'none' } },
  { label: 'arkesel (no end report)', dialect: wire('arkesel'), path: '/ussd/arkesel', cut: { kind: 'none' } },
];

let redis: Redis;
beforeAll(async () => {
  redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

const BACKENDS: { backend: string; make: (clock: TestClock) => SessionStore & PreferenceStore }[] = [
  { backend: 'memory', make: (clock) => new MemorySessionStore(clock.now) },
  // Redis expires keys by its own clock: these walks move only the hops' clock, within the keys' lives.
  { backend: 'redis', make: () => new RedisSessionStore(redis, { prefix: scoped() }) },
];

async function gatewayOn(store: SessionStore & PreferenceStore, clock: TestClock, funnels?: InProcessFunnels): Promise<TestGateway> {
  return createTestGateway({ services: await defaultServices(), store, now: clock.now, sessionTtlSeconds: TTL_SECONDS, resumeWindowSeconds: WINDOW_SECONDS, ...(funnels ? { funnels } : {}) });
}

/** One session of a walk over a dialect: the screens it was shown. */
async function walk(gw: TestGateway, dialect: WireDialect, path: string, sessionId: string, inputs: string[], msisdn = MSISDN): Promise<{ text: string; end: boolean }[]> {
  const screens: { text: string; end: boolean }[] = [];
  const all = ['', ...inputs];
  for (const [i, input] of all.entries()) {
    const request = dialect.request({ sessionId, msisdn, begin: i === 0, dialled: '*123#', input, history: inputs.slice(0, i), sequence: i + 1 });
    const res = await gw.app.request(path, { method: 'POST', headers: { 'content-type': request.contentType }, body: request.body });
    expect(res.status, await res.clone().text()).toBe(200);
    screens.push(dialect.screen(await res.text()));
  }
  return screens;
}

async function cut(gw: TestGateway, clock: TestClock, entry: (typeof DIALECTS)[number], sessionId: string): Promise<void> {
  const { cut: how } = entry;
  if (how.kind === 'none') {
    // Nobody says anything: the network's session times out, then the citizen redials.
    clock.advance((TTL_SECONDS + 20) * 1000);
    return;
  }
  const notice = how.body(sessionId);
  const res = await gw.app.request(how.kind === 'callback' ? how.path : entry.path, { method: 'POST', headers: { 'content-type': notice.contentType }, body: notice.body });
  expect(res.status).toBe(200);
  clock.advance(30_000);
}

/** A key space per case: the demo requests belong to one number, so its pointer would carry over between cases. */
const scoped = () => `${prefix}${Math.random().toString(36).slice(2, 8)}:`;
const unique = (label: string) => `${label.split(' ')[0]}-${Math.random().toString(36).slice(2, 10)}`;

describe.each(BACKENDS)('resuming through HTTP dialects ($backend store)', ({ make }) => {
  it.each(DIALECTS)('$label: a redial after the cut is offered the session back; 1 restores the screen and its inputs', async (entry) => {
    const clock = testClock();
    const gw = await gatewayOn(make(clock), clock);
    const first = unique(entry.label);
    const screens = await walk(gw, entry.dialect, entry.path, first, ['2', 'PS00373-240002']);
    expect(screens.at(-1)).toEqual({ text: CONFIRMATION, end: false });
    await cut(gw, clock, entry, first);
    const again = await walk(gw, entry.dialect, entry.path, unique(entry.label), ['1', '2']);
    expect(again.map((s) => s.text)).toEqual([OFFER, CONFIRMATION, 'Paiement annulé. Aucun montant prélevé.']);
    expect(again.map((s) => s.end)).toEqual([false, false, true]);
  });

  it.each(DIALECTS)('$label: no offer after the menu ended the session, and none twice for one drop', async (entry) => {
    const clock = testClock();
    const gw = await gatewayOn(make(clock), clock);
    const done = await walk(gw, entry.dialect, entry.path, unique(entry.label), ['1', 'PS00373-240001']);
    expect(done.at(-1)?.end).toBe(true);
    clock.advance(10_000);
    expect((await walk(gw, entry.dialect, entry.path, unique(entry.label), []))[0]).toEqual({ text: HOME, end: false });

    // A drop is offered once: the second redial after it starts at home.
    const dropped = unique(entry.label);
    await walk(gw, entry.dialect, entry.path, dropped, ['2']);
    await cut(gw, clock, entry, dropped);
    expect((await walk(gw, entry.dialect, entry.path, unique(entry.label), []))[0]?.text).toBe(OFFER);
    clock.advance(5_000);
    expect((await walk(gw, entry.dialect, entry.path, unique(entry.label), []))[0]?.text).toBe(HOME);
  });
});

describe('what a cut session leaves in Redis', () => {
  it("the resume record lives for the window, holds no identity proof, and the pointer is the caller's own", async () => {
    const clock = testClock();
    const space = scoped();
    const gw = await gatewayOn(new RedisSessionStore(redis, { prefix: space }), clock);
    const at = DIALECTS[0]!;
    const id = unique('at-proof');
    const screens = await walk(gw, at.dialect, at.path, id, ['1', 'PS00200-240005', '1', '9876543210']);
    expect(screens.at(-1)?.text).toMatch(/^Votre date de naissance/);
    // While the birth date is asked, the NPI waits in the session: that record is never kept past its time-out.
    expect(await redis.ttl(`${space}ussd:africastalking:${id}`)).toBeLessThanOrEqual(TTL_SECONDS);
    await cut(gw, clock, at, id);
    const ttl = await redis.ttl(`${space}ussd:africastalking:${id}`);
    expect(ttl).toBeGreaterThan(WINDOW_SECONDS - 10);
    expect(ttl).toBeLessThanOrEqual(WINDOW_SECONDS);
    const kept = decodeRecord((await redis.hget(`${space}ussd:africastalking:${id}`, 'd'))!);
    expect(kept.x).toBe('user_aborted');
    expect(Object.keys(kept.e.vars)).not.toContain('npi');
    expect(await redis.get(`${space}ptr:resume:*123#:+${MSISDN}`)).toBe(`africastalking:${id}`);
    expect(await redis.ttl(`${space}ptr:resume:*123#:+${MSISDN}`)).toBeGreaterThan(WINDOW_SECONDS);

    // The offer restores the NPI prompt, not the birth date's: the proof is asked again.
    const redial = unique('at-proof');
    const again = await walk(gw, at.dialect, at.path, redial, ['1']);
    expect(again.map((s) => s.text)).toEqual([OFFER, 'Votre NPI (10 chiffres):\n0.Retour 00.Accueil']);
    const resumed = decodeRecord((await redis.hget(`${space}ussd:africastalking:${redial}`, 'd'))!);
    expect(resumed.b).toBeUndefined();
    expect(resumed.e.vars).toEqual({ requestNumber: 'PS00200-240005' });
  });

  it('a silent drop is kept for its time-out plus the window, and a hop after its time-out is refused as expired', async () => {
    const clock = testClock();
    const space = scoped();
    const gw = await gatewayOn(new RedisSessionStore(redis, { prefix: space }), clock);
    const arkesel = DIALECTS.find((d) => d.dialect.name === 'arkesel')!;
    const id = unique('ark-ttl');
    await walk(gw, arkesel.dialect, arkesel.path, id, ['2']);
    const ttl = await redis.ttl(`${space}ussd:arkesel:${id}`);
    expect(ttl).toBeGreaterThan(TTL_SECONDS + WINDOW_SECONDS - 10);
    expect(ttl).toBeLessThanOrEqual(TTL_SECONDS + WINDOW_SECONDS);
    // A hop on it after the session's own time-out is refused as expired, though the record is still there.
    clock.advance((TTL_SECONDS + 1) * 1000);
    const late = arkesel.dialect.request({ sessionId: id, msisdn: MSISDN, begin: false, dialled: '*123#', input: 'PS00373-240002', history: [], sequence: 3 });
    const res = await gw.app.request(arkesel.path, { method: 'POST', headers: { 'content-type': late.contentType }, body: late.body });
    expect(arkesel.dialect.screen(await res.text())).toEqual({ text: 'Votre session a expiré. Merci de recomposer le code.', end: true });
  });
});

describe('funnels count a resumed session', () => {
  const menuOf = (snapshot: FunnelSnapshot) => snapshot.menus.find((m) => m.menu === 'service-public');
  const node = (snapshot: FunnelSnapshot, id: string) => menuOf(snapshot)?.nodes.find((n) => n.node === id);

  it('the cut one as dropped where it was, the redial as a new session arriving on the restored screen', async () => {
    const clock = testClock();
    const funnels = new InProcessFunnels({ sessionTtlSeconds: TTL_SECONDS, now: clock.now });
    const gw = await gatewayOn(new MemorySessionStore(clock.now), clock, funnels);
    const at = DIALECTS[0]!;
    const id = unique('funnel');
    await walk(gw, at.dialect, at.path, id, ['2', 'PS00373-240002']);
    await cut(gw, clock, at, id);
    await walk(gw, at.dialect, at.path, unique('funnel'), ['1']);
    const snapshot = funnels.snapshot();
    expect(menuOf(snapshot)?.started).toBe(2);
    expect(node(snapshot, 'pay.show')?.dropped).toMatchObject({ user_aborted: 1, expired: 0 });
    // Entered once by the walk, once by the resume; home only by the first session (the offer is no screen of the menu).
    expect(node(snapshot, 'pay.show')?.entered).toBe(2);
    expect(node(snapshot, 'home')?.entered).toBe(1);
    expect(snapshot.sessions.live).toBe(1);
  });
});
