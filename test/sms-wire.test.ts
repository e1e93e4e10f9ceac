import { spawn } from 'node:child_process';
import type { Pdu } from 'smpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AT_DELIVERY_REPORTS, AT_INBOUND, AT_SEND_ANSWERS } from '../providers/africastalking/sms.fixtures.js';
import { createAfricasTalkingSmsRoute } from '../providers/africastalking/sms.js';
import { KANNEL_INBOUND, KANNEL_SENDSMS_ANSWERS } from '../providers/kannel/fixtures.js';
import { parseKannelInbound } from '../providers/kannel/inbound.js';
import { createKannelRoute } from '../providers/kannel/sms.js';
import { receiptText, SMPP_RECEIPTS } from '../providers/smpp-sms/fixtures.js';
import { readReceipt, senderAddress } from '../providers/smpp-sms/sms.js';
import { ussdDialects } from '../providers/index.js';
import { MemorySessionStore } from '../src/sessions/memory.js';
import { createApp } from '../src/http/app.js';
import { loadConfig } from '../src/config.js';
import { MenuRegistry } from '../src/engine/menu-registry.js';
import { MemoryJobQueue } from '../src/jobs/memory.js';
import type { SmppLink } from '../src/runtime/node/smpp/smpp-link.js';
import { silentLogger } from '../src/observability/logger.js';
import { SmsDispatcher } from '../src/sms/dispatcher.js';
import { MemoryMessageStore } from '../src/sms/store/memory.js';
import { PermanentSmsError, SmsRouteConfigurationError, ThrottledSmsError, type OutgoingSms, type SmsRoute } from '../src/sms/port.js';
import { defaultServices } from '../testkit/harness.js';
import { startSmppSms, type SmppSms } from '../testkit/smpp-sms.js';
import type { TestSmsc } from '../testkit/smsc.js';
import { until } from '../testkit/until.js';

/**
 * The SMS adapters replayed against their providers' own samples (providers/<name>/fixtures),
 * SMPP multipart receipts in every order, inbound de-duplication across a rebind, the segment
 * limit at the API, and the SMS settings refused at start.
 */

const outcomeOf = async (attempt: Promise<unknown>) => {
  try {
    await attempt;
    return 'accepted';
  } catch (error) {
    if (error instanceof SmsRouteConfigurationError) return 'configuration';
    if (error instanceof ThrottledSmsError) return 'throttled';
    if (error instanceof PermanentSmsError) return 'permanent';
    return 'transient';
  }
};
const outgoing: OutgoingSms = { id: 'msg-1', to: '+2290197000001', text: 'Bonjour', encoding: 'GSM-7' };

/** A route that records what it sends, answering with a fixed provider id. */
function recordingRoute(name: string, providerMessageId = 'p-1') {
  const sent: OutgoingSms[] = [];
  const route: SmsRoute = {
    name,
    async send(sms) {
      sent.push(sms);
      return { providerMessageId };
    },
  };
  return { route, sent };
}

async function gatewayWith(routeName: string, providerMessageId?: string, maxSegments?: number) {
  const services = await defaultServices();
  const store = new MemoryMessageStore();
  const queue = new MemoryJobQueue();
  const preferences = new MemorySessionStore();
  const { route, sent } = recordingRoute(routeName, providerMessageId);
  const dispatcher = new SmsDispatcher({ store, preferences, queue, routes: { [routeName]: route }, routing: { default: routeName }, transliterate: true, logger: silentLogger, ...(maxSegments ? { maxSegments } : {}) });
  dispatcher.start();
  const app = createApp({ menus: new MenuRegistry([]), services, sessions: preferences, preferences, dialects: ussdDialects, logger: silentLogger, sms: { dispatcher, store, agencies: { portail: { apiKey: 'k-portail-123' } }, outbox: dispatcher } });
  return { app, store, queue, sent, dispatcher };
}

