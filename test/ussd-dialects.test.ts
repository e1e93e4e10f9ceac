import { describe, expect, it } from 'vitest';
import { ussdRegistry } from '../providers/index.js';
import { hopHandlerDeps } from '../src/http/app.js';
import type { UssdProviderSettings } from '../src/channels/ussd/provider-settings.js';
import { silentLogger } from '../src/observability/logger.js';
import { createTestGateway, defaultServices, type TestGateway } from '../testkit/harness.js';
import { DIALECT_DRIVERS, WIRE_DIALECTS, walkOver, walkRequests, type DialectConnection, type DialectDriver, type WireDialect } from '../testkit/dialects.js';

const MSISDN = '2290197000001';

async function post(gw: TestGateway, dialect: string, request: { contentType: string; body: string }, headers: Record<string, string> = {}) {
  const res = await gw.app.request(`/ussd/${dialect}`, { method: 'POST', headers: { 'content-type': request.contentType, ...headers }, body: request.body });
  return { status: res.status, body: await res.text() };
}

async function walk(gw: TestGateway, dialect: WireDialect, sessionId: string, inputs: string[], dialled = '*123#') {
  const screens: { text: string; end: boolean }[] = [];
  for (const request of walkRequests(dialect, sessionId, MSISDN, dialled, inputs)) {
    const res = await post(gw, dialect.name, request);
    expect(res.status).toBe(200);
    screens.push(dialect.screen(res.body));
  }
  return screens;
}

const THREE_HOPS = ['1', 'PS00373-240001'];
const EXPECTED = [
  { text: 'Service Public du Bénin\n1.Suivre une demande\n2.Payer des frais\n3.Trouver un CCSP\n4.Langue / Language\n5.Qui a consulté mon dossier', end: false },
  { text: 'Numéro de la demande (ex. PS00373-240001):\n0.Retour 00.Accueil', end: false },
  { text: 'PS00373-240001 Extrait de casier judiciaire\nStatut: Disponible le 20/11/2026\nA retirer: CCSP Cotonou 1', end: true },
];

/** A fresh embedded gateway and a connection to it in the driver's wire format (HTTP or SMPP). */
async function connect(driver: DialectDriver, providerSettings?: Record<string, UssdProviderSettings>): Promise<{ gw: TestGateway; connection: DialectConnection }> {
  const services = await defaultServices();
  const gw = await createTestGateway({ services, ...(providerSettings ? { providerSettings } : {}) });
  const hopDeps = hopHandlerDeps({ menus: gw.menus, services, sessions: gw.store, preferences: gw.store, dialects: [], logger: silentLogger });
  const connection = await driver.connect({ app: gw.app, hopDeps, ...(providerSettings ? { providerSettings } : {}) });
  return { gw, connection };
}

/** The opening (what was dialled), then each input, as one session of the driver's wire. */
async function walkVia(connection: DialectConnection, sessionId: string, inputs: string[], dialled = '*123#') {
  const answers = await walkOver(connection, sessionId, MSISDN, dialled, inputs);
  for (const { status } of answers) expect(status).toBe(200);
  return answers.map(({ screen }) => screen);
}

describe('the cross-dialect drivers (testkit/dialects.ts)', () => {
  it('are each for a dialect registered in providers/index.ts: no stale driver', () => {
    const registered = ussdRegistry.map((entry) => entry.dialect.name);
    expect(Object.keys(DIALECT_DRIVERS).filter((name) => !registered.includes(name))).toEqual([]);
  });
});

