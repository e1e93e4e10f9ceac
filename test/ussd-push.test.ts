import { Redis } from 'ioredis';
import { Hono } from 'hono';
import smpp from 'smpp';
import type { Pdu } from 'smpp';
import { afterEach, describe, expect, it } from 'vitest';
import { ussdDialects } from '../providers/index.js';
import { ERROR_EXAMPLE, MADAPI_SOURCE, OUTBOUND_REQUEST_EXAMPLE, OUTBOUND_RESPONSE_EXAMPLE } from '../providers/mtn-madapi/fixtures.js';
import { createMadapiPushRoute } from '../providers/mtn-madapi/push.js';
import { USSN_OP } from '../providers/smpp-ussd/push.js';
import { MenuRegistry } from '../src/engine/menu-registry.js';
import { createApp } from '../src/http/app.js';
import { BullMqJobQueue } from '../src/jobs/bullmq.js';
import { MemoryJobQueue } from '../src/jobs/memory.js';
import type { EnqueueOptions, JobHandler, JobQueue, ProcessOptions } from '../src/jobs/port.js';
import { silentLogger } from '../src/observability/logger.js';
import { messageText } from '../src/runtime/node/smpp/message-text.js';
import { createSmppUssdPushRoute } from '../src/runtime/node/smpp/smpp-ussd-push.js';
import { MemorySessionStore } from '../src/sessions/memory.js';
import { SmsDispatcher } from '../src/sms/dispatcher.js';
import type { OutgoingSms, SmsRoute } from '../src/sms/port.js';
import { MemoryMessageStore } from '../src/sms/store/memory.js';
import { RedisMessageStore } from '../src/sms/store/redis.js';
import type { UssdPushRoute } from '../src/ussd-push/port.js';
import { UssdPushService } from '../src/ussd-push/push-service.js';
import { closeAfterEach } from '../testkit/cleanup.js';
import { testClock, type TestClock } from '../testkit/clock.js';
import { defaultServices, MENUS_DIR } from '../testkit/harness.js';
import { serveOnLoopback } from '../testkit/loopback-server.js';
import { boundSmppLink, TestSmsc, type BoundSmppLink } from '../testkit/smsc.js';
import { until } from '../testkit/until.js';

/** 10:00 in Benin (09:00 UTC), a Wednesday: outside quiet hours. */
const DAYTIME = Date.parse('2026-12-02T09:00:00Z');
const CITIZEN = '+2290197000001'; // MTN range
const MOOV_CITIZEN = '+2290164000300'; // Moov range: no push route in these tests
const AGENCY = { 'x-api-key': 'k-portail-123' };
const READY = { template: 'request_ready', params: { requestNumber: 'PS00373-240001', service: 'Extrait de casier', collectAt: 'CCSP Cotonou 1' } };
const READY_TEXT = 'Service Public: votre demande PS00373-240001 (Extrait de casier) est disponible. Retrait: CCSP Cotonou 1.';
/** Short in tests, injected: the SMPP route's wait for the handset's USSN confirm. */
const CONFIRM_TIMEOUT_MS = 300;

/** An SMS route that records what it sends: the fallback must leave once at most. */
function recordingSmsRoute(): { route: SmsRoute; sent: OutgoingSms[] } {
  const sent: OutgoingSms[] = [];
  return { sent, route: { name: 'sms-test', send: async (sms) => (sent.push(sms), { providerMessageId: `p-${sent.length}` }) } };
}

/** A memory queue that also keeps each enqueue's options (quiet hours are delays). */
class RecordingQueue extends MemoryJobQueue implements JobQueue {
  readonly enqueued: { queue: string; options: EnqueueOptions | undefined }[] = [];
  readonly consumers: { queue: string; options: ProcessOptions | undefined }[] = [];
  override process<Payload>(queue: string, handler: JobHandler<Payload>, options?: ProcessOptions): void {
    this.consumers.push({ queue, options });
    super.process(queue, handler, options);
  }
  override async enqueue<Payload>(queue: string, payload: Payload, options?: EnqueueOptions): Promise<void> {
    this.enqueued.push({ queue, options });
    return super.enqueue(queue, payload, options);
  }
}

