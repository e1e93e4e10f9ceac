import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { HTTPException } from 'hono/http-exception';
import { describe, expect, it } from 'vitest';
import { createMomoCollection } from '../../providers/mtn-momo/collection.js';
import { API_ERROR_CODES, API_ERRORS, type ApiErrorCode } from '../../src/http/errors.js';
import { MemoryJobQueue } from '../../src/jobs/memory.js';
import { parseRanges } from '../../src/lib/ip-address.js';
import { noMetrics } from '../../src/observability/metrics.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createEmbeddedPayments } from '../../src/payments/embedded-payments.js';
import { PaymentProviderDirectory } from '../../src/payments/provider-directory.js';
import { createDemoPortal } from '../../src/portal/demo.js';
import { MemoryPaymentStore } from '../../src/payments/store/memory.js';
import { MemorySessionStore } from '../../src/sessions/memory.js';
import { SmsDispatcher } from '../../src/sms/dispatcher.js';
import { MemoryMessageStore } from '../../src/sms/store/memory.js';
import { createTestGateway } from '../../testkit/harness.js';
import type { RateLimiter } from '../../src/limits/rate/port.js';

/**
 * Issue 13 item 6: one error envelope with a closed list of codes. A table of bad requests, at
 * least one per route that can refuse: each answers `{error, reason}` as JSON with a code of the
 * list and one of that code's statuses; every code of the list is answered by some row; every
 * route of the app is in the table or said to answer no error; and no route builds an error
 * body by hand.
 */
const SECRET = 'envelope-secret-0123456789';
const NOTIFY_KEY = 'envelope-notify-key-0123';
const REPORT_KEY = 'envelope-report-key-0123';
const ALLOWED_PEER = '10.0.0.1';
const STORE_DOWN = 'store-down';
const BUSY_NOTIFY_KEY = 'envelope-busy-agency-key-0123';

/** An agency already over its rate (the limiter's own counting has its conformance suite). */
const busyAgencyLimiter: RateLimiter = {
  hit: async (key) => (key === 'notify:busy' ? { allowed: false, remaining: 0, retryAfterMs: 12_300 } : { allowed: true, remaining: 1, retryAfterMs: 0 }),
};

/** A session store away for one session (AT's session end then answers 503). */
class PartlyDownSessionStore extends MemorySessionStore {
  override async load(key: string) {
    if (key.endsWith(`:${STORE_DOWN}`)) throw new Error('store away');
    return super.load(key);
  }
}

/** A message store that cannot read one id: the app's onError answers it. */
class PartlyDownMessageStore extends MemoryMessageStore {
  constructor(readonly unreadable: string) {
    super();
  }
  override async get(id: string) {
    if (id === this.unreadable) throw new Error('store away');
    return super.get(id);
  }
}

/** A payment store that cannot read one payment: the callback route answers 503 with a retry hint. */
class PartlyDownPaymentStore extends MemoryPaymentStore {
  constructor(readonly unreadable: string) {
    super();
  }
  override async get(id: string) {
    if (id === this.unreadable) throw new Error('store away');
    return super.get(id);
  }
  // What a hint reads (the provider alone): away as well.
  override async providerOf(id: string) {
    if (id === this.unreadable) throw new Error('store away');
    return super.providerOf(id);
  }
}

