import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLogHolderKey, withAccessLog, type RecordingPortal } from '../src/access-log/recorder.js';
import { MemoryAccessLogStore } from '../src/access-log/memory.js';
import { RedisAccessLogStore } from '../src/access-log/redis.js';
import type { AccessLogStore, ChainedEntry } from '../src/access-log/port.js';
import { verifyChain } from '../src/access-log/chain.js';
import { createDemoPortal, DEMO_MSISDN } from '../src/portal/demo.js';
import { handleInboundSms } from '../src/sms/inbound.js';
import type { OutboundSms } from '../src/sms/outbox.js';
import { prepareSms } from '../src/sms/text.js';
import { silentLogger } from '../src/observability/logger.js';
import { createServices } from '../src/services/create-services.js';
import { createPrometheusMetrics } from '../src/runtime/node/prometheus-metrics.js';
import { nodeAccessLogHolderKey, nodeSha256Hex } from '../src/runtime/node/access-log-hashing.js';
import { sha256Hex } from '../src/access-log/chain.js';
import { atHop, createTestGateway, defaultServices, type TestGateway } from '../testkit/harness.js';

/**
 * Issue 17 part 4 end to end: lookups by USSD and SMS through the services every runtime builds
 * (`createServices` over the portal wrapped by `withAccessLog`), on the memory store and on Redis.
 * The demo portal's requests belong to DEMO_MSISDN (NPI 1234567890, born 15031990).
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `guichet-test:accesslog-e2e:${process.pid}:${Date.now()}:`;
const PII_HASH_KEY = 'access-log-test-key';
const STRANGER = '+2290196123456';
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

interface World {
  gateway: TestGateway;
  portal: RecordingPortal;
  sent: OutboundSms[];
  sms(from: string, text: string): Promise<OutboundSms>;
  ussd(phone: string, ...inputs: string[]): Promise<string>;
  log(holder: string): Promise<ChainedEntry[]>;
}

let sequence = 0;
async function world(store: AccessLogStore): Promise<World> {
  const portal = withAccessLog(createDemoPortal(), { store, piiHashKey: PII_HASH_KEY });
  const services = await defaultServices({ portal, accessLog: store, piiHashKey: PII_HASH_KEY });
  const gateway = await createTestGateway({ services });
  const sent: OutboundSms[] = [];
  const outbox = { enqueue: async (message: OutboundSms) => (sent.push(message), { messageId: `m${sent.length}` }) };
  return {
    gateway,
    portal,
    sent,
    async sms(from, text) {
      await handleInboundSms({ services, preferences: gateway.store, outbox, logger: silentLogger }, { route: 'sandbox', id: `sms-${++sequence}`, from, text });
      return sent.at(-1)!;
    },
    // Africa's Talking sends the inputs so far joined by "*"; the last screen is returned.
    async ussd(phone, ...inputs) {
      const sessionId = `s-${++sequence}`;
      let body = (await atHop(gateway.app, { sessionId, text: '', phoneNumber: phone })).body;
      for (let i = 1; i <= inputs.length; i++) body = (await atHop(gateway.app, { sessionId, text: inputs.slice(0, i).join('*'), phoneNumber: phone })).body;
      return body;
    },
    log: async (holder) => store.list(await accessLogHolderKey(PII_HASH_KEY, holder)),
  };
}

const stores: Array<[string, () => AccessLogStore]> = [
  ['memory', () => new MemoryAccessLogStore()],
  ['redis', () => new RedisAccessLogStore(redis, { prefix: `${prefix}${++sequence}:` })],
];

describe.each(stores)('who looked at my file, on the %s store', (_name, makeStore) => {
  it('writes a USSD lookup to the holder’s log and shows it to the holder’s number only', async () => {
    const w = await world(makeStore());
    expect(await w.ussd(DEMO_MSISDN, '1', 'PS00373-240001')).toMatch(/^END PS00373-240001/);
    const log = await w.log(DEMO_MSISDN);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ channel: 'ussd', caller: '+2290197****01', agency: 'PS00373', subject: 'PS00373-240001', seq: 1 });
    expect(JSON.stringify(log)).not.toContain(DEMO_MSISDN);

    const screen = await w.ussd(DEMO_MSISDN, '5', '1');
    expect(screen).toMatch(/^END Dernières consultations:\n\d\d\/\d\d \d\d:\d\d USSD 0197\*\*\*\*01 PS00373-240001$/);
    // Another number dialling the same entry sees its own (empty) log, never the holder's.
    expect(await w.ussd(STRANGER, '5', '1')).toBe('END Aucune consultation enregistrée.');
  });

  it('writes a stranger’s refused lookup to the holder’s log, not to the stranger’s', async () => {
    const w = await world(makeStore());
    expect(await w.ussd(STRANGER, '1', 'PS00373-240002')).toMatch(/^CON Aucune demande PS00373-240002 n'est liée/);
    expect((await w.log(DEMO_MSISDN)).map((e) => [e.channel, e.caller, e.subject])).toEqual([['ussd', '+2290196****56', 'PS00373-240002']]);
    expect(await w.log(STRANGER)).toEqual([]);
    expect(await w.ussd(DEMO_MSISDN, '5', '1')).toContain('USSD 0196****56 PS00373-240002');
  });

  it('shows one request’s lookups to another number after the holder’s NPI proof, and refuses a wrong one', async () => {
    const w = await world(makeStore());
    await w.sms(DEMO_MSISDN, 'STATUT PS00373-240001');
    await w.sms(DEMO_MSISDN, 'STATUT PS00200-240003');
    expect(await w.ussd(STRANGER, '5', '2', 'PS00373-240001', '1234567890', '01011990')).toMatch(/^END Nous ne pouvons pas afficher la demande PS00373-240001/);
    const shown = await w.ussd(STRANGER, '5', '2', 'PS00373-240001', '1234567890', '15031990');
    // That request only (the proof is for it), the proved look itself newest.
    expect(shown.split('\n').slice(1).map((line) => line.replace(/^\S+ \S+ /, ''))).toEqual(['USSD 0196****56 PS00373-240001', 'SMS 0197****01 PS00373-240001']);
    // The NPI and birth date leave the session as soon as they are checked.
    const session = await w.gateway.store.load(`ussd:africastalking:s-${sequence}`);
    expect(session?.data ?? '').not.toMatch(/1234567890|15031990/);
  });

  it('answers SMS STATUT, writes it as an SMS lookup, and QUI / WHO reply with the last five in GSM-7', async () => {
    const w = await world(makeStore());
    for (const number of ['PS00373-240001', 'PS00373-240002', 'PS00200-240003', 'PS00150-240004', 'PS00373-240001']) {
      expect((await w.sms(DEMO_MSISDN, `STATUT ${number}`)).text).toMatch(new RegExp(`demande ${number}`));
    }
    // The same caller, request and channel within ten minutes is one consultation.
    expect((await w.log(DEMO_MSISDN)).map((e) => e.subject)).toEqual(['PS00373-240001', 'PS00373-240002', 'PS00200-240003', 'PS00150-240004']);
    await w.ussd(STRANGER, '1', 'PS00200-240003');
    await w.ussd(DEMO_MSISDN, '1', 'PS00373-240002');

    const reply = await w.sms(DEMO_MSISDN, 'qui');
    const lines = reply.text.split('\n');
    expect(lines[0]).toBe('Service Public: dernieres consultations de vos demandes:');
    expect(lines.slice(1).map((line) => line.replace(/^\d\d\/\d\d \d\d:\d\d /, ''))).toEqual([
      'USSD 0197****01 PS00373-240002',
      'USSD 0196****56 PS00200-240003',
      'SMS 0197****01 PS00150-240004',
      'SMS 0197****01 PS00200-240003',
      'SMS 0197****01 PS00373-240002',
    ]);
    const prepared = prepareSms(reply.text, { transliterate: false });
    expect(prepared).toMatchObject({ encoding: 'GSM-7', segments: 2 });
    expect(reply).toMatchObject({ to: DEMO_MSISDN, purpose: 'reply', viaRoute: 'sandbox' });

    expect((await w.sms(DEMO_MSISDN, 'WHO')).text).toMatch(/^Public Service: latest lookups of your requests:\n/);
    // Another number texting QUI hears of its own requests only: none.
    expect((await w.sms(STRANGER, 'QUI')).text).toBe('Service Public: aucune consultation de vos demandes enregistree pour ce numero.');
    expect(await verifyChain(await w.log(DEMO_MSISDN))).toEqual({ ok: true, entries: 6 });
  });
});

describe('an access log that fails never fails the lookup', () => {
  const failing: AccessLogStore = {
    append: async () => {
      throw new Error('READONLY You can’t write against a read only replica.');
    },
    list: async () => [],
  };
  const stalled: AccessLogStore = { append: () => new Promise(() => {}), list: async () => [] };

  it.each([
    ['a store that throws', failing, 'failed'],
    ['a store that never answers', stalled, 'pending'],
  ])('%s: the status is shown, the failure counted', async (_name, store, expected) => {
    const w = await world(store);
    const started = performance.now();
    expect(await w.ussd(DEMO_MSISDN, '1', 'PS00373-240001')).toMatch(/^END PS00373-240001 Extrait de casier judiciaire\nStatut: Disponible/);
    expect((await w.sms(DEMO_MSISDN, 'STATUT PS00373-240002')).text).toBe('Service Public: demande PS00373-240002: soumise le 22/11/2026.');
    // Two lookups, each waiting at most the 300 ms append budget.
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(w.portal.counts()).toEqual(expected === 'failed' ? { appended: 0, failed: 2 } : { appended: 0, failed: 0 });
    // Shutdown waits for the last writes, but not for ever.
    const closing = performance.now();
    await w.portal.settled(200);
    expect(performance.now() - closing).toBeLessThan(1_000);
  });

  it('the holder asking for the log while its store is away gets the polite unavailable screen', async () => {
    const w = await world({ append: async () => Promise.reject(new Error('down')), list: async () => Promise.reject(new Error('ECONNREFUSED')) });
    expect(await w.ussd(DEMO_MSISDN, '5', '1')).toBe('END Service momentanément indisponible. Merci de réessayer plus tard.');
    expect((await w.sms(DEMO_MSISDN, 'QUI')).text).toBe('Service Public: service momentanement indisponible. Reessayez plus tard.');
  });
});

describe('the recorder', () => {
  it('counts a consultation once per caller, request and channel within ten minutes, and again after', async () => {
    const store = new MemoryAccessLogStore();
    let clock = Date.parse('2026-12-03T09:00:00Z');
    const portal = withAccessLog(createDemoPortal(), { store, piiHashKey: PII_HASH_KEY, now: () => clock });
    const asked = { userId: STRANGER, channel: 'ussd' as const };
    await portal.findRequest('PS00373-240001', asked);
    clock += 9 * 60_000;
    await portal.findRequest('PS00373-240001', asked);
    await portal.findRequest('PS00373-240001', { ...asked, channel: 'sms' });
    await portal.findRequest('PS00373-240001', { userId: DEMO_MSISDN, channel: 'ussd' });
    clock += 60_000;
    await portal.findRequest('PS00373-240001', asked);
    // A number the portal does not know is no one's file: nothing written.
    expect(await portal.findRequest('PS00373-999999', asked)).toBeNull();
    const log = await store.list(await accessLogHolderKey(PII_HASH_KEY, DEMO_MSISDN));
    expect(log.map((e) => [e.at.slice(11, 16), e.channel, e.caller])).toEqual([
      ['09:00', 'ussd', '+2290196****56'],
      ['09:09', 'sms', '+2290196****56'],
      ['09:09', 'ussd', '+2290197****01'],
      ['09:10', 'ussd', '+2290196****56'],
    ]);
    expect(portal.counts()).toEqual({ appended: 4, failed: 0 });
  });

  it('Node’s hashes give the WebCrypto digests, so the export route and the CLI find what the gateway wrote', async () => {
    for (const text of ['', 'accesslog:+2290197000001', '[1,"0000","ussd","+2290197****01","PS00373","2026-12-03T09:00:00.000Z","PS00373-240001"]', 'é ɛ ɔ ɖ']) {
      expect(await nodeSha256Hex(text)).toBe(await sha256Hex(text));
    }
    for (const holder of [DEMO_MSISDN, STRANGER]) expect(await nodeAccessLogHolderKey(PII_HASH_KEY)(holder)).toBe(await accessLogHolderKey(PII_HASH_KEY, holder));
  });

  it('shows its counts on /metrics', async () => {
    const metrics = createPrometheusMetrics({ accessLog: () => ({ appended: 7, failed: 2 }) });
    const { body } = await metrics.render();
    expect(body).toContain('guichet_access_log_appends_total{result="appended"} 7');
    expect(body).toContain('guichet_access_log_appends_total{result="failed"} 2');
  });

  it('without a store (Workers for now) the menu service says unavailable rather than an empty log', async () => {
    const services = createServices({ portal: createDemoPortal(), ccsp: {} });
    const ctx = { msisdn: DEMO_MSISDN, language: 'fr' as const, signal: new AbortController().signal, channel: 'sms' as const };
    expect(await services['accessLog.recent']!({}, ctx)).toEqual({ outcome: 'unavailable' });
  });
});