const links: BoundSmppLink[] = [];
const queues: MemoryJobQueue[] = [];
afterEach(async () => {
  for (const queue of queues.splice(0)) await queue.close();
  for (const link of links.splice(0)) await link.close();
});
const closing = closeAfterEach();

async function pushGateway(options: { clock?: TestClock; pushRoutes?: (smpp: BoundSmppLink) => Record<string, UssdPushRoute>; rates?: Record<string, number> } = {}) {
  const clock = options.clock ?? testClock(DAYTIME);
  const bound = await boundSmppLink();
  links.push(bound);
  const routes = options.pushRoutes?.(bound) ?? { 'smpp-mtn': createSmppUssdPushRoute('smpp-mtn', bound.link, { from: '123', confirmTimeoutMs: CONFIRM_TIMEOUT_MS }) };
  const queue = new RecordingQueue();
  queues.push(queue);
  const store = new MemoryMessageStore();
  const preferences = new MemorySessionStore();
  const sms = recordingSmsRoute();
  const dispatcher = new SmsDispatcher({ store, preferences, queue, routes: { 'sms-test': sms.route }, routing: { default: 'sms-test' }, transliterate: true, logger: silentLogger, attempts: 3 });
  dispatcher.start();
  const push = new UssdPushService({ dispatcher, store, queue, routes, routing: { MTN: Object.keys(routes)[0]! }, logger: silentLogger, now: clock.now, ...(options.rates ? { ratePerSecond: options.rates } : {}) });
  push.start();
  const app = createApp({
    menus: new MenuRegistry([]),
    services: await defaultServices(),
    sessions: preferences,
    preferences,
    dialects: ussdDialects,
    logger: silentLogger,
    sms: { dispatcher, store, outbox: dispatcher, agencies: { portail: { apiKey: 'k-portail-123' }, anip: { apiKey: 'k-anip-456' } }, push },
  });
  const notify = async (body: Record<string, unknown>, headers: Record<string, string> = AGENCY) => {
    const res = await app.request('/v1/notifications', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const answer = (await res.json()) as Record<string, unknown> & { id: string };
    return { status: res.status, body: answer, id: answer.id };
  };
  const status = async (id: string) => (await app.request(`/v1/notifications/${id}`, { headers: AGENCY })).json() as Promise<Record<string, unknown>>;
  return { app, smsc: bound.smsc, queue, store, preferences, sms, push, routes, notify, status, clock };
}

/** The SMSC answers an accepted USSN as the handset does: a `deliver_sm` with `ussd_service_op` 19 from its number. */
function handsetConfirms(smsc: TestSmsc) {
  smsc.onAccepted = (pdu: Pdu) => {
    if (pdu.ussd_service_op !== USSN_OP.REQUEST) return;
    smsc.deliverSm({ service_type: 'USSD', source_addr: pdu.destination_addr, source_addr_ton: 1, source_addr_npi: 1, destination_addr: pdu.source_addr, short_message: '', data_coding: 0, ussd_service_op: USSN_OP.CONFIRM });
  };
}

describe('USSD push over SMPP (loopback SMSC)', () => {
  it('a confirmed push is the notification: delivered, no SMS', async () => {
    const gw = await pushGateway();
    handsetConfirms(gw.smsc);
    const created = await gw.notify({ to: CITIZEN, ...READY, idempotencyKey: 'push-confirmed-1', channel: 'ussd-push' });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ channel: 'ussd-push', status: 'queued', push: { route: 'smpp-mtn', state: 'waiting' } });
    await until(async () => (await gw.status(created.id)).status === 'delivered', 'the push confirmed');
    await gw.queue.drain();
    // The USSN request as SMPP 3.4 §5.3.2.44 has it, to the handset, from our short code.
    const [submit] = gw.smsc.submits;
    expect(submit).toMatchObject({ service_type: 'USSD', ussd_service_op: 3, destination_addr: '2290197000001', dest_addr_ton: 1, dest_addr_npi: 1, source_addr: '123', source_addr_ton: 3, data_coding: 0 });
    expect(messageText(submit!.short_message)).toBe(READY_TEXT);
    expect(gw.smsc.submits).toHaveLength(1);
    expect(gw.sms.sent).toEqual([]);
    expect(await gw.status(created.id)).toMatchObject({ status: 'delivered', channel: 'ussd-push', push: { route: 'smpp-mtn', state: 'confirmed', outcome: 'confirmed' } });
  });

  it.each([
    ['refused (submit_sm_resp ESME_RSYSERR)', 'refused', /submit_sm_resp status 0x00000008/, (smsc: BoundSmppLink['smsc']) => void (smsc.refuseWith = smpp.ESME_RSYSERR)],
    ['accepted and never confirmed', 'unanswered', new RegExp(`no USSN confirm within ${CONFIRM_TIMEOUT_MS} ms`), () => {}],
  ] as const)('%s: ONE SMS of the same text', async (_name, outcome, detail, behave) => {
    const gw = await pushGateway();
    behave(gw.smsc);
    const created = await gw.notify({ to: CITIZEN, ...READY, idempotencyKey: `push-${outcome}-1`, channel: 'ussd-push' });
    await until(() => gw.sms.sent.length > 0, 'the fallback SMS');
    await gw.queue.drain();
    expect(gw.smsc.submitsReceived.map((pdu) => pdu.ussd_service_op)).toEqual([3]);
    expect(gw.sms.sent.map((sms) => [sms.to, sms.text])).toEqual([[CITIZEN, READY_TEXT]]);
    const view = await gw.status(created.id);
    expect(view).toMatchObject({ status: 'sent', push: { state: 'fallback', outcome } });
    expect(JSON.stringify(view.history)).toMatch(detail);
  });

  it('never two SMS for one notification: repeated posts, re-run and stalled jobs, repeated releases', async () => {
    const gw = await pushGateway();
    gw.smsc.refuseWith = smpp.ESME_RSYSERR;
    const body = { to: CITIZEN, ...READY, idempotencyKey: 'push-dup-1', channel: 'ussd-push' };
    const posts = await Promise.all([gw.notify(body), gw.notify(body), gw.notify(body)]);
    expect(posts.map((p) => p.status).sort()).toEqual([200, 200, 202]);
    const id = posts[0]!.id;
    await until(() => gw.sms.sent.length > 0, 'the fallback SMS');
    // The push job and the SMS job run again (a stalled job, a retry): nothing more leaves.
    const route = gw.routes['smpp-mtn']!;
    await Promise.all([gw.push.pushOne(route, id), gw.push.pushOne(route, id)]);
    await gw.queue.drain();
    expect(gw.smsc.submitsReceived).toHaveLength(1);
    expect(gw.sms.sent).toHaveLength(1);

    // A run that claimed a push and died (`pushing` left behind): the next run does not push again, and sends one SMS.
    const stuck = await gw.notify({ ...body, idempotencyKey: 'push-dup-2' });
    await gw.queue.drain();
    const before = gw.sms.sent.length;
    const pushesBefore = gw.smsc.submitsReceived.length;
    const held = await gw.store.create({ ...(await gw.store.get(stuck.id))!, id: crypto.randomUUID(), idempotencyKey: 'push-dup-3', status: 'queued', push: { route: 'smpp-mtn', phase: 'pushing', claim: 'dead-run' }, history: [] });
    await Promise.all([gw.push.pushOne(route, held.message.id), gw.push.pushOne(route, held.message.id)]);
    await gw.queue.drain();
    await gw.push.pushOne(route, held.message.id);
    await gw.queue.drain();
    expect(gw.smsc.submitsReceived).toHaveLength(pushesBefore);
    expect(gw.sms.sent.length - before).toBe(1);
    expect(await gw.store.get(held.message.id)).toMatchObject({ status: 'sent', push: { phase: 'fallback', outcome: 'interrupted' } });
  });

  it('no SMS while a push is held or after it was confirmed, even if an SMS job is queued by mistake', async () => {
    const gw = await pushGateway();
    handsetConfirms(gw.smsc);
    const created = await gw.notify({ to: CITIZEN, ...READY, idempotencyKey: 'push-confirmed-2', channel: 'ussd-push' });
    await until(async () => (await gw.status(created.id)).status === 'delivered', 'the push confirmed');
    // Held (waiting) and still `queued` as an SMS: the push decides, not the SMS queue.
    const held = await gw.store.create({ ...(await gw.store.get(created.id))!, id: crypto.randomUUID(), idempotencyKey: 'push-held-1', status: 'queued', push: { route: 'smpp-mtn', phase: 'waiting' }, history: [] });
    await gw.queue.enqueue('sms-sms-test', { id: created.id }, { jobId: `stray-${created.id}` });
    await gw.queue.enqueue('sms-sms-test', { id: held.message.id }, { jobId: `stray-${held.message.id}` });
    await gw.queue.drain();
    expect(gw.sms.sent).toEqual([]);
    expect(await gw.store.get(held.message.id)).toMatchObject({ status: 'queued', push: { phase: 'waiting' } });
  });

  it('opted out (STOP): neither pushed nor sent; a number without a push route gets the SMS at once', async () => {
    const gw = await pushGateway();
    await gw.preferences.setOptedOut(CITIZEN, true);
    const stopped = await gw.notify({ to: CITIZEN, ...READY, idempotencyKey: 'push-stop-1', channel: 'ussd-push' });
    expect(stopped.body).toMatchObject({ status: 'failed', push: { state: 'waiting' } });
    const moov = await gw.notify({ to: MOOV_CITIZEN, ...READY, idempotencyKey: 'push-moov-1', channel: 'ussd-push' });
    expect(moov.body).toMatchObject({ push: { route: 'none', state: 'fallback', outcome: 'no_route' } });
    await until(() => gw.sms.sent.length > 0, 'the SMS');
    await gw.queue.drain();
    expect(gw.smsc.submitsReceived).toEqual([]);
    expect(gw.sms.sent.map((sms) => sms.to)).toEqual([MOOV_CITIZEN]);
  });

  it('a text longer than one USSD screen goes by SMS only', async () => {
    const gw = await pushGateway();
    const long = { to: CITIZEN, template: 'request_ready', params: { ...READY.params, service: 'x'.repeat(120) }, idempotencyKey: 'push-long-1', channel: 'ussd-push' };
    const created = await gw.notify(long);
    expect(created.body).toMatchObject({ push: { state: 'fallback', outcome: 'too_long' } });
    await until(() => gw.sms.sent.length > 0, 'the SMS');
    expect(gw.smsc.submitsReceived).toEqual([]);
  });

  it.each([
    ['an unknown channel', { to: CITIZEN, ...READY, idempotencyKey: 'push-bad-1', channel: 'fax' }, AGENCY, 400, /channel/],
    ['no credentials', { to: CITIZEN, ...READY, idempotencyKey: 'push-bad-2', channel: 'ussd-push' }, {}, 401, /unauthorized/],
    ['a foreign number', { to: '+33612345678', ...READY, idempotencyKey: 'push-bad-3', channel: 'ussd-push' }, AGENCY, 400, /to: not a Benin/],
  ])('refuses %s', async (_name, body, headers, status, reason) => {
    const gw = await pushGateway();
    const res = await gw.notify(body, headers as Record<string, string>);
    expect(res.status).toBe(status);
    expect(JSON.stringify(res.body)).toMatch(reason);
    expect(gw.smsc.submitsReceived).toEqual([]);
  });
});

