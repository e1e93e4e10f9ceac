import { describe, expect, it } from 'vitest';
import { ussdDialects } from '../../providers/index.js';
import { smppUssd } from '../../providers/smpp-ussd/ussd.js';
import { MemorySessionStore } from '../../src/sessions/memory.js';
import type { SessionStore, VersionedRecord } from '../../src/sessions/port.js';
import { hopHandlerDeps } from '../../src/http/app.js';
import { runHopPipeline } from '../../src/channels/ussd/hop-pipeline.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createTestGateway, defaultServices, type TestGateway } from '../../testkit/harness.js';
import { DIALECT_DRIVERS } from '../../testkit/dialects.js';

/**
 * Issue 11 item 3: a USSD session belongs to the number that opened it. Another number sending
 * the holder's session id (with the same text, a new input, or an opening) gets a neutral END,
 * never the holder's stored screen, and the session store is left exactly as it was.
 */

const HOLDER = '2290197000001';
const STRANGER = '2290166000009';
const EXPIRED = 'Votre session a expiré. Merci de recomposer le code.';
const TRACK_ASK = 'Numéro de la demande (ex. PS00373-240001):\n0.Retour 00.Accueil';

/** Counts every write, so "the store is unchanged" is checked, not assumed. */
class WatchedStore extends MemorySessionStore {
  saves = 0;
  override async save(key: string, data: string, expectedVersion: number | null, ttlSeconds: number): Promise<boolean> {
    this.saves++;
    return super.save(key, data, expectedVersion, ttlSeconds);
  }
}

interface Wire {
  contentType: string;
  body: string;
}
const json = (body: string): Wire => ({ contentType: 'application/json', body });
const form = (body: string): Wire => ({ contentType: 'application/x-www-form-urlencoded', body });

interface DialectCase {
  dialect: string;
  /** The session key the channel files the holder's session under. */
  key: string;
  /** The holder dials `*123#` and answers `1`: the session rests on "Numéro de la demande". */
  holder: Wire[];
  /** The holder's next hop, sent after the attacks: the session still works for its owner. */
  holderNext: Wire;
  /** Raw requests from another number naming the holder's session. */
  attacks: { name: string; wire: Wire }[];
  /** How the dialect's answer reads. */
  screen(body: string): { text: string; end: boolean };
}