async function envelopeGateway() {
  const sessions = new PartlyDownSessionStore();
  const messages = new PartlyDownMessageStore(crypto.randomUUID());
  const jobs = new MemoryJobQueue();
  const dispatcher = new SmsDispatcher({ store: messages, preferences: sessions, queue: jobs, routes: { sandbox: { name: 'sandbox', send: async () => ({ providerMessageId: 'p' }) } }, routing: { default: 'sandbox' }, transliterate: true, logger: silentLogger });
  const noNetwork: typeof fetch = async () => Promise.reject(new Error('no provider API in this test'));
  const momo = createMomoCollection({ baseUrl: 'http://127.0.0.1:9', apiUser: 'u', apiKey: 'k', subscriptionKey: 's', targetEnvironment: 'sandbox', fetch: noNetwork });
  const providers = new PaymentProviderDirectory([momo], {}, 'mtn-momo');
  const payments = new PartlyDownPaymentStore(crypto.randomUUID());
  const { apply } = createEmbeddedPayments(createDemoPortal(), { providers, store: payments, jobs });
  const gateway = await createTestGateway({
    store: sessions,
    providerSettings: { hubtel: { secret: SECRET }, nalo: { allowedIps: [ALLOWED_PEER] } },
    clientIp: (c) => c.req.header('x-test-peer') ?? '127.0.0.1',
    metrics: noMetrics,
    metricsToken: 'envelope-metrics-token',
    simulator: true,
    sms: {
      dispatcher,
      store: messages,
      outbox: dispatcher,
      agencies: { portail: { apiKey: NOTIFY_KEY }, busy: { apiKey: BUSY_NOTIFY_KEY } },
      callbacks: { africastalking: { secret: SECRET }, kannel: { allowedIps: parseRanges(ALLOWED_PEER, 'SMS_KANNEL_ALLOW_IPS') } },
    },
    payments: { providers, store: payments, apply, logger: silentLogger, enqueueHintConfirmation: async () => {} },
    paymentReport: { store: payments, apiKeys: { finance: REPORT_KEY } },
    rateLimits: { limiter: busyAgencyLimiter, notificationsPerMinute: 600, ussdHopsPerMinute: 0 },
  });
  return { app: gateway.app, unreadable: messages.unreadable, paymentDown: payments.unreadable };
}

type Gateway = Awaited<ReturnType<typeof envelopeGateway>>;
const form = { 'content-type': 'application/x-www-form-urlencoded' };
const json = { 'content-type': 'application/json' };
const withSecret = { ...form, 'x-guichet-secret': SECRET };
const notify = (body: unknown) => ({ method: 'POST', headers: { ...json, 'x-api-key': NOTIFY_KEY }, body: typeof body === 'string' ? body : JSON.stringify(body) });

/** `route` is the app's route (method and pattern) the request reaches; `null` for none (not found). */
interface BadRequest {
  name: string;
  route: string | null;
  request: (gw: Gateway) => { path: string; init?: RequestInit };
  status: number;
  code: ApiErrorCode;
}

