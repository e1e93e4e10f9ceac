import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createNodeGateway, type Gateway } from '../../src/runtime/node/gateway.js';
import { silentLogger } from '../../src/observability/logger.js';
import { MENUS_DIR } from '../../testkit/harness.js';

/**
 * Issue 11, "How it is proven": a property-based fuzz over every public route and dialect of a
 * production-like gateway (a secret on every USSD route, agency keys, report keys, sessions and
 * payments in Redis under a prefix of their own). Whatever the method, path, headers and body:
 * no 5xx, a JSON `{error, reason}` on every 4xx, and a rejected request changes nothing in Redis.
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `fuzz-${process.pid}-${Date.now()}:`;
const DIALECTS = ['africastalking', 'hubtel', 'nalo', 'arkesel', 'mtn-madapi'];
const SECRET = 'fuzz-secret-0123456789';

let gateway: Gateway;
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  const env: Record<string, string> = {
    MENUS_DIR,
    MENUS_WATCH: '0',
    REDIS_URL,
    REDIS_PREFIX: PREFIX,
    SIMULATOR: '0',
    NOTIFY_API_KEYS: 'portail:fuzz-notify-key-0123',
    NOTIFY_HMAC_SECRETS: 'anip:fuzz-hmac-secret-0123',
    REPORT_API_KEYS: 'finance:fuzz-report-key-0123',
    PII_HASH_KEY: 'fuzz-pii-hash-key-0123456789',
    SMS_AFRICASTALKING_CALLBACK_SECRET: SECRET,
    SMS_KANNEL_CALLBACK_SECRET: SECRET,
  };
  for (const dialect of DIALECTS) env[`USSD_${dialect.toUpperCase().replace(/-/g, '_')}_SECRET`] = SECRET;
  gateway = await createNodeGateway(loadConfig(env), silentLogger);
});

afterAll(async () => {
  await gateway?.close();
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

/**
 * What Redis holds under this gateway's prefix, values included, except BullMQ's own bookkeeping
 * (its workers touch their meta and stalled-check keys on a timer, whatever the requests do).
 */
async function fingerprint(): Promise<string> {
  const keys = (await redis.keys(`${PREFIX}*`)).filter((k) => !/:(stalled-check|meta|events|marker)$/.test(k)).sort();
  const dumps = await Promise.all(keys.map((k) => redis.dumpBuffer(k)));
  return keys.map((k, i) => `${k}=${dumps[i]?.toString('base64') ?? ''}`).join('\n');
}

const phone = fc.constantFrom('+2290197000001', '2290197000001', '0197000001', '+2290166000002', '', '+33612345678', 'x');
const nasty = fc.constantFrom('__proto__', 'constructor', 'prototype', 'STOP', 'ARRET', 'LANGUE EN', 'STATUT PS00373-240001', 'PS00373-240001', '1*PS00373-240001', "'; DROP", '%00', '\u0000', 'é'.repeat(70), '*123#', 'open', 'day:2026-12-02', 'x'.repeat(2000));
const value = fc.oneof(nasty, phone, fc.string({ maxLength: 40 }), fc.integer().map(String));
const fieldName = fc.constantFrom(
  'sessionId', 'serviceCode', 'phoneNumber', 'networkCode', 'text', 'from', 'to', 'id', 'status', 'type', 'date', 'linkId',
  'Type', 'Mobile', 'SessionId', 'Message', 'Sequence', 'USERID', 'MSISDN', 'USERDATA', 'MSGTYPE', 'sessionID', 'newSession',
  'msisdn', 'userData', 'messageType', 'ussdString', 'externalId', 'transactionId', 'template', 'params', 'idempotencyKey',
  '__proto__', 'constructor', 'secret',
);
const fields = fc.dictionary(fieldName, value, { maxKeys: 8 });

const route = fc.oneof(
  fc.constantFrom(...DIALECTS).map((d) => ({ method: 'POST', path: `/ussd/${d}` })),
  fc.constant({ method: 'POST', path: '/ussd/africastalking/session-end' }),
  fc.constantFrom('/sms/africastalking/inbound', '/sms/africastalking/dlr', '/sms/kannel/inbound').map((path) => ({ method: 'POST', path })),
  fc.constantFrom('/sms/kannel/inbound', '/sms/kannel/dlr').map((path) => ({ method: 'GET', path })),
  fc.constant({ method: 'POST', path: '/v1/notifications' }),
  fc.oneof(fc.uuid(), nasty).map((id) => ({ method: 'GET', path: `/v1/notifications/${encodeURIComponent(id)}` })),
  fc.tuple(fc.constantFrom('POST', 'PUT'), fc.constantFrom('sandbox', 'mtn-momo', 'fedapay', 'kkiapay', 'moov-money', '__proto__', 'nope')).map(([method, p]) => ({ method, path: `/payments/${p}/callback` })),
  fc.constantFrom('/v1/payments/report', '/v1/payments/report?date=2026-12-02', '/v1/payments/report?date=__proto__').map((path) => ({ method: 'GET', path })),
  fc.constantFrom('/health', '/livez', '/readyz', '/simulator', '/nope', '/ussd', '/ussd/__proto__').map((path) => ({ method: 'GET', path })),
);

const request = fc.record({
  route,
  encoding: fc.constantFrom('form', 'json', 'raw', 'query'),
  fields,
  raw: fc.string({ maxLength: 300 }),
  // Header values as HTTP can carry them (printable ASCII): anything else never reaches a server.
  headers: fc.dictionary(fc.constantFrom('x-guichet-secret', 'x-api-key', 'x-agency', 'x-guichet-signature', 'x-fedapay-signature', 'x-kkiapay-secret', 'x-forwarded-for'), value.filter((v) => /^[\x20-\x7e]*$/.test(v)), { maxKeys: 3 }),
});

describe('fuzz of every public route (production-like configuration)', () => {
  it('never a 5xx, a JSON reason on every 4xx, nothing changed by a rejected request', async () => {
    await fc.assert(
      fc.asyncProperty(request, async ({ route: { method, path }, encoding, fields: f, raw, headers }) => {
        const plain = Object.fromEntries(Object.entries(f));
        let url = path;
        let body: string | undefined;
        const sent: Record<string, string> = { ...Object.fromEntries(Object.entries(headers)) };
        if (method === 'GET' || encoding === 'query') {
          url += (url.includes('?') ? '&' : '?') + new URLSearchParams(plain).toString();
        } else if (encoding === 'form') {
          body = new URLSearchParams(plain).toString();
          sent['content-type'] = 'application/x-www-form-urlencoded';
        } else if (encoding === 'json') {
          body = JSON.stringify(plain);
          sent['content-type'] = 'application/json';
        } else {
          body = raw;
          sent['content-type'] = 'text/plain';
        }
        const before = await fingerprint();
        const res = await gateway.app.request(url, { method, headers: sent, ...(body === undefined ? {} : { body }) });
        const text = await res.text();
        expect(res.status, `${method} ${url} → ${res.status} ${text.slice(0, 200)}`).toBeLessThan(500);
        if (res.status >= 400) {
          expect(res.headers.get('content-type') ?? '', `${method} ${url}`).toMatch(/^application\/json/);
          const reason = JSON.parse(text) as { error?: unknown; reason?: unknown };
          expect(typeof reason.error, `${method} ${url}: ${text}`).toBe('string');
          expect(typeof reason.reason, `${method} ${url}: ${text}`).toBe('string');
          expect(await fingerprint(), `${method} ${url} was refused (${res.status}) yet changed Redis`).toBe(before);
        }
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 300), seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined },
    );
  }, 120_000);
});
