import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { MemorySessionStore } from '../src/sessions/memory.js';
import { createApp } from '../src/http/app.js';
import { signatureValid } from '../src/channels/sms/notifications.js';
import { hmacHex } from '../src/lib/secrets.js';
import { ussdDialects } from '../providers/index.js';
import { MenuRegistry } from '../src/engine/menu-registry.js';
import { BullMqJobQueue } from '../src/jobs/bullmq.js';
import type { JobQueue } from '../src/jobs/port.js';
import { MemoryJobQueue } from '../src/jobs/memory.js';
import { silentLogger } from '../src/observability/logger.js';
import { recordDeliveryReport } from '../src/sms/delivery-reports.js';
import { SmsDispatcher } from '../src/sms/dispatcher.js';
import { parseCommand } from '../src/sms/inbound.js';
import { MemoryMessageStore } from '../src/sms/store/memory.js';
import type { MessageStore } from '../src/sms/store/port.js';
import { prepareSms, splitSegments } from '../src/sms/text.js';
import { PermanentSmsError, ThrottledSmsError, type OutgoingSms, type SmsRoute } from '../src/sms/port.js';
import { defaultServices } from '../testkit/harness.js';
import { until } from '../testkit/until.js';
import { createAfricasTalkingSmsRoute, type AfricasTalkingSendResult } from '../providers/africastalking/sms.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `guichet-test-sms-${process.pid}-${Date.now()}`;
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

/** A route that records what it was asked to send, and fails or throttles on demand. */
function recordingRoute(name = 'test') {
  const sent: (OutgoingSms & { at: number })[] = [];
  const plan: ('ok' | 'transient' | 'permanent' | 'throttled')[] = [];
  const route: SmsRoute = {
    name,
    async send(sms) {
      const next = plan.shift() ?? 'ok';
      if (next === 'transient') throw new Error('gateway 502');
      if (next === 'permanent') throw new PermanentSmsError('403 InvalidPhoneNumber');
      if (next === 'throttled') throw new ThrottledSmsError('slow down', 100);
      sent.push({ ...sms, at: Date.now() });
      return { providerMessageId: `p-${sent.length}` };
    },
  };
  return { route, sent, plan };
}

let routeCount = 0;
/** Each dispatcher gets a route (so a queue) of its own: BullMQ queues outlive a test. */
function dispatcherWith(queue: JobQueue, store: MessageStore, options: { rate?: number; routeName?: string } = {}) {
  const name = options.routeName ?? `test${++routeCount}`;
  const { route, sent, plan } = recordingRoute(name);
  const preferences = new MemorySessionStore();
  const dispatcher = new SmsDispatcher({ store, preferences, queue, routes: { [name]: route }, routing: { default: name }, transliterate: true, logger: silentLogger, attempts: 3, ...(options.rate ? { ratePerSecond: { [name]: options.rate } } : {}) });
  dispatcher.start();
  return { dispatcher, sent, plan, preferences };
}

describe('SMS text', () => {
  it.each([
    ['Votre extrait est prêt à être retiré.', true, 'Votre extrait est pret à etre retiré.', 'GSM-7', 1],
    ['Votre extrait est prêt à être retiré.', false, 'Votre extrait est prêt à être retiré.', 'UCS-2', 1],
    ['a'.repeat(161), true, 'a'.repeat(161), 'GSM-7', 2],
    ['ê'.repeat(71), false, 'ê'.repeat(71), 'UCS-2', 2],
  ] as const)('%j (transliterate %s) → %s, %s, %i segment(s)', (text, transliterate, expected, encoding, segments) => {
    expect(prepareSms(text, { transliterate })).toMatchObject({ text: expected, encoding, segments });
  });

  it('splits long texts into 153-septet parts without cutting an escape pair', () => {
    const text = 'x'.repeat(152) + '€' + 'y'.repeat(10);
    const parts = splitSegments(text, 'GSM-7');
    expect(parts).toEqual(['x'.repeat(152), '€' + 'y'.repeat(10)]);
  });
});