describe('a rate per push route (USSD_PUSH_RATES)', () => {
  it.each([
    ['as configured', { 'smpp-mtn': 3 }, 3],
    ['10 per second by default', undefined, 10],
  ])('each route is consumed from its own queue at its rate: %s', async (_name, rates, expected) => {
    const gw = await pushGateway(rates ? { rates } : {});
    expect(gw.queue.consumers.filter((c) => c.queue.startsWith('ussd-push-'))).toEqual([{ queue: 'ussd-push-smpp-mtn', options: expect.objectContaining({ ratePerSecond: expected }) }]);
  });
});

describe('quiet hours (21:00–07:00 Benin time)', () => {
  it('a notification at 22:30 is neither pushed nor sent before 07:00', async () => {
    const clock = testClock(Date.parse('2026-12-02T21:30:00Z')); // 22:30 in Benin
    const gw = await pushGateway({ clock });
    const created = await gw.notify({ to: CITIZEN, ...READY, idempotencyKey: 'push-night-1', channel: 'ussd-push' });
    expect(created.body).toMatchObject({ status: 'queued', push: { state: 'waiting', notBefore: '2026-12-03T06:00:00.000Z' } });
    expect(gw.queue.enqueued).toEqual([{ queue: 'ussd-push-smpp-mtn', options: expect.objectContaining({ jobId: created.id, delayMs: 8.5 * 3_600_000 }) }]);
    expect(gw.smsc.submitsReceived).toEqual([]);
    expect(gw.sms.sent).toEqual([]);
    // A push job that still runs in the night (a backlog) waits for the morning, pushing nothing.
    await expect(gw.push.pushOne(gw.routes['smpp-mtn']!, created.id)).rejects.toMatchObject({ name: 'RetryLaterError', delayMs: 8.5 * 3_600_000 });
    expect(gw.smsc.submitsReceived).toEqual([]);
  });

  it('a push refused at 20:59:50 falls back to an SMS held until 07:00', async () => {
    const clock = testClock(Date.parse('2026-12-02T19:59:50Z')); // 20:59:50 in Benin
    // The refusal comes back 20 s later, after 21:00: the route moves the injected clock on as it answers.
    const gw = await pushGateway({
      clock,
      pushRoutes: (bound) => {
        const smppRoute = createSmppUssdPushRoute('smpp-mtn', bound.link, { from: '123', confirmTimeoutMs: CONFIRM_TIMEOUT_MS });
        return { 'smpp-mtn': { name: 'smpp-mtn', push: async (request) => smppRoute.push(request).finally(() => clock.advance(20_000)) } };
      },
    });
    gw.smsc.refuseWith = smpp.ESME_RSYSERR;
    const created = await gw.notify({ to: CITIZEN, ...READY, idempotencyKey: 'push-night-2', channel: 'ussd-push' });
    await until(async () => (await gw.store.get(created.id))?.push?.phase === 'fallback', 'the fallback');
    expect(gw.smsc.submitsReceived).toHaveLength(1);
    const smsJob = gw.queue.enqueued.find((e) => e.queue === 'sms-sms-test');
    expect(smsJob?.options).toMatchObject({ jobId: created.id, delayMs: 10 * 3_600_000 - 10_000 });
    expect(gw.sms.sent).toEqual([]);
    expect(JSON.stringify((await gw.status(created.id)).history)).toMatch(/sent by SMS at 2026-12-03T06:00:00.000Z \(quiet hours\)/);
  });
});