// Driven by the registry, not by a list kept here: a dialect registered in providers/index.ts
// without a driver in testkit/dialects.ts fails this suite.
describe.each(ussdRegistry.map((entry) => ({ name: entry.dialect.name, transport: entry.transport, driver: DIALECT_DRIVERS[entry.dialect.name] })))(
  'the national menu through $name ($transport)',
  ({ name, driver }) => {
    it('has a test driver in testkit/dialects.ts', () => {
      expect(driver, `dialect "${name}" is registered but testkit/dialects.ts has no driver for it`).toBeDefined();
    });
    if (!driver) return;

    const withConnection = async <T>(settings: Record<string, UssdProviderSettings> | undefined, run: (c: DialectConnection) => Promise<T>): Promise<T> => {
      const { connection } = await connect(driver, settings);
      try {
        return await run(connection);
      } finally {
        await connection.close();
      }
    };

    it('the same three-hop walk gives the same screens', async () => {
      expect(await withConnection(undefined, (c) => walkVia(c, `s-${name}`, THREE_HOPS))).toEqual(EXPECTED);
    });

    it('paging behaves the same at the same screen limit', async () => {
      const screens = await withConnection({ [name]: { screenLimit: 160 } }, (c) => walkVia(c, `p-${name}`, ['3', '8', '98', '0']));
      expect(screens[2]!.text).toMatch(/^CCSP Cotonou 1: Ganhi/);
      expect(screens[3]).toEqual({ text: 'CCSP Cotonou 4: Fidjrosse, pres de la plage', end: true });
    });

    it.runIf(driver.carriesDialString)('dial-through: *123*1*PS00373-240001# opens on the answer', async () => {
      const [first] = await withConnection(undefined, (c) => walkVia(c, `d-${name}`, [], '*123*1*PS00373-240001#'));
      expect(first).toEqual(EXPECTED[2]);
    });

    it('an unknown short code ends politely', async () => {
      const [first] = await withConnection(undefined, (c) => walkVia(c, `u-${name}`, [], '*999#'));
      expect(first).toEqual({ text: "Ce code n'est pas reconnu. Vérifiez le numéro composé.", end: true });
    });

    it('per-provider short codes and GSM-7-only encoding apply the same way', async () => {
      const refused = await withConnection({ [name]: { serviceCodes: ['*456#'] } }, (c) => walkVia(c, `c-${name}`, []));
      expect(refused[0]!.text).toMatch(/^Ce code n'est pas reconnu/);
      const screens = await withConnection({ [name]: { encoding: 'gsm7' } }, (c) => walkVia(c, `g-${name}`, ['4']));
      expect(screens[1]!.text).toBe('Langue:\n1.Francais\n2.English\n3.Fongbè\n4.Yorùba\n0.Retour 00.Accueil');
    });
  },
);

describe('dial-through stops where the menu needs more', () => {
  it('*123*1# lands on the question', async () => {
    const gw = await createTestGateway();
    const hubtel = WIRE_DIALECTS.find((d) => d.name === 'hubtel')!;
    const [first] = await walk(gw, hubtel, 'dt-1', [], '*123*1#');
    expect(first).toEqual(EXPECTED[1]);
  });

  it('an invalid dialled input shows the menu error like a typed one', async () => {
    const gw = await createTestGateway();
    const hubtel = WIRE_DIALECTS.find((d) => d.name === 'hubtel')!;
    const [first] = await walk(gw, hubtel, 'dt-2', [], '*123*1*99#');
    expect(first!.text).toMatch(/^Format attendu: PS00373-240001\./);
  });
});

describe('session ends and late replies', () => {
  const hubtel = WIRE_DIALECTS.find((d) => d.name === 'hubtel')!;

  it('a Hubtel Timeout closes the session; a hop arriving after it is not run', async () => {
    const gw = await createTestGateway();
    await walk(gw, hubtel, 'to-1', []);
    const timeout = await post(gw, 'hubtel', { contentType: 'application/json', body: JSON.stringify({ Type: 'Timeout', SessionId: 'to-1', Mobile: MSISDN, Sequence: 2 }) });
    expect(timeout.status).toBe(200);
    const record = JSON.parse((await gw.store.load('hubtel:to-1'))!.data);
    expect(record.x).toBe('app_timeout');
    const late = await post(gw, 'hubtel', hubtel.request({ sessionId: 'to-1', msisdn: MSISDN, begin: false, dialled: '*123#', input: '1', history: ['1'], sequence: 2 }));
    expect(JSON.parse((await gw.store.load('hubtel:to-1'))!.data).e.node).toBe('home');
    expect(late.status).toBe(200);
  });

  it('a Hubtel response after release ends politely and does not reopen the home screen', async () => {
    const gw = await createTestGateway();
    const opening = { Type: 'initiation', Mobile: MSISDN, SessionId: 'rel-1', ServiceCode: '123', Message: '*123#', Operator: 'mtn', Sequence: 1, ClientState: '', Platform: 'USSD' };
    const home = await post(gw, 'hubtel', { contentType: 'application/json', body: JSON.stringify(opening) });
    expect(hubtel.screen(home.body)).toEqual(EXPECTED[0]);
    await post(gw, 'hubtel', { contentType: 'application/json', body: JSON.stringify({ ...opening, Type: 'release', Message: '', Sequence: 2 }) });
    for (const [sequence, message] of [[2, '1'], [1, '*123#'], [3, '1']] as const) {
      const late = await post(gw, 'hubtel', { contentType: 'application/json', body: JSON.stringify({ ...opening, Type: 'response', Message: message, Sequence: sequence }) });
      expect(late.status).toBe(200);
      expect(JSON.parse(late.body)).toMatchObject({ Type: 'Release', Message: 'Votre session a expiré. Merci de recomposer le code.' });
    }
    const record = JSON.parse((await gw.store.load('hubtel:rel-1'))!.data);
    expect(record).toMatchObject({ x: 'user_aborted', e: { node: 'home' } });
  });

  it('a reply computed while the session times out is dropped, and its session change is not kept', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const gw = await createTestGateway({
      services: {
        ...(await defaultServices()),
        'portal.requestStatus': async () => {
          await gate;
          return { outcome: 'ok', values: { serviceCode: 'PS00373', status: 'ready', updatedAt: '20/11/2026', collectAt: 'CCSP Cotonou 1' } };
        },
      },
    });
    await walk(gw, hubtel, 'to-2', ['1']);
    const pending = post(gw, 'hubtel', hubtel.request({ sessionId: 'to-2', msisdn: MSISDN, begin: false, dialled: '*123#', input: 'PS00373-240001', history: [], sequence: 3 }));
    await new Promise((r) => setTimeout(r, 20));
    await post(gw, 'hubtel', { contentType: 'application/json', body: JSON.stringify({ Type: 'Timeout', SessionId: 'to-2', Mobile: MSISDN, Sequence: 3 }) });
    release();
    await pending;
    const record = JSON.parse((await gw.store.load('hubtel:to-2'))!.data);
    expect(record.x).toBe('app_timeout');
    expect(record.e.node).toBe('track.ask');
  });

  it("Africa's Talking session-end notification records the reason", async () => {
    const gw = await createTestGateway();
    const at = WIRE_DIALECTS.find((d) => d.name === 'africastalking')!;
    await walk(gw, at, 'ATUid_end', ['1']);
    const form = new URLSearchParams({
      date: '2026-11-23 08:00:00', sessionId: 'ATUid_end', serviceCode: '*123#', networkCode: '61602', phoneNumber: '+2290197000001',
      status: 'Incomplete', cost: 'XOF 0.0000', durationInMillis: '21000', hopsCount: '2', input: '1', lastAppResponse: 'CON Numéro de la demande', errorMessage: '',
    });
    const res = await gw.app.request('/ussd/africastalking/session-end', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
    expect(res.status).toBe(200);
    expect(JSON.parse((await gw.store.load('africastalking:ATUid_end'))!.data).x).toBe('user_aborted');
    const bad = await gw.app.request('/ussd/africastalking/session-end', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'sessionId=x&status=Weird' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'bad_request', reason: 'unknown session status "Weird"' });
  });

  it.each([
    ['2', 'user_aborted'],
    ['4', 'user_aborted'],
    ['5', 'network_timeout'],
  ])('MADAPI messageType %s records %s', async (messageType, reason) => {
    const gw = await createTestGateway();
    const madapi = WIRE_DIALECTS.find((d) => d.name === 'mtn-madapi')!;
    await walk(gw, madapi, `m-${messageType}`, []);
    await post(gw, 'mtn-madapi', { contentType: 'application/json', body: JSON.stringify({ sessionId: `m-${messageType}`, messageType, msisdn: MSISDN, serviceCode: '123', ussdString: '' }) });
    expect(JSON.parse((await gw.store.load(`mtn-madapi:m-${messageType}`))!.data).x).toBe(reason);
  });

  it('a completed session is recorded as completed', async () => {
    const gw = await createTestGateway();
    await walk(gw, hubtel, 'done', THREE_HOPS);
    expect(JSON.parse((await gw.store.load('hubtel:done'))!.data).x).toBe('completed');
  });

  it('a retransmitted Hubtel request (same Sequence) is answered again without running twice', async () => {
    const gw = await createTestGateway();
    await walk(gw, hubtel, 'rt', ['1']);
    const again = hubtel.request({ sessionId: 'rt', msisdn: MSISDN, begin: false, dialled: '*123#', input: '1', history: ['1'], sequence: 2 });
    expect(hubtel.screen((await post(gw, 'hubtel', again)).body)).toEqual(EXPECTED[1]);
    expect(JSON.parse((await gw.store.load('hubtel:rt'))!.data).e.back).toEqual(['home']);
  });

  it('Nalo keyed by phone number: a new MSGTYPE true restarts the session', async () => {
    const gw = await createTestGateway();
    const nalo = { ...WIRE_DIALECTS.find((d) => d.name === 'nalo')! };
    const request = (h: Parameters<WireDialect['request']>[0]) => {
      const body = JSON.parse(nalo.request(h).body) as Record<string, unknown>;
      delete body.SESSIONID;
      return { contentType: 'application/json', body: JSON.stringify(body) };
    };
    await post(gw, 'nalo', request({ sessionId: '', msisdn: MSISDN, begin: true, dialled: '*123#', input: '', history: [], sequence: 1 }));
    await post(gw, 'nalo', request({ sessionId: '', msisdn: MSISDN, begin: false, dialled: '*123#', input: '3', history: [], sequence: 2 }));
    const reopened = await post(gw, 'nalo', request({ sessionId: '', msisdn: MSISDN, begin: true, dialled: '*123#', input: '', history: [], sequence: 1 }));
    expect(nalo.screen(reopened.body)).toEqual(EXPECTED[0]);
  });
});