describe('keyword commands', () => {
  it.each([
    ['STATUT PS00373-240001', { kind: 'status', requestNumber: 'PS00373-240001', english: false }],
    ['  statut   ps00373240001 ', { kind: 'status', requestNumber: 'PS00373-240001', english: false }],
    ['Status PS00373-240001', { kind: 'status', requestNumber: 'PS00373-240001', english: true }],
    ['STATUT', { kind: 'help', english: false }],
    ['aide', { kind: 'help', english: false }],
    ['HELP', { kind: 'help', english: true }],
    ['Arrêt', { kind: 'stop' }],
    ['stop', { kind: 'stop' }],
    ['LANGUE EN', { kind: 'language', language: 'en' }],
    ['language fr', { kind: 'language', language: 'fr' }],
    ['bonjour', { kind: 'unknown' }],
  ])('%j', (text, expected) => {
    expect(parseCommand(text)).toEqual(expected);
  });
});

const queues: { name: string; make: () => JobQueue }[] = [
  { name: 'memory', make: () => new MemoryJobQueue() },
  {
    name: 'bullmq',
    make: () => {
      const queue = new BullMqJobQueue({ redisUrl: REDIS_URL, prefix: PREFIX });
      cleanups.push(() => queue.close());
      return queue;
    },
  },
];

describe.each(queues)('outbound queue on $name', ({ make }) => {
  it('sends a notification once per idempotency key and records it sent', async () => {
    const store = new MemoryMessageStore();
    const { dispatcher, sent } = dispatcherWith(make(), store);
    const a = await dispatcher.send({ to: '0197000001', text: 'Votre pièce est prête', idempotencyKey: 'n-1', purpose: 'notification' });
    const b = await dispatcher.send({ to: '+2290197000001', text: 'Votre pièce est prête', idempotencyKey: 'n-1', purpose: 'notification' });
    expect(b).toEqual({ created: false, message: a.message });
    await until(async () => (await store.get(a.message.id))!.status === 'sent', 'the notification sent');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ to: '+2290197000001', text: 'Votre pièce est prete', encoding: 'GSM-7' });
  });

  it('retries transient errors, fails permanent ones at once, waits out throttling without burning attempts', async () => {
    const store = new MemoryMessageStore();
    const { dispatcher, sent, plan } = dispatcherWith(make(), store);
    plan.push('transient', 'throttled', 'throttled', 'throttled', 'ok');
    const retried = await dispatcher.send({ to: '+2290197000001', text: 'a', idempotencyKey: 'r-1', purpose: 'notification' });
    await until(async () => (await store.get(retried.message.id))!.status === 'sent', 'the retried message sent', 15_000);
    expect(sent).toHaveLength(1); // 1 transient + 3 throttled, with only 3 attempts allowed: throttling was free
    plan.push('permanent');
    const refused = await dispatcher.send({ to: '+2290197000001', text: 'b', idempotencyKey: 'p-1', purpose: 'notification' });
    await until(async () => (await store.get(refused.message.id))!.status === 'failed', 'the refused message failed');
    expect((await store.get(refused.message.id))!.history.at(-1)!.detail).toBe('403 InvalidPhoneNumber');
  }, 20_000);

  it('holds a route to its agreed rate over a burst', async () => {
    const store = new MemoryMessageStore();
    const { dispatcher, sent } = dispatcherWith(make(), store, { rate: 10 });
    const started = Date.now();
    await Promise.all(Array.from({ length: 25 }, (_, i) => dispatcher.send({ to: '+2290197000001', text: `m${i}`, idempotencyKey: `burst-${i}`, purpose: 'notification' })));
    await until(() => sent.length === 25, 'the 25 messages of the burst sent', 10_000);
    // 25 messages at 10 per second cannot all leave within the first two seconds.
    expect(sent.at(-1)!.at - started).toBeGreaterThanOrEqual(1900);
    for (let i = 10; i < sent.length; i++) expect(sent[i]!.at - sent[i - 10]!.at).toBeGreaterThanOrEqual(900);
  }, 15_000);

  it('honours an opt-out for notifications but still answers the citizen', async () => {
    const store = new MemoryMessageStore();
    const { dispatcher, sent, preferences } = dispatcherWith(make(), store);
    await preferences.setOptedOut('+2290197000001', true);
    const notification = await dispatcher.send({ to: '+2290197000001', text: 'promo', idempotencyKey: 'o-1', purpose: 'notification' });
    expect(notification.message).toMatchObject({ status: 'failed', history: [{ detail: 'opted out: not sent' }] });
    await dispatcher.send({ to: '+2290197000001', text: 'Vous ne recevrez plus de notifications', idempotencyKey: 'o-2', purpose: 'reply' });
    await until(() => sent.length === 1, 'the reply sent');
    expect(sent[0]!.text).toMatch(/^Vous ne recevrez plus/);
  });
});