describe('USSD push over MTN MADAPI (loopback server answering the swagger samples)', () => {
  /** MADAPI's `POST /messages/ussd/outbound`, answering as told; records each request. */
  async function madapi(answer: { status: number; body: unknown }) {
    const requests: { apiKey: string | undefined; body: Record<string, unknown> }[] = [];
    const app = new Hono().post('/v1/messages/ussd/outbound', async (c) => {
      requests.push({ apiKey: c.req.header('x-api-key'), body: await c.req.json() });
      return c.json(answer.body as object, answer.status as 201);
    });
    const server = closing(await serveOnLoopback(app));
    return { requests, route: createMadapiPushRoute({ baseUrl: `${server.baseUrl}/v1`, apiKey: 'madapi-key', serviceCode: '123', timeoutMs: 2000 }) };
  }

  it.each([
    ['201 OutboundResponse, outboundResponse "0000"', { status: 201, body: OUTBOUND_RESPONSE_EXAMPLE }, 'confirmed', 0],
    ['400 Error (statusCode 3001)', { status: 400, body: ERROR_EXAMPLE }, 'refused', 1],
    ['503 Error', { status: 503, body: { ...ERROR_EXAMPLE, supportMessage: '503 Service Unavailable' } }, 'failed', 1],
    ['201 with a non-zero outboundResponse', { status: 201, body: { ...OUTBOUND_RESPONSE_EXAMPLE, data: { ...OUTBOUND_RESPONSE_EXAMPLE.data, outboundResponse: '3001' } } }, 'refused', 1],
  ] as const)(`${MADAPI_SOURCE}: %s`, async (_name, answer, outcome, smsCount) => {
    const fake = await madapi(answer);
    const gw = await pushGateway({ pushRoutes: () => ({ 'mtn-madapi': fake.route }) });
    const created = await gw.notify({ to: CITIZEN, ...READY, idempotencyKey: `madapi-${answer.status}-${outcome}`, channel: 'ussd-push' });
    await until(async () => (await gw.store.get(created.id))?.push?.phase !== 'waiting' && (await gw.store.get(created.id))?.push?.phase !== 'pushing', 'the push outcome');
    await gw.queue.drain();
    // The OutboundRequest's fields, as the swagger's example names them; a push is messageType 3 (Notification).
    expect(Object.keys(fake.requests[0]!.body).sort()).toEqual(Object.keys(OUTBOUND_REQUEST_EXAMPLE).sort());
    expect(fake.requests).toEqual([{ apiKey: 'madapi-key', body: { sessionId: created.id, messageType: '3', msisdn: '2290197000001', serviceCode: '123', ussdString: READY_TEXT } }]);
    expect(gw.sms.sent).toHaveLength(smsCount);
    const view = await gw.status(created.id);
    expect(view).toMatchObject({ push: { route: 'mtn-madapi', state: smsCount === 0 ? 'confirmed' : 'fallback', outcome } });
  });

  it('MADAPI unreachable: failed, one SMS', async () => {
    const route = createMadapiPushRoute({ baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'k', serviceCode: '123', timeoutMs: 1000 });
    const gw = await pushGateway({ pushRoutes: () => ({ 'mtn-madapi': route }) });
    const created = await gw.notify({ to: CITIZEN, ...READY, idempotencyKey: 'madapi-down-1', channel: 'ussd-push' });
    await until(() => gw.sms.sent.length > 0, 'the fallback SMS');
    expect(await gw.status(created.id)).toMatchObject({ push: { state: 'fallback', outcome: 'failed' } });
  });
});