describe('Kannel samples', () => {
  it.each(KANNEL_INBOUND)('reads inbound: $name', (sample) => {
    const [, query = ''] = sample.path.split('?');
    const parsed = parseKannelInbound({ method: sample.method, rawQuery: query, header: (name) => sample.headers[name.toLowerCase()], body: Buffer.from(sample.bodyHex, 'hex') });
    expect(parsed).toEqual({ ok: true, from: '2290197000001', to: '123', id: expect.any(String), text: sample.text });
  });

  it.each(KANNEL_INBOUND)('answers over HTTP, from the number texted: $name', async (sample) => {
    const { app, queue, sent } = await gatewayWith('kannel');
    const res = await app.request(sample.path, { method: sample.method, headers: sample.headers, ...(sample.method === 'POST' ? { body: Buffer.from(sample.bodyHex, 'hex') } : {}) });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    await queue.drain();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ to: '+2290197000001', from: '123' });
  });

  it('a reply whose inbound route cannot send goes on the operator route, under its own sender', async () => {
    const { app, queue, sent } = await gatewayWith('smpp-mtn');
    await app.request(KANNEL_INBOUND[1]!.path);
    await queue.drain();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.from).toBeUndefined();
  });

  it('refuses an inbound without its id, with a reason', async () => {
    const { app } = await gatewayWith('kannel');
    const res = await app.request('/sms/kannel/inbound?from=2290197000001&text=AIDE');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'bad_request', reason: expect.stringMatching(/missing id/) });
  });

  it.each(KANNEL_SENDSMS_ANSWERS)('sendsms $status "$body" → $outcome ($source)', async ({ status, body, outcome }) => {
    const route = createKannelRoute({ sendsmsUrl: 'http://127.0.0.1:1', username: 'u', password: 'p', from: 'ServPublic', publicUrl: 'http://127.0.0.1:2', fetch: async () => new Response(body, { status }) });
    expect(await outcomeOf(route.send(outgoing))).toBe(outcome);
  });

  it('sends a reply from the number the citizen texted', async () => {
    const urls: string[] = [];
    const route = createKannelRoute({ sendsmsUrl: 'http://127.0.0.1:1', username: 'u', password: 'p', from: 'ServPublic', publicUrl: 'http://127.0.0.1:2', fetch: async (url) => (urls.push(String(url)), new Response('0: Accepted for delivery', { status: 202 })) });
    await route.send({ ...outgoing, from: '7070' });
    await route.send(outgoing);
    expect(urls.map((u) => new URL(u).searchParams.get('from'))).toEqual(['7070', 'ServPublic']);
  });
});

describe("Africa's Talking samples", () => {
  it.each(AT_SEND_ANSWERS)('send answer: $name → $outcome', async ({ answer, outcome }) => {
    const route = createAfricasTalkingSmsRoute(async () => answer);
    const number = answer.SMSMessageData.Recipients[0]!.number;
    expect(await outcomeOf(route.send({ ...outgoing, to: number }))).toBe(outcome);
  });

  it.each(AT_DELIVERY_REPORTS)('delivery report $form.status → $status', async ({ form, status }) => {
    const { app, store, queue } = await gatewayWith('africastalking', form.id);
    const res = await app.request('/v1/notifications', { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'k-portail-123' }, body: JSON.stringify({ to: form.phoneNumber, template: 'help', params: {}, idempotencyKey: `at-dlr-${form.status}` }) });
    const { id } = (await res.json()) as { id: string };
    await queue.drain();
    const dlr = await app.request('/sms/africastalking/dlr', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
    expect(dlr.status).toBe(200);
    expect((await store.get(id))!.status).toBe(status ?? 'sent');
  });

  it('an incoming message is answered from the short code it was sent to, on its own route', async () => {
    const { app, queue, sent } = await gatewayWith('africastalking');
    const res = await app.request('/sms/africastalking/inbound', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(AT_INBOUND).toString() });
    expect(res.status).toBe(200);
    await queue.drain();
    expect(sent.map((s) => [s.to, s.from, s.text])).toEqual([['+2290197000001', '7070', 'Service Public: demande PS00373-240001: disponible le 20/11/2026.']]);
  });
});