describe("Africa's Talking SMS answers, read per recipient", () => {
  const answer = (statusCode: number, status: string): AfricasTalkingSendResult => ({
    SMSMessageData: { Message: 'Sent to 1/1 Total Cost: XOF 15', Recipients: [{ statusCode, number: '+2290197000001', status, cost: 'XOF 15', messageId: 'ATXid_4f1a' }] },
  });
  it.each([
    [101, 'Success', { providerMessageId: 'ATXid_4f1a' }],
    [102, 'Queued', { providerMessageId: 'ATXid_4f1a' }],
  ])('%i %s is accepted', async (code, status, expected) => {
    const route = createAfricasTalkingSmsRoute(async () => answer(code, status));
    expect(await route.send({ id: 'x', to: '+2290197000001', text: 'a', encoding: 'GSM-7' })).toEqual(expected);
  });
  it.each([
    [403, 'InvalidPhoneNumber', PermanentSmsError],
    [406, 'UserInBlacklist', PermanentSmsError],
    [405, 'InsufficientBalance', ThrottledSmsError],
    [500, 'InternalServerError', Error],
  ])('%i %s → %s', async (code, status, kind) => {
    const route = createAfricasTalkingSmsRoute(async () => answer(code, status));
    await expect(route.send({ id: 'x', to: '+2290197000001', text: 'a', encoding: 'GSM-7' })).rejects.toBeInstanceOf(kind);
  });
});

/** The gateway with the SMS channel on a recording route. */
async function smsGateway(agencies = { portail: { apiKey: 'k-portail-123', hmacSecret: 'hmac-portail' }, anip: { apiKey: 'k-anip-456' } }) {
  const services = await defaultServices();
  const store = new MemoryMessageStore();
  const queue = new MemoryJobQueue();
  const { dispatcher, sent, preferences } = dispatcherWith(queue, store, { routeName: 'africastalking' });
  const app = createApp({ menus: new MenuRegistry([]), services, sessions: preferences, preferences, dialects: ussdDialects, logger: silentLogger, sms: { dispatcher, store, agencies, outbox: dispatcher } });
  return { app, store, sent, queue, preferences };
}