describe('the Node gateway wires pushes from the environment', () => {
  it('USSD_PUSH_ROUTES=MTN=smpp-mtn pushes on the SMPP USSD link; GET shows the outcome', async () => {
    const { createNodeGateway } = await import('../src/runtime/node/gateway.js');
    const { loadConfig } = await import('../src/config.js');
    const operatorSmsc = new TestSmsc();
    const url = await operatorSmsc.start();
    handsetConfirms(operatorSmsc);
    const clock = testClock(DAYTIME);
    const gateway = await createNodeGateway(
      loadConfig({ MENUS_DIR, SMPP_USSD_MTN_URL: url, SMPP_USSD_MTN_SYSTEM_ID: 'guichet', SMPP_USSD_MTN_PASSWORD: 'secret', USSD_PUSH_ROUTES: 'MTN=smpp-mtn', NOTIFY_API_KEYS: 'portail:k-portail-123' }),
      silentLogger,
      { now: clock.now },
    );
    try {
      await until(() => operatorSmsc.binds === 1 && operatorSmsc.session !== undefined, 'the gateway to bind');
      const res = await gateway.app.request('/v1/notifications', { method: 'POST', headers: { 'content-type': 'application/json', ...AGENCY }, body: JSON.stringify({ to: CITIZEN, ...READY, idempotencyKey: 'gateway-push-1', channel: 'ussd-push' }) });
      expect(res.status).toBe(202);
      const { id } = (await res.json()) as { id: string };
      const view = async () => (await gateway.app.request(`/v1/notifications/${id}`, { headers: AGENCY })).json() as Promise<Record<string, unknown>>;
      await until(async () => (await view()).status === 'delivered', 'the push confirmed');
      expect(await view()).toMatchObject({ push: { route: 'smpp-mtn', state: 'confirmed', outcome: 'confirmed' } });
      expect(operatorSmsc.submits.map((pdu) => pdu.ussd_service_op)).toEqual([3]);
    } finally {
      await gateway.close();
      await operatorSmsc.stop();
    }
  });
});