const BAD_REQUESTS: BadRequest[] = [
  { name: 'no such route', route: null, request: () => ({ path: '/nope' }), status: 404, code: 'not_found' },
  { name: 'metrics without the token', route: 'GET /metrics', request: () => ({ path: '/metrics' }), status: 401, code: 'unauthorized' },
  { name: 'USSD: unknown provider', route: 'POST /ussd/:provider', request: () => ({ path: '/ussd/nope', init: { method: 'POST', headers: form, body: 'sessionId=x' } }), status: 404, code: 'unknown_provider' },
  { name: 'USSD: missing fields', route: 'POST /ussd/:provider', request: () => ({ path: '/ussd/africastalking', init: { method: 'POST', headers: form, body: 'text=1' } }), status: 400, code: 'bad_request' },
  { name: 'USSD: wrong content type', route: 'POST /ussd/:provider', request: () => ({ path: '/ussd/africastalking', init: { method: 'POST', headers: json, body: '{}' } }), status: 415, code: 'bad_request' },
  { name: 'USSD: invalid UTF-8', route: 'POST /ussd/:provider', request: () => ({ path: '/ussd/africastalking', init: { method: 'POST', headers: form, body: new Uint8Array([0x73, 0x3d, 0xff, 0xfe]) } }), status: 400, code: 'bad_encoding' },
  { name: 'USSD: body over the limit', route: 'POST /ussd/:provider', request: () => ({ path: '/ussd/africastalking', init: { method: 'POST', headers: form, body: 'text=' + '1'.repeat(10_000) } }), status: 413, code: 'payload_too_large' },
  { name: 'USSD: no provider secret', route: 'POST /ussd/:provider', request: () => ({ path: '/ussd/hubtel', init: { method: 'POST', headers: json, body: '{}' } }), status: 401, code: 'unauthorized' },
  { name: 'USSD: address outside the allowlist', route: 'POST /ussd/:provider', request: () => ({ path: '/ussd/nalo', init: { method: 'POST', headers: { ...json, 'x-test-peer': '203.0.113.7' }, body: '{}' } }), status: 403, code: 'forbidden' },
  { name: 'session end: dialect without one', route: 'POST /ussd/:provider/session-end', request: () => ({ path: '/ussd/arkesel/session-end', init: { method: 'POST', headers: json, body: '{}' } }), status: 404, code: 'not_supported' },
  { name: 'session end: unknown status', route: 'POST /ussd/:provider/session-end', request: () => ({ path: '/ussd/africastalking/session-end', init: { method: 'POST', headers: form, body: 'sessionId=x&status=Weird' } }), status: 400, code: 'bad_request' },
  { name: 'session end: store away', route: 'POST /ussd/:provider/session-end', request: () => ({ path: '/ussd/africastalking/session-end', init: { method: 'POST', headers: form, body: `sessionId=${STORE_DOWN}&status=Success` } }), status: 503, code: 'unavailable' },
  { name: 'simulator: not a simulator session', route: 'GET /simulator/session', request: () => ({ path: '/simulator/session?provider=africastalking&sessionId=x' }), status: 404, code: 'not_found' },
  { name: 'simulator: no sandbox SMS inbox', route: 'GET /simulator/sms', request: () => ({ path: '/simulator/sms?phone=%2B2290197000001' }), status: 404, code: 'not_found' },
  { name: 'simulator: no such session', route: 'GET /simulator/session', request: () => ({ path: '/simulator/session?provider=africastalking&sessionId=sim-none' }), status: 404, code: 'not_found' },
  { name: 'payment callback: provider without callbacks', route: 'POST /payments/:provider/callback', request: () => ({ path: '/payments/nope/callback', init: { method: 'POST', headers: json, body: '{}' } }), status: 404, code: 'not_found' },
  { name: 'payment callback: refused by the provider', route: 'PUT /payments/:provider/callback', request: () => ({ path: '/payments/mtn-momo/callback', init: { method: 'PUT', headers: json, body: 'not json' } }), status: 400, code: 'rejected' },
  { name: 'payment callback: not a payment id of ours', route: 'PUT /payments/:provider/callback', request: () => ({ path: '/payments/mtn-momo/callback', init: { method: 'PUT', headers: json, body: '{"externalId":"open"}' } }), status: 400, code: 'bad_request' },
  { name: 'payment callback: no such payment', route: 'PUT /payments/:provider/callback', request: () => ({ path: '/payments/mtn-momo/callback', init: { method: 'PUT', headers: json, body: JSON.stringify({ externalId: crypto.randomUUID() }) } }), status: 404, code: 'not_found' },
  { name: 'payment callback: store away', route: 'PUT /payments/:provider/callback', request: (gw) => ({ path: '/payments/mtn-momo/callback', init: { method: 'PUT', headers: json, body: JSON.stringify({ externalId: gw.paymentDown }) } }), status: 503, code: 'unavailable' },
  { name: 'report: no API key', route: 'GET /v1/payments/report', request: () => ({ path: '/v1/payments/report?date=2026-12-02' }), status: 401, code: 'unauthorized' },
  { name: 'report: bad date', route: 'GET /v1/payments/report', request: () => ({ path: '/v1/payments/report?date=__proto__', init: { headers: { 'x-api-key': REPORT_KEY } } }), status: 400, code: 'bad_request' },
  { name: 'SMS inbound (AT): no secret', route: 'POST /sms/africastalking/inbound', request: () => ({ path: '/sms/africastalking/inbound', init: { method: 'POST', headers: form, body: 'from=x' } }), status: 401, code: 'unauthorized' },
  { name: 'SMS inbound (AT): missing fields', route: 'POST /sms/africastalking/inbound', request: () => ({ path: '/sms/africastalking/inbound', init: { method: 'POST', headers: withSecret, body: 'from=x' } }), status: 400, code: 'bad_request' },
  { name: 'SMS report (AT): missing fields', route: 'POST /sms/africastalking/dlr', request: () => ({ path: '/sms/africastalking/dlr', init: { method: 'POST', headers: withSecret, body: 'id=x' } }), status: 400, code: 'bad_request' },
  { name: 'SMS inbound (Kannel GET): address outside the allowlist', route: 'GET /sms/kannel/inbound', request: () => ({ path: '/sms/kannel/inbound?from=x', init: { headers: { 'x-test-peer': '203.0.113.7' } } }), status: 403, code: 'forbidden' },
  { name: 'SMS inbound (Kannel POST): missing fields', route: 'POST /sms/kannel/inbound', request: () => ({ path: '/sms/kannel/inbound', init: { method: 'POST', headers: { 'x-test-peer': ALLOWED_PEER, 'content-type': 'text/plain' }, body: 'hello' } }), status: 400, code: 'bad_request' },
  { name: 'SMS report (Kannel): missing fields', route: 'GET /sms/kannel/dlr', request: () => ({ path: '/sms/kannel/dlr?id=x', init: { headers: { 'x-test-peer': ALLOWED_PEER } } }), status: 400, code: 'bad_request' },
  { name: 'notification: no API key', route: 'POST /v1/notifications', request: () => ({ path: '/v1/notifications', init: { method: 'POST', headers: json, body: '{}' } }), status: 401, code: 'unauthorized' },
  { name: 'notification: not JSON', route: 'POST /v1/notifications', request: () => ({ path: '/v1/notifications', init: notify('{') }), status: 400, code: 'bad_request' },
  { name: 'notification: fails the schema', route: 'POST /v1/notifications', request: () => ({ path: '/v1/notifications', init: notify({ to: 1 }) }), status: 400, code: 'bad_request' },
  { name: 'notification: not a Benin number', route: 'POST /v1/notifications', request: () => ({ path: '/v1/notifications', init: notify({ to: '+33612345678', template: 'request_ready', params: {}, idempotencyKey: 'envelope-0001' }) }), status: 400, code: 'bad_request' },
  {
    name: 'notification: too many segments',
    route: 'POST /v1/notifications',
    request: () => ({ path: '/v1/notifications', init: notify({ to: '+2290197000001', template: 'request_ready', params: { requestNumber: 'PS00373-240001', service: '₣'.repeat(200), collectAt: '₣'.repeat(200) }, idempotencyKey: 'envelope-0002' }) }),
    status: 422,
    code: 'too_long',
  },
  {
    name: 'notification: the agency over its rate',
    route: 'POST /v1/notifications',
    request: () => ({ path: '/v1/notifications', init: { ...notify({}), headers: { ...json, 'x-api-key': BUSY_NOTIFY_KEY } } }),
    status: 429,
    code: 'rate_limited',
  },
  { name: 'notification status: no API key', route: 'GET /v1/notifications/:id', request: () => ({ path: '/v1/notifications/x' }), status: 401, code: 'unauthorized' },
  { name: 'notification status: no such notification', route: 'GET /v1/notifications/:id', request: () => ({ path: `/v1/notifications/${crypto.randomUUID()}`, init: { headers: { 'x-api-key': NOTIFY_KEY } } }), status: 404, code: 'not_found' },
  { name: 'notification status: store away (the app’s onError)', route: 'GET /v1/notifications/:id', request: (gw) => ({ path: `/v1/notifications/${gw.unreadable}`, init: { headers: { 'x-api-key': NOTIFY_KEY } } }), status: 503, code: 'unavailable' },
];