describe('SMPP samples', () => {
  it.each(SMPP_RECEIPTS)('receipt $text ($tlv) → $status', ({ text, tlv, providerMessageId, status }) => {
    expect(readReceipt({ text, ...tlv })).toMatchObject({ providerMessageId, status });
  });

  it.each([
    ['ServPublic', { source_addr: 'ServPublic', source_addr_ton: 5, source_addr_npi: 0 }],
    ['+2290197000001', { source_addr: '2290197000001', source_addr_ton: 1, source_addr_npi: 1 }],
    ['2290197000001', { source_addr: '2290197000001', source_addr_ton: 1, source_addr_npi: 1 }],
    ['7070', { source_addr: '7070', source_addr_ton: 3, source_addr_npi: 0 }],
  ])('source_addr_ton follows the sender %s', (from, expected) => {
    expect(senderAddress(from)).toEqual(expected);
  });
});

describe('SMPP multipart receipts and inbound de-duplication, over a loopback SMSC', () => {
  let sms: SmppSms | undefined;
  let smsc: TestSmsc;
  let link: SmppLink;
  let store: MemoryMessageStore;
  let dispatcher: SmsDispatcher;
  const long = `Service Public: ${'votre demande est en cours de traitement. '.repeat(5)}Merci.`;

  beforeAll(async () => {
    const services = await defaultServices();
    // Inbound claims in the message store: a redelivery after a rebind is answered once.
    sms = await startSmppSms({ services, responseTimeoutMs: 2000, claims: true });
    ({ smsc, link, store, dispatcher } = sms);
  });

  afterAll(async () => {
    await sms?.close();
  });

  /** The loopback SMSC names its message ids `m<n>` in submit order. */
  const nextIds = () => [`m${smsc.submits.length + 1}`, `m${smsc.submits.length + 2}`] as const;
  const receipt = (id: string, stat: string) => smsc.deliverSm({ source_addr: '2290164000000', destination_addr: 'ServPublic', esm_class: 0x04, short_message: receiptText(id, stat) });
  const status = async (id: string) => (await store.get(id))?.status;

  it('tracks every part: delivered only once both receipts came, the second part first', async () => {
    const [first, second] = nextIds();
    const { message } = await dispatcher.send({ to: '+2290164000000', text: long, idempotencyKey: 'mp-1', purpose: 'notification' });
    await until(async () => (await store.get(message.id))?.parts?.length === 2 && (await status(message.id)) === 'sent', 'both parts accepted');
    expect((await store.get(message.id))!).toMatchObject({ providerMessageId: first, partCount: 2 });
    receipt(second, 'DELIVRD');
    await until(async () => (await store.get(message.id))!.parts!.some((p) => p.status === 'delivered'), 'the second part delivered');
    expect(await status(message.id)).toBe('sent');
    receipt(first, 'DELIVRD');
    await until(async () => (await status(message.id)) === 'delivered', 'the message delivered');
  });

  it('matches receipts that arrive before their submit_sm_resp', async () => {
    const [first, second] = nextIds();
    smsc.responseDelayMs = 300;
    try {
      const before = smsc.submits.length;
      const { message } = await dispatcher.send({ to: '+2290164000000', text: long, idempotencyKey: 'mp-2', purpose: 'notification' });
      await until(() => smsc.outstanding === 1 && smsc.submits.length === before, 'the first part waiting for its resp');
      receipt(first, 'DELIVRD');
      await until(() => smsc.outstanding === 1 && smsc.submits.length === before + 1, 'the second part waiting for its resp');
      receipt(second, 'DELIVRD');
      await until(async () => (await status(message.id)) === 'delivered', 'the message delivered from parked receipts');
      expect((await store.get(message.id))!.parts!.map((p) => p.status)).toEqual(['delivered', 'delivered']);
    } finally {
      smsc.responseDelayMs = 0;
    }
  });

  it('one undelivered part fails the message', async () => {
    const [first, second] = nextIds();
    const { message } = await dispatcher.send({ to: '+2290164000000', text: long, idempotencyKey: 'mp-3', purpose: 'notification' });
    await until(async () => (await store.get(message.id))?.parts?.length === 2, 'both parts accepted');
    receipt(first, 'DELIVRD');
    receipt(second, 'UNDELIV');
    await until(async () => (await status(message.id)) === 'failed', 'the message failed');
  });

  it('answers an inbound message once, even when the SMSC redelivers it after a rebind', async () => {
    const statut = { source_addr: '2290197000001', destination_addr: '7070', esm_class: 0, data_coding: 0, short_message: 'STATUT PS00373-240001' };
    const replies = () => smsc.submits.filter((p: Pdu) => p.destination_addr === '2290197000001');
    const before = replies().length;
    smsc.deliverSm(statut);
    await until(() => replies().length === before + 1, 'the reply');
    expect(replies().at(-1)).toMatchObject({ source_addr: '7070', source_addr_ton: 3 });
    const binds = smsc.binds;
    smsc.dropLink();
    await until(() => smsc.binds > binds && link.isBound, 'the rebind');
    smsc.deliverSm(statut); // same message, new sequence number
    smsc.deliverSm({ ...statut, short_message: 'AIDE' });
    await until(() => replies().length === before + 2, 'the reply to AIDE');
    await new Promise((r) => setTimeout(r, 200));
    expect(replies().map((p: Pdu) => (p.short_message as { message: string }).message).slice(before)).toEqual([
      'Service Public: demande PS00373-240001: disponible le 20/11/2026.',
      expect.stringMatching(/^Service Public: STATUT <numero>/),
    ]);
  });

  it('joins a concatenated inbound message, parts in any order', async () => {
    const replies = () => smsc.submits.filter((p: Pdu) => p.destination_addr === '2290197000002');
    const part = (index: number, message: string) => ({ source_addr: '2290197000002', destination_addr: '7070', esm_class: 0x40, data_coding: 0, short_message: { udh: Buffer.from([0x05, 0x00, 0x03, 0x2a, 2, index]), message } });
    smsc.deliverSm(part(2, '240001'));
    smsc.deliverSm(part(1, 'STATUT PS00373-'));
    await until(() => replies().length === 1, 'the reply to the joined message');
    // Not the holder's number: the neutral answer, for the whole request number.
    expect((replies()[0]!.short_message as { message: string }).message).toBe("Service Public: aucune demande PS00373-240001 n'est liée à ce numéro.");
  });
});