const notify = (app: Awaited<ReturnType<typeof smsGateway>>['app'], body: unknown, headers: Record<string, string> = { 'x-api-key': 'k-portail-123' }) =>
  app.request('/v1/notifications', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('notification API', () => {
  const valid = { to: '+2290197000001', template: 'request_ready', params: { requestNumber: 'PS00373-240001', service: 'Extrait de casier', collectAt: 'CCSP Cotonou 1' }, idempotencyKey: 'portail-evt-000001' };

  it('accepts, sends once per key, and reports delivery', async () => {
    const { app, sent, queue } = await smsGateway();
    const res = await notify(app, valid);
    expect(res.status).toBe(202);
    const created = (await res.json()) as { id: string; to: string; status: string; segments: number };
    expect(created).toMatchObject({ to: '+2290197****01', status: 'queued', segments: 1 });
    expect((await notify(app, valid)).status).toBe(200);
    await queue.drain();
    expect(sent.map((s) => s.text)).toEqual(['Service Public: votre demande PS00373-240001 (Extrait de casier) est disponible. Retrait: CCSP Cotonou 1.']);
    const status = await app.request(`/v1/notifications/${created.id}`, { headers: { 'x-api-key': 'k-portail-123' } });
    expect(await status.json()).toMatchObject({ id: created.id, status: 'sent' });
    // Another agency cannot read it.
    expect((await app.request(`/v1/notifications/${created.id}`, { headers: { 'x-api-key': 'k-anip-456' } })).status).toBe(404);
  });

  it('in the citizen’s chosen language', async () => {
    const { app, sent, queue, preferences } = await smsGateway();
    await preferences.setLanguage('+2290197000001', 'en');
    await notify(app, { ...valid, idempotencyKey: 'portail-evt-000002' });
    await queue.drain();
    expect(sent[0]!.text).toMatch(/^Public Service: your request PS00373-240001/);
  });

  // The route reads the opt-out beside the language and hands it to the dispatcher (issue 18
  // part 3): whatever spelling the agency used, an opted-out citizen is not sent to, and a
  // citizen who opted back in is.
  it.each([
    ['+2290197000001', true, 'failed', 0],
    ['0197000001', true, 'failed', 0],
    ['2290197000001', true, 'failed', 0],
    ['+2290197000001', false, 'queued', 1],
  ])('to %s, opted out %s: %s, %i sent', async (to, optedOut, status, sentCount) => {
    const { app, sent, queue, preferences } = await smsGateway();
    await preferences.setOptedOut('+2290197000001', true);
    if (!optedOut) await preferences.setOptedOut('+2290197000001', false);
    const res = await notify(app, { ...valid, to, idempotencyKey: `portail-optout-${to}-${optedOut}` });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ status });
    await queue.drain();
    expect(sent).toHaveLength(sentCount);
  });

  it('accepts an HMAC signature with a fresh timestamp', async () => {
    const { app } = await smsGateway();
    const body = JSON.stringify({ ...valid, idempotencyKey: 'portail-evt-000003' });
    const t = Math.floor(Date.now() / 1000);
    const s = await hmacHex('hmac-portail', `${t}.${body}`);
    expect((await notify(app, body, { 'x-agency': 'portail', 'x-guichet-signature': `t=${t},s=${s}` })).status).toBe(202);
    expect(await signatureValid(`t=${t - 400},s=${await hmacHex('hmac-portail', `${t - 400}.${body}`)}`, 'hmac-portail', body)).toBe(false);
  });

  it.each([
    ['no credentials', valid, {}, 401, /unauthorized/],
    ['a wrong key', valid, { 'x-api-key': 'k-portail-124' }, 401, /unauthorized/],
    ['a forged signature', valid, { 'x-agency': 'portail', 'x-guichet-signature': `t=${Math.floor(Date.now() / 1000)},s=${'0'.repeat(64)}` }, 401, /unauthorized/],
    ['broken JSON', '{"to":', { 'x-api-key': 'k-portail-123' }, 400, /not valid JSON/],
    ['an unknown template', { ...valid, template: 'promo' }, { 'x-api-key': 'k-portail-123' }, 400, /template/],
    ['a foreign number', { ...valid, to: '+33612345678' }, { 'x-api-key': 'k-portail-123' }, 400, /to: not a Benin/],
    ['a short idempotency key', { ...valid, idempotencyKey: 'x' }, { 'x-api-key': 'k-portail-123' }, 400, /idempotencyKey/],
  ])('refuses %s', async (_name, body, headers, status, reason) => {
    const { app } = await smsGateway();
    const res = await notify(app, body, headers as Record<string, string>);
    expect(res.status).toBe(status);
    expect(JSON.stringify(await res.json())).toMatch(reason);
  });
});