// Raw bodies as each provider posts them (shapes: providers/<name>/fixtures.ts and ussd.ts).
const CASES: DialectCase[] = [
  {
    dialect: 'africastalking',
    key: 'africastalking:ATUid_bind1',
    holder: [
      form(`sessionId=ATUid_bind1&serviceCode=*123%23&phoneNumber=%2B${HOLDER}&networkCode=61602&text=`),
      form(`sessionId=ATUid_bind1&serviceCode=*123%23&phoneNumber=%2B${HOLDER}&networkCode=61602&text=1`),
    ],
    holderNext: form(`sessionId=ATUid_bind1&serviceCode=*123%23&phoneNumber=%2B${HOLDER}&networkCode=61602&text=1*PS00373-240001`),
    attacks: [
      { name: 'same text (the retransmission shortcut)', wire: form(`sessionId=ATUid_bind1&serviceCode=*123%23&phoneNumber=%2B${STRANGER}&networkCode=61602&text=1`) },
      { name: 'continues the session', wire: form(`sessionId=ATUid_bind1&serviceCode=*123%23&phoneNumber=%2B${STRANGER}&networkCode=61602&text=1*PS00373-240001`) },
      { name: 'an older hop', wire: form(`sessionId=ATUid_bind1&serviceCode=*123%23&phoneNumber=%2B${STRANGER}&networkCode=61602&text=`) },
    ],
    screen: (body) => ({ text: body.slice(4), end: body.startsWith('END ') }),
  },
  {
    dialect: 'hubtel',
    key: 'hubtel:3c796dac28174f739de4262d08409c51',
    holder: [
      json(`{"Type":"initiation","Mobile":"${HOLDER}","SessionId":"3c796dac28174f739de4262d08409c51","ServiceCode":"123","Message":"*123#","Operator":"mtn","Sequence":1,"ClientState":"","Platform":"USSD"}`),
      json(`{"Type":"response","Mobile":"${HOLDER}","SessionId":"3c796dac28174f739de4262d08409c51","ServiceCode":"123","Message":"1","Operator":"mtn","Sequence":2,"ClientState":"","Platform":"USSD"}`),
    ],
    holderNext: json(`{"Type":"response","Mobile":"${HOLDER}","SessionId":"3c796dac28174f739de4262d08409c51","ServiceCode":"123","Message":"PS00373-240001","Operator":"mtn","Sequence":3,"ClientState":"","Platform":"USSD"}`),
    attacks: [
      { name: 'same Sequence (the retransmission shortcut)', wire: json(`{"Type":"response","Mobile":"${STRANGER}","SessionId":"3c796dac28174f739de4262d08409c51","ServiceCode":"123","Message":"1","Operator":"mtn","Sequence":2,"ClientState":"","Platform":"USSD"}`) },
      { name: 'continues the session', wire: json(`{"Type":"response","Mobile":"${STRANGER}","SessionId":"3c796dac28174f739de4262d08409c51","ServiceCode":"123","Message":"PS00373-240001","Operator":"mtn","Sequence":3,"ClientState":"","Platform":"USSD"}`) },
      { name: 'opens over it', wire: json(`{"Type":"initiation","Mobile":"${STRANGER}","SessionId":"3c796dac28174f739de4262d08409c51","ServiceCode":"123","Message":"*123#","Operator":"mtn","Sequence":1,"ClientState":"","Platform":"USSD"}`) },
    ],
    screen: (body) => {
      const answer = JSON.parse(body) as { Type: string; Message: string };
      return { text: answer.Message, end: answer.Type === 'Release' };
    },
  },
  {
    // Nalo without SESSIONID: the phone number keys the session (`tel:+229…`).
    dialect: 'nalo',
    key: `nalo:tel:+${HOLDER}`,
    holder: [
      json(`{"USERID":"NALOTest","MSISDN":"${HOLDER}","USERDATA":"*123#","MSGTYPE":true,"NETWORK":"MTN"}`),
      json(`{"USERID":"NALOTest","MSISDN":"${HOLDER}","USERDATA":"1","MSGTYPE":false,"NETWORK":"MTN"}`),
    ],
    holderNext: json(`{"USERID":"NALOTest","MSISDN":"${HOLDER}","USERDATA":"PS00373-240001","MSGTYPE":false,"NETWORK":"MTN"}`),
    attacks: [
      { name: 'SESSIONID naming the holder\'s number', wire: json(`{"USERID":"NALOTest","MSISDN":"${STRANGER}","USERDATA":"PS00373-240001","MSGTYPE":false,"NETWORK":"MTN","SESSIONID":"${HOLDER}"}`) },
      { name: 'SESSIONID naming the phone key itself', wire: json(`{"USERID":"NALOTest","MSISDN":"${STRANGER}","USERDATA":"PS00373-240001","MSGTYPE":false,"NETWORK":"MTN","SESSIONID":"tel:+${HOLDER}"}`) },
    ],
    screen: (body) => {
      const answer = JSON.parse(body) as { MSG: string; MSGTYPE: boolean };
      return { text: answer.MSG, end: !answer.MSGTYPE };
    },
  },
  {
    // Nalo with SESSIONID: the stranger replays the holder's id.
    dialect: 'nalo',
    key: 'nalo:id:16590115252429751',
    holder: [
      json(`{"USERID":"NALOTest","MSISDN":"${HOLDER}","USERDATA":"*123#","MSGTYPE":true,"NETWORK":"MTN","SESSIONID":"16590115252429751"}`),
      json(`{"USERID":"NALOTest","MSISDN":"${HOLDER}","USERDATA":"1","MSGTYPE":false,"NETWORK":"MTN","SESSIONID":"16590115252429751"}`),
    ],
    holderNext: json(`{"USERID":"NALOTest","MSISDN":"${HOLDER}","USERDATA":"PS00373-240001","MSGTYPE":false,"NETWORK":"MTN","SESSIONID":"16590115252429751"}`),
    attacks: [
      { name: 'continues the session', wire: json(`{"USERID":"NALOTest","MSISDN":"${STRANGER}","USERDATA":"PS00373-240001","MSGTYPE":false,"NETWORK":"MTN","SESSIONID":"16590115252429751"}`) },
      { name: 'opens over it', wire: json(`{"USERID":"NALOTest","MSISDN":"${STRANGER}","USERDATA":"*123#","MSGTYPE":true,"NETWORK":"MTN","SESSIONID":"16590115252429751"}`) },
    ],
    screen: (body) => {
      const answer = JSON.parse(body) as { MSG: string; MSGTYPE: boolean };
      return { text: answer.MSG, end: !answer.MSGTYPE };
    },
  },
  {
    dialect: 'arkesel',
    key: 'arkesel:ark-bind-1',
    holder: [
      json(`{"sessionID":"ark-bind-1","userID":"ark-user","newSession":true,"msisdn":"${HOLDER}","userData":"*123#","network":"MTN"}`),
      json(`{"sessionID":"ark-bind-1","userID":"ark-user","newSession":false,"msisdn":"${HOLDER}","userData":"1","network":"MTN"}`),
    ],
    holderNext: json(`{"sessionID":"ark-bind-1","userID":"ark-user","newSession":false,"msisdn":"${HOLDER}","userData":"PS00373-240001","network":"MTN"}`),
    attacks: [
      { name: 'continues the session', wire: json(`{"sessionID":"ark-bind-1","userID":"ark-user","newSession":false,"msisdn":"${STRANGER}","userData":"PS00373-240001","network":"MTN"}`) },
      { name: 'opens over it', wire: json(`{"sessionID":"ark-bind-1","userID":"ark-user","newSession":true,"msisdn":"${STRANGER}","userData":"*123#","network":"MTN"}`) },
    ],
    screen: (body) => {
      const answer = JSON.parse(body) as { message: string; continueSession: boolean };
      return { text: answer.message, end: !answer.continueSession };
    },
  },
  {
    dialect: 'mtn-madapi',
    key: 'mtn-madapi:madapi-bind-1',
    holder: [
      json(`{"sessionId":"madapi-bind-1","messageType":"0","msisdn":"${HOLDER}","serviceCode":"123","ussdString":"*123#","cellId":"61602-1234","language":"fr","imsi":"616020000000001"}`),
      json(`{"sessionId":"madapi-bind-1","messageType":"1","msisdn":"${HOLDER}","serviceCode":"123","ussdString":"1","cellId":"61602-1234","language":"fr","imsi":"616020000000001"}`),
    ],
    holderNext: json(`{"sessionId":"madapi-bind-1","messageType":"1","msisdn":"${HOLDER}","serviceCode":"123","ussdString":"PS00373-240001","cellId":"61602-1234","language":"fr","imsi":"616020000000001"}`),
    attacks: [
      { name: 'continues the session', wire: json(`{"sessionId":"madapi-bind-1","messageType":"1","msisdn":"${STRANGER}","serviceCode":"123","ussdString":"PS00373-240001","cellId":"61602-9999","language":"fr","imsi":"616020000000009"}`) },
      { name: 'opens over it', wire: json(`{"sessionId":"madapi-bind-1","messageType":"0","msisdn":"${STRANGER}","serviceCode":"123","ussdString":"*123#","cellId":"61602-9999","language":"fr","imsi":"616020000000009"}`) },
    ],
    screen: (body) => {
      const answer = JSON.parse(body) as { data: { inboundResponse: string; userInputRequired: boolean } };
      return { text: answer.data.inboundResponse, end: !answer.data.userInputRequired };
    },
  },
];