describe('the segment limit', () => {
  it('refuses at the API, with the count, a notification longer than SMS_MAX_SEGMENTS', async () => {
    const { app, sent, queue } = await gatewayWith('sandbox');
    const res = await app.request('/v1/notifications', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'k-portail-123' },
      // ₣ has no GSM-7 spelling: UCS-2, 67 characters a part.
      body: JSON.stringify({ to: '+2290197000001', template: 'request_ready', params: { requestNumber: 'PS00373-240001', service: '₣'.repeat(200), collectAt: '₣'.repeat(200) }, idempotencyKey: 'too-long-0001' }),
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ error: 'too_long', reason: expect.stringMatching(/needs 8 SMS segments; at most 6/), segments: 8, maxSegments: 6 });
    await queue.drain();
    expect(sent).toHaveLength(0);
  });

  it('takes what fits', async () => {
    const { app } = await gatewayWith('sandbox', undefined, 8);
    const res = await app.request('/v1/notifications', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'k-portail-123' },
      body: JSON.stringify({ to: '+2290197000001', template: 'request_ready', params: { requestNumber: 'PS00373-240001', service: '₣'.repeat(200), collectAt: '₣'.repeat(200) }, idempotencyKey: 'too-long-0002' }),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ segments: 8, encoding: 'UCS-2' });
  });
});