describe('per-provider settings', () => {
  const hubtel = WIRE_DIALECTS.find((d) => d.name === 'hubtel')!;
  const opening = hubtel.request({ sessionId: 'auth', msisdn: MSISDN, begin: true, dialled: '*123#', input: '', history: [], sequence: 1 });

  it('a wrong or missing secret gets 401 and touches no session', async () => {
    const gw = await createTestGateway({ providerSettings: { hubtel: { secret: 's3cr3t-value' } } });
    expect((await post(gw, 'hubtel', opening)).status).toBe(401);
    expect((await post(gw, 'hubtel', opening, { 'x-guichet-secret': 's3cr3t-valuf' })).status).toBe(401);
    expect(await gw.store.load('hubtel:auth')).toBeNull();
    const ok = await post(gw, 'hubtel', opening, { 'x-guichet-secret': 's3cr3t-value' });
    expect(hubtel.screen(ok.body)).toEqual(EXPECTED[0]);
  });

  it('an address outside the allowlist gets 403 and touches no session', async () => {
    const gw = await createTestGateway({ providerSettings: { hubtel: { allowedIps: ['10.1.2.3'] } }, clientIp: () => '::ffff:127.0.0.1' });
    const res = await post(gw, 'hubtel', opening);
    expect(res.status).toBe(403);
    expect(await gw.store.load('hubtel:auth')).toBeNull();
    const allowed = await createTestGateway({ providerSettings: { hubtel: { allowedIps: ['127.0.0.1'] } }, clientIp: () => '::ffff:127.0.0.1' });
    expect((await post(allowed, 'hubtel', opening)).status).toBe(200);
  });

  it('the screen limit is per provider', async () => {
    const gw = await createTestGateway({ providerSettings: { hubtel: { screenLimit: 60 } } });
    const first = hubtel.screen((await post(gw, 'hubtel', opening)).body);
    expect(first.text).toMatch(/98\.Suite$/);
  });

  it('a GSM-7-only provider gets every screen in its GSM-7 spelling', async () => {
    const gw = await createTestGateway({ providerSettings: { hubtel: { encoding: 'gsm7' } } });
    await post(gw, 'hubtel', opening);
    const language = hubtel.request({ sessionId: 'auth', msisdn: MSISDN, begin: false, dialled: '*123#', input: '4', history: ['4'], sequence: 2 });
    expect(hubtel.screen((await post(gw, 'hubtel', language)).body).text).toBe('Langue:\n1.Francais\n2.English\n3.Fongbè\n4.Yorùba\n0.Retour 00.Accueil');
  });

  it('a provider only opens sessions on its configured short codes', async () => {
    const gw = await createTestGateway({ providerSettings: { hubtel: { serviceCodes: ['*456#'] } } });
    expect(hubtel.screen((await post(gw, 'hubtel', opening)).body).text).toMatch(/^Ce code n'est pas reconnu/);
  });
});