describe('delivery reports and inbound SMS over HTTP', () => {
  it("Africa's Talking: reports are idempotent; unknown statuses are not final", async () => {
    const { app, store, queue } = await smsGateway();
    const res = await notify(app, { to: '+2290197000001', template: 'help', params: {}, idempotencyKey: 'dlr-test-0001' });
    const { id } = (await res.json()) as { id: string };
    await queue.drain();
    const providerId = (await store.get(id))!.providerMessageId!;
    const report = (status: string) => app.request('/sms/africastalking/dlr', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ id: providerId, status, phoneNumber: '+2290197000001', networkCode: '61602', retryCount: '0' }).toString() });
    expect((await report('Paused')).status).toBe(200);
    expect((await store.get(id))!.status).toBe('sent');
    await report('Success');
    await report('Success');
    await report('Failed');
    expect((await store.get(id))!.status).toBe('delivered');
  });

  it('Kannel inbound STATUT is answered with the status, by the same privacy rule', async () => {
    const { app, sent, queue } = await smsGateway();
    const inbound = (from: string, text: string, id: string) => app.request(`/sms/kannel/inbound?${new URLSearchParams({ from, to: '123', text, id })}`);
    const res = await inbound('2290197000001', 'STATUT PS00373-240001', 'k-1');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    await inbound('2290166000002', 'statut ps00373-240001', 'k-2');
    await inbound('2290197000001', 'STATUT PS00373-240001', 'k-1'); // redelivered: answered once
    await queue.drain();
    expect(sent.map((s) => [s.to, s.text])).toEqual([
      ['+2290197000001', 'Service Public: demande PS00373-240001: disponible le 20/11/2026.'],
      ['+2290166000002', "Service Public: aucune demande PS00373-240001 n'est liée à ce numéro."],
    ]);
  });

  it('STOP opts out of later notifications; AIDE opts back in; LANGUE EN switches', async () => {
    const { app, sent, queue, preferences } = await smsGateway();
    const inbound = (text: string, id: string) => app.request('/sms/africastalking/inbound', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ from: '+2290197000001', to: '123', text, id, date: '2026-11-23', linkId: '', networkCode: '61602' }).toString() });
    await inbound('STOP', 'a-1');
    expect(await preferences.isOptedOut('+2290197000001')).toBe(true);
    const blocked = await notify(app, { to: '+2290197000001', template: 'help', params: {}, idempotencyKey: 'after-stop-01' });
    expect(await blocked.json()).toMatchObject({ status: 'failed' });
    await inbound('LANGUE EN', 'a-2');
    await inbound('AIDE', 'a-3');
    expect(await preferences.isOptedOut('+2290197000001')).toBe(false);
    await queue.drain();
    expect(sent.map((s) => s.text)).toEqual([
      'Service Public: vous ne recevrez plus de notifications. Envoyez AIDE pour reactiver.',
      'Public Service: your messages will be in English.',
      'Public Service: STATUS <number> to track a request, LANGUE FR, FON or YORUBA to change language, STOP to receive no more SMS. Menu: *123#',
    ]);
  });

  it('refuses malformed callbacks with a reason', async () => {
    const { app } = await smsGateway();
    expect((await app.request('/sms/kannel/dlr?type=1')).status).toBe(400);
    expect((await app.request('/sms/africastalking/inbound', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'text=hi' })).status).toBe(400);
  });

  it('a report for an unknown message is logged, not an error; one for an unknown provider id waits for it', async () => {
    expect(await recordDeliveryReport(new MemoryMessageStore(), { route: 'kannel', messageId: 'nope', status: 'delivered', raw: 'type 1' }, silentLogger)).toBe('unknown_message');
    const store = new MemoryMessageStore();
    expect(await recordDeliveryReport(store, { route: 'smpp', providerMessageId: 'nope', status: 'delivered', raw: 'DELIVRD' }, silentLogger)).toBe('parked');
    expect(await store.takeParkedReports('smpp', 'nope')).toEqual([{ status: 'delivered', raw: 'DELIVRD' }]);
    expect(await store.takeParkedReports('smpp', 'nope')).toEqual([]);
  });
});