describe('SMS settings refused at start', () => {
  const kannel = { KANNEL_SENDSMS_URL: 'http://127.0.0.1:13013', KANNEL_USERNAME: 'guichet', KANNEL_PASSWORD: 'pw', PUBLIC_URL: 'https://guichet.example.bj' };
  it.each([
    ['an unknown operator', { SMS_ROUTES: 'ORANGE=sandbox,default=sandbox' }, /SMS_ROUTES operator "ORANGE"/],
    ['no default route', { SMS_ROUTES: 'MTN=sandbox' }, /SMS_ROUTES has no default route/],
    ['a route not configured', { SMS_ROUTES: 'MTN=kannel,default=sandbox' }, /SMS_ROUTES sends MTN to "kannel", which is not configured \(set KANNEL_SENDSMS_URL\)/],
    ['an SMPP route not configured', { SMS_ROUTES: 'default=smpp-moov' }, /SMS_ROUTES sends default to "smpp-moov".*SMPP_SMS_MOOV_URL/],
    ['a configured route unused, everything to the sandbox', { ...kannel }, /KANNEL_SENDSMS_URL configures the "kannel" route but SMS_ROUTES sends nothing to it/],
    ['Kannel without credentials', { ...kannel, KANNEL_PASSWORD: '', SMS_ROUTES: 'default=kannel' }, /KANNEL_SENDSMS_URL needs KANNEL_USERNAME and KANNEL_PASSWORD/],
    ['Kannel credentials without its URL', { KANNEL_USERNAME: 'guichet', KANNEL_PASSWORD: 'pw' }, /KANNEL_USERNAME\/KANNEL_PASSWORD are set but KANNEL_SENDSMS_URL is not/],
    ['Kannel without PUBLIC_URL', { ...kannel, PUBLIC_URL: undefined, SMS_ROUTES: 'default=kannel' }, /KANNEL_SENDSMS_URL needs PUBLIC_URL/],
    ["half of Africa's Talking's credentials", { AT_USERNAME: 'guichet' }, /AT_USERNAME and AT_API_KEY go together/],
    ['a typo in SMS_RATES', { ...kannel, SMS_ROUTES: 'default=kannel', SMS_RATES: 'kanel=50' }, /SMS_RATES names "kanel", which is not a configured route/],
    ['a rate that is not a number', { SMS_RATES: 'sandbox=fast' }, /SMS_RATES entry "sandbox=fast"/],
    ['a segment limit out of range', { SMS_MAX_SEGMENTS: '0' }, /SMS_MAX_SEGMENTS/],
  ])('refuses %s', (_name, env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('accepts a full routing', () => {
    const config = loadConfig({ ...kannel, AT_USERNAME: 'guichet', AT_API_KEY: 'k', SMS_ROUTES: 'MTN=kannel,CELTIIS=africastalking,default=sandbox', SMS_RATES: 'kannel=50', SMS_MAX_SEGMENTS: '4' });
    expect(config.sms).toMatchObject({ routing: { MTN: 'kannel', CELTIIS: 'africastalking', default: 'sandbox' }, rates: { kannel: 50 }, maxSegments: 4 });
  });

  it('the gateway process exits at start naming the variable', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/runtime/node/main.ts'], { cwd: new URL('..', import.meta.url).pathname, env: { ...process.env, LOG_LEVEL: 'warn', PORT: '0', SMS_ROUTES: 'MTN=sandbox' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(output).toMatch(/invalid configuration: SMS_ROUTES has no default route/);
    // A tsx start under the whole suite on 2 cores has taken over 20 s.
  }, 60_000);
});