describe('on Redis and BullMQ, as the Node gateway runs with REDIS_URL', () => {
  const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  it.each([
    ['confirmed', 'delivered', 0, true],
    ['refused', 'sent', 1, false],
  ] as const)('%s: the push once, %s, %i SMS, however often the post and the jobs repeat', async (outcome, status, smsCount, confirms) => {
    const prefix = `guichet-test-push-${process.pid}-${Date.now()}-${outcome}`;
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    const store = new RedisMessageStore(redis, `${prefix}:sms:`);
    const queue = new BullMqJobQueue({ redisUrl: REDIS_URL, prefix });
    const bound = await boundSmppLink();
    try {
      if (confirms) handsetConfirms(bound.smsc);
      else bound.smsc.refuseWith = smpp.ESME_RSYSERR;
      const sms = recordingSmsRoute();
      const dispatcher = new SmsDispatcher({ store, preferences: new MemorySessionStore(), queue, routes: { 'sms-test': sms.route }, routing: { default: 'sms-test' }, transliterate: true, logger: silentLogger, attempts: 3 });
      dispatcher.start();
      const route = createSmppUssdPushRoute('smpp-mtn', bound.link, { from: '123', confirmTimeoutMs: CONFIRM_TIMEOUT_MS });
      const push = new UssdPushService({ dispatcher, store, queue, routes: { 'smpp-mtn': route }, routing: { MTN: 'smpp-mtn' }, logger: silentLogger, now: () => DAYTIME });
      push.start();
      const request = { to: CITIZEN, text: READY_TEXT, idempotencyKey: `portail:redis-${outcome}`, purpose: 'notification:request_ready', requestedBy: 'portail' };
      const sends = await Promise.all([push.send(request), push.send(request), push.send(request)]);
      expect(sends.filter((s) => s.created)).toHaveLength(1);
      const id = sends[0]!.message.id;
      await until(async () => (await store.get(id))?.status === status, `the notification ${status}`);
      await push.pushOne(route, id);
      await dispatcher.releaseHeld(id);
      // Let any job a repeat could have queued run before counting.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(bound.smsc.submitsReceived.map((pdu) => pdu.ussd_service_op)).toEqual([3]);
      expect(sms.sent).toHaveLength(smsCount);
      expect(await store.get(id)).toMatchObject({ status, push: { phase: confirms ? 'confirmed' : 'fallback', outcome } });
      dispatcher.stop();
    } finally {
      await queue.close();
      await bound.close();
      await store.close();
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    }
  });
});