async function post(gw: TestGateway, dialect: string, wire: Wire) {
  const res = await gw.app.request(`/ussd/${dialect}`, { method: 'POST', headers: { 'content-type': wire.contentType }, body: wire.body });
  return { status: res.status, body: await res.text() };
}

async function snapshot(store: SessionStore, key: string): Promise<VersionedRecord | null> {
  return store.load(key);
}

describe.each(CASES)('a session is bound to its caller: $dialect ($key)', (c) => {
  it.each(c.attacks)('another number: $name → neutral END, store unchanged', async ({ wire }) => {
    const store = new WatchedStore();
    const gw = await createTestGateway({ store });
    for (const hop of c.holder) expect((await post(gw, c.dialect, hop)).status).toBe(200);
    const before = await snapshot(store, c.key);
    expect(before).not.toBeNull();
    const saves = store.saves;
    const sessions = store.size;

    const attack = await post(gw, c.dialect, wire);
    expect(attack.status).toBe(200);
    expect(c.screen(attack.body)).toEqual({ text: EXPIRED, end: true });
    expect(attack.body).not.toContain('Numéro de la demande');

    expect(store.saves).toBe(saves);
    expect(store.size).toBe(sessions);
    expect(await snapshot(store, c.key)).toEqual(before);
    // The holder's session goes on as if nothing happened.
    expect(c.screen((await post(gw, c.dialect, c.holderNext)).body)).toMatchObject({ text: expect.stringContaining('Statut: Disponible'), end: true });
  });

  it('the stored status screen is answered again to the holder only', async () => {
    const store = new WatchedStore();
    const gw = await createTestGateway({ store });
    for (const hop of c.holder) await post(gw, c.dialect, hop);
    const status = await post(gw, c.dialect, c.holderNext);
    expect(c.screen(status.body).text).toContain('Statut: Disponible');
    // The holder's retransmission gets the stored screen again...
    expect((await post(gw, c.dialect, c.holderNext)).body).toBe(status.body);
    // ...another number sending the very same request does not.
    const before = await snapshot(store, c.key);
    const replayed = await post(gw, c.dialect, { ...c.holderNext, body: c.holderNext.body.split(HOLDER).join(STRANGER) });
    expect(c.screen(replayed.body)).toEqual({ text: EXPIRED, end: true });
    expect(await snapshot(store, c.key)).toEqual(before);
  });
});