/** Routes that never answer an error of their own (only the app-wide ones: body limit, onError). */
const NO_ERROR_ROUTES = ['GET /health', 'GET /livez', 'GET /readyz', 'GET /simulator', 'GET /simulator/menus', 'GET /openapi.json', 'GET /docs'];

describe('the error envelope', () => {
  it('lists each code once, with a status and a meaning', () => {
    expect(new Set(API_ERROR_CODES).size).toBe(API_ERROR_CODES.length);
    for (const code of API_ERROR_CODES) {
      expect(code).toMatch(/^[a-z_]+$/);
      expect(API_ERRORS[code].statuses.length).toBeGreaterThan(0);
      for (const status of API_ERRORS[code].statuses) expect(status >= 400 && status < 600, `${code} ${status}`).toBe(true);
      expect(API_ERRORS[code].meaning.length).toBeGreaterThan(10);
    }
  });

  it.each(BAD_REQUESTS)('$name → $status $code', async (row) => {
    const gw = await envelopeGateway();
    const { path, init } = row.request(gw);
    const res = await gw.app.request(path, init);
    const text = await res.text();
    expect(res.status, text).toBe(row.status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = JSON.parse(text) as { error: string; reason: unknown };
    expect(body.error).toBe(row.code);
    expect(API_ERROR_CODES).toContain(body.error);
    expect(API_ERRORS[row.code].statuses as readonly number[]).toContain(res.status);
    expect(typeof body.reason).toBe('string');
    if (res.status === 503 && row.route?.includes('/payments/')) expect(res.headers.get('retry-after')).toBe('5');
    if (res.status === 429) expect(res.headers.get('retry-after')).toBe('13');
  });

  it('answers every code of the list somewhere in the table (no code kept for nothing)', () => {
    const answered = new Set(BAD_REQUESTS.map((row) => row.code));
    expect(API_ERROR_CODES.filter((code) => !answered.has(code))).toEqual([]);
  });

  it('has a row for every route of the app that can refuse a request', async () => {
    const { app } = await envelopeGateway();
    const routes = new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`));
    const tabled = new Set(BAD_REQUESTS.flatMap((row) => (row.route ? [row.route] : [])));
    expect([...tabled].filter((route) => !routes.has(route)), 'rows naming no route of the app').toEqual([]);
    expect([...routes].filter((route) => !tabled.has(route) && !NO_ERROR_ROUTES.includes(route)), 'routes without a row').toEqual([]);
  });

  it('an HTTPException thrown by a Hono helper is answered in the envelope too', async () => {
    const { app } = await envelopeGateway();
    app.get('/throws/401', () => {
      throw new HTTPException(401, { message: 'helper says no' });
    });
    app.get('/throws/500', () => {
      throw new HTTPException(500);
    });
    const refused = await app.request('/throws/401');
    expect([refused.status, await refused.json()]).toEqual([401, { error: 'unauthorized', reason: 'helper says no' }]);
    const failed = await app.request('/throws/500');
    expect([failed.status, await failed.json()]).toEqual([503, { error: 'unavailable', reason: API_ERRORS.unavailable.meaning }]);
  });

  it('no route builds an error body by hand: errorResponse() is the one way', () => {
    const root = new URL('../../', import.meta.url).pathname;
    // The fake X-Road security server answers as the portal's platform does, not as Guichet.
    const notOurs = new Set(['src/interop/demo-security-server.ts']);
    const files = ['src', 'providers'].flatMap((dir) => sourceFiles(join(root, dir))).filter((file) => !notOurs.has(relative(root, file)));
    const handMade = files.filter((file) => /\.json\(\s*\{\s*error\s*:/.test(readFileSync(file, 'utf8'))).map((file) => relative(root, file));
    expect(handMade).toEqual([]);
  });
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}