describe('a session is bound to its caller: smpp', () => {
  it('a hop naming the holder\'s dialogue from another number is refused, store unchanged', async () => {
    const services = await defaultServices();
    const store = new WatchedStore();
    const gw = await createTestGateway({ services, store });
    const hopDeps = hopHandlerDeps({ menus: gw.menus, services, sessions: store, preferences: store, dialects: [], logger: silentLogger });
    const connection = await DIALECT_DRIVERS.smpp!.connect({ app: gw.app, hopDeps });
    try {
      const walk = { sessionId: 'smpp-bind', msisdn: HOLDER, dialled: '*123#', history: [] };
      await connection.send({ ...walk, begin: true, input: '', sequence: 1 });
      expect((await connection.send({ ...walk, begin: false, input: '1', sequence: 2 })).screen.text).toBe(TRACK_ASK);
      const saves = store.saves;

      // Over the wire a stranger's deliver_sm carries its own source_addr, so it names its own
      // dialogue: the holder's text repeated from there opens nothing and shows nothing.
      const copy = await connection.send({ ...walk, msisdn: STRANGER, begin: false, input: '1', sequence: 2 });
      expect(copy.screen).toEqual({ text: EXPIRED, end: true });

      // A deliver_sm with the holder's dialogue key but another caller (an SMSC mixing up
      // addresses, or a forged PDU) reaches the same check.
      const parsed = smppUssd.parse({ source_addr: HOLDER, destination_addr: '123', message: 'PS00373-240001', ussd_service_op: 18, its_session_info: new Uint8Array([0x21, 0x34]) });
      if (!parsed.ok || !('hop' in parsed)) throw new Error('expected a hop');
      const [sessionKey] = [...(await storedKeys(store))].filter((k) => k.startsWith('smpp:'));
      const forged = { ok: true as const, hop: { ...parsed.hop, sessionId: sessionKey!.slice('smpp:'.length), msisdn: `+${STRANGER}` } };
      const before = await store.load(sessionKey!);
      const outcome = await runHopPipeline(hopDeps, 'smpp', forged, undefined, 160);
      expect(outcome).toMatchObject({ type: 'answer', screen: { text: EXPIRED, end: true } });
      expect(store.saves).toBe(saves);
      expect(await store.load(sessionKey!)).toEqual(before);

      // The holder's dialogue is intact.
      expect((await connection.send({ ...walk, begin: false, input: 'PS00373-240001', sequence: 3 })).screen.text).toContain('Statut: Disponible');
    } finally {
      await connection.close();
    }
  });
});

/** The keys a memory store holds (test only: read through the map behind `size`). */
async function storedKeys(store: MemorySessionStore): Promise<string[]> {
  return [...(store as unknown as { sessions: Map<string, unknown> }).sessions.keys()];
}

it('every registered HTTP dialect has a binding case', () => {
  const covered = new Set(CASES.map((c) => c.dialect));
  for (const dialect of ussdDialects) expect(covered.has(dialect.name), dialect.name).toBe(true);
});
