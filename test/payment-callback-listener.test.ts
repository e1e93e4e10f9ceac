/**
 * The Node runtime answers payment providers' callbacks (`POST|PUT /payments/<provider>/callback`)
 * straight from node:http (`src/runtime/node/payment-callback-listener.ts`) instead of through Hono
 * (issue 18 part 2). A provider must not be able to tell: every request below goes, in the same
 * order, to two gateways built from one configuration on one Redis (each under its own prefix, each
 * holding the same payments), one served by Hono only and one by the direct listener. Status,
 * headers and body must match byte for byte. Requests the listener does not take (other methods,
 * odd paths) go to Hono behind it: the same there too. MoMo's callbacks are hints (unsigned);
 * FedaPay's are signed webhooks (the fixtures' transaction and event shapes).
 */
import type { ServerType } from '@hono/node-server';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEDAPAY_TRANSACTION, fedapayEvent } from '../providers/fedapay/fixtures.js';
import { momoCallbackBody } from '../providers/mtn-momo/fixtures.js';
import { loadConfig } from '../src/config.js';
import { RedisPaymentStore } from '../src/payments/store/redis.js';
import { DEMO_MSISDN } from '../src/portal/demo.js';
import { createNodeGateway, type Gateway } from '../src/runtime/node/gateway.js';
import { FAKE_FEDAPAY_SECRET_KEY, FAKE_FEDAPAY_WEBHOOK_SECRET, fedapaySignature, startFakeFedapay, type FakeFedapay } from '../testkit/fakes/fedapay.js';
import { fakeMomoEnv, startFakeMomo, type FakeMomo } from '../testkit/fakes/momo.js';
import { deleteKeysUnder } from '../testkit/redis-keys.js';
import { sendWire, serveGateway, type WireAnswer as Seen, type WireRequest } from '../testkit/wire-request.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const JSON_TYPE = 'application/json';
/** Payments both gateways hold: MoMo's, pending (its hints are queued), and one of FedaPay's. */
const MOMO_PAYMENT = '2f6b1c3e-4a5d-4e7f-8a9b-0c1d2e3f4a5b';
const OTHER_MOMO_PAYMENT = '8d7c6b5a-4f3e-4d2c-9b1a-0f9e8d7c6b5a';
const FEDAPAY_PAYMENT = '5e4d3c2b-1a0f-4e9d-8c7b-6a5f4e3d2c1b';

interface Sent extends Omit<WireRequest, 'path'> {
  name: string;
  /** `/payments/mtn-momo/callback` unless said. */
  path?: string;
}

const momoHint = (paymentId: string, status = 'SUCCESSFUL') => JSON.stringify(momoCallbackBody(paymentId, status));
const fedapayWebhook = (paymentId: string, status = 'approved') => JSON.stringify(fedapayEvent(`transaction.${status}`, { ...FEDAPAY_TRANSACTION, status, custom_metadata: { payment_id: paymentId } }));
const signed = (body: string) => ({ 'x-fedapay-signature': fedapaySignature(body, FAKE_FEDAPAY_WEBHOOK_SECRET, Date.now()) });

function table(): Sent[] {
  const fedapayForUnknown = fedapayWebhook('9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d');
  const fedapayForOurs = fedapayWebhook(FEDAPAY_PAYMENT, 'declined');
  return [
    { name: 'a MoMo hint for a pending payment (PUT, as MoMo sends it)', method: 'PUT', contentType: JSON_TYPE, body: momoHint(MOMO_PAYMENT) },
    { name: 'the same hint again, at once (a duplicate)', method: 'PUT', contentType: JSON_TYPE, body: momoHint(MOMO_PAYMENT) },
    { name: 'a hint by POST', contentType: JSON_TYPE, body: momoHint(OTHER_MOMO_PAYMENT, 'FAILED') },
    { name: 'a query string on the path', method: 'PUT', path: '/payments/mtn-momo/callback?source=momo', contentType: JSON_TYPE, body: momoHint(MOMO_PAYMENT) },
    { name: 'sent chunked', method: 'PUT', contentType: JSON_TYPE, body: momoHint(MOMO_PAYMENT), chunked: true },
    { name: 'no content type', method: 'PUT', body: momoHint(MOMO_PAYMENT) },
    { name: 'a body starting with a BOM', method: 'PUT', contentType: JSON_TYPE, body: `\ufeff${momoHint(MOMO_PAYMENT)}` },
    { name: 'a hint for a payment nobody made', method: 'PUT', contentType: JSON_TYPE, body: momoHint('0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d') },
    { name: 'a hint for FedaPay’s payment, sent to MoMo’s route', method: 'PUT', contentType: JSON_TYPE, body: momoHint(FEDAPAY_PAYMENT) },
    { name: 'an id that is not ours (not a UUID)', method: 'PUT', contentType: JSON_TYPE, body: momoHint('PS00373-240001') },
    { name: 'an id with a key pattern in it', method: 'PUT', contentType: JSON_TYPE, body: momoHint('pay:*') },
    { name: 'invalid JSON', method: 'PUT', contentType: JSON_TYPE, body: '{"externalId":' },
    { name: 'an empty body', method: 'PUT', contentType: JSON_TYPE, body: '' },
    { name: 'a JSON array', method: 'PUT', contentType: JSON_TYPE, body: '[1,2]' },
    { name: 'invalid UTF-8 in the id', method: 'PUT', contentType: JSON_TYPE, body: Buffer.concat([Buffer.from('{"externalId":"2f6b1c3e-4a5d-4e7f-8a9b-'), Buffer.from([0xff, 0xfe]), Buffer.from('0c1d2e3f4a5b","status":"SUCCESSFUL"}')]) },
    { name: 'FedaPay, signed, for a payment nobody made', path: '/payments/fedapay/callback', contentType: JSON_TYPE, headers: signed(fedapayForUnknown), body: fedapayForUnknown },
    { name: 'FedaPay, signed, declining our payment', path: '/payments/fedapay/callback', contentType: JSON_TYPE, headers: signed(fedapayForOurs), body: fedapayForOurs },
    { name: 'FedaPay, signature header with capitals in its name', path: '/payments/fedapay/callback', contentType: JSON_TYPE, headers: { 'X-FedaPay-Signature': signed(fedapayForOurs)['x-fedapay-signature'] }, body: fedapayForOurs },
    { name: 'FedaPay, unsigned', path: '/payments/fedapay/callback', contentType: JSON_TYPE, body: fedapayForOurs },
    { name: 'FedaPay, signed over another body', path: '/payments/fedapay/callback', contentType: JSON_TYPE, headers: signed(fedapayForUnknown), body: fedapayForOurs },
    { name: 'FedaPay, a malformed signature', path: '/payments/fedapay/callback', contentType: JSON_TYPE, headers: { 'x-fedapay-signature': 'garbage' }, body: fedapayForOurs },
    { name: 'a provider that takes no callbacks (the sandbox)', path: '/payments/sandbox/callback', contentType: JSON_TYPE, body: momoHint(MOMO_PAYMENT) },
    { name: 'a provider nobody configured', path: '/payments/kkiapay/callback', contentType: JSON_TYPE, body: momoHint(MOMO_PAYMENT) },
    { name: 'a declared body over 8 KB', method: 'PUT', contentType: JSON_TYPE, body: JSON.stringify({ ...momoCallbackBody(MOMO_PAYMENT, 'SUCCESSFUL'), filler: 'a'.repeat(9000) }) },
    { name: 'a chunked body over 8 KB', method: 'PUT', contentType: JSON_TYPE, body: 'a'.repeat(9000), chunked: true },
    { name: 'GET on the route (Hono decides)', method: 'GET' },
    { name: 'PATCH (Hono decides)', method: 'PATCH', contentType: JSON_TYPE, body: momoHint(MOMO_PAYMENT) },
    { name: 'a trailing slash (Hono decides)', method: 'PUT', path: '/payments/mtn-momo/callback/', contentType: JSON_TYPE, body: momoHint(MOMO_PAYMENT) },
    { name: 'capitals in the provider (Hono decides)', method: 'PUT', path: '/payments/MTN-MOMO/callback', contentType: JSON_TYPE, body: momoHint(MOMO_PAYMENT) },
    { name: 'an escape in the provider (Hono decides)', method: 'PUT', path: '/payments/mtn%2Dmomo/callback', contentType: JSON_TYPE, body: momoHint(MOMO_PAYMENT) },
    { name: 'health', method: 'GET', path: '/health' },
  ];
}

const send = (url: string, sent: Sent): Promise<Seen> => sendWire(url, { ...sent, path: sent.path ?? '/payments/mtn-momo/callback' });

describe('payment callbacks answered straight from node:http, as Hono answers them', () => {
  const run = `${process.pid}-${Date.now()}`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const gateways: Gateway[] = [];
  const servers: ServerType[] = [];
  const sides = { hono: { url: '', prefix: `pcl-hono-${run}:` }, direct: { url: '', prefix: `pcl-direct-${run}:` } };
  let momo: FakeMomo;
  let fedapay: FakeFedapay;

  beforeAll(async () => {
    momo = await startFakeMomo();
    fedapay = await startFakeFedapay({ webhookSecret: FAKE_FEDAPAY_WEBHOOK_SECRET });
    for (const [name, side] of Object.entries(sides)) {
      const store = new RedisPaymentStore(redis, side.prefix);
      const now = Date.now();
      const payment = (id: string, provider: string, requestNumber: string) => ({
        id, requestNumber, amountXof: 1900, payerMsisdn: DEMO_MSISDN, operator: provider === 'fedapay' ? 'MOOV' : 'MTN', provider,
        createdAt: new Date(now).toISOString(), expiresAt: new Date(now + 600_000).toISOString(),
      });
      for (const [id, provider, request] of [[MOMO_PAYMENT, 'mtn-momo', 'PS00373-240001'], [OTHER_MOMO_PAYMENT, 'mtn-momo', 'PS00373-240002'], [FEDAPAY_PAYMENT, 'fedapay', 'PS00150-240004']] as const) {
        await store.create(payment(id, provider, request));
        await store.transition(id, { to: 'pending', at: new Date(now).toISOString(), reason: 'request: pending', code: 'provider_pending' });
      }
      const config = loadConfig({
        MENUS_WATCH: '0',
        LOG_LEVEL: 'silent',
        PII_HASH_KEY: 'listener-test-key',
        REDIS_URL,
        REDIS_PREFIX: side.prefix,
        PAYMENT_PROVIDER: 'mtn-momo',
        PAYMENT_ROUTES: 'MOOV=fedapay',
        ...fakeMomoEnv(momo.baseUrl),
        MOMO_CALLBACK_URL: 'https://guichet.example.bj/payments/mtn-momo/callback',
        FEDAPAY_BASE_URL: fedapay.baseUrl,
        FEDAPAY_SECRET_KEY: FAKE_FEDAPAY_SECRET_KEY,
        FEDAPAY_WEBHOOK_SECRET: FAKE_FEDAPAY_WEBHOOK_SECRET,
      });
      const gateway = await createNodeGateway(config, pino({ level: 'silent' }));
      const { url, server } = await serveGateway(gateway, name === 'direct');
      gateways.push(gateway);
      servers.push(server);
      side.url = url;
    }
  });
  afterAll(async () => {
    // The gateways' BullMQ workers started a moment ago: one closed while still starting was seen to
    // reject a command of its own unhandled (its blocking connection's), so they are left to settle.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    await Promise.all(gateways.map((gateway) => gateway.close()));
    for (const side of Object.values(sides)) await deleteKeysUnder(redis, side.prefix);
    await redis.quit();
    await momo.close();
    await fedapay.close();
  });

  it('answers every request of the table alike, in order', async () => {
    for (const sent of table()) {
      const [hono, node] = [await send(sides.hono.url, sent), await send(sides.direct.url, sent)];
      expect({ request: sent.name, ...node }).toEqual({ request: sent.name, ...hono });
    }
  });

  it('the answers are the ones a provider expects (the comparison above is not between two broken answers)', async () => {
    const queued = await send(sides.direct.url, { name: 'hint', method: 'PUT', contentType: JSON_TYPE, body: momoHint(MOMO_PAYMENT) });
    expect(queued.status).toBe(202);
    expect(queued.headers).toMatchObject({ 'content-type': 'application/json', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' });
    expect(JSON.parse(queued.body)).toEqual({ paymentId: MOMO_PAYMENT, queued: true });
    expect(await send(sides.direct.url, { name: 'not ours', method: 'PUT', contentType: JSON_TYPE, body: momoHint('PS00373-240001') })).toMatchObject({ status: 400, body: '{"error":"bad_request","reason":"not a payment id of ours"}' });
    const unsigned = await send(sides.direct.url, { name: 'unsigned', path: '/payments/fedapay/callback', contentType: JSON_TYPE, body: fedapayWebhook(FEDAPAY_PAYMENT) });
    expect(unsigned.status).toBe(401);
    const body = fedapayWebhook(FEDAPAY_PAYMENT, 'declined');
    const declined = await send(sides.direct.url, { name: 'declined', path: '/payments/fedapay/callback', contentType: JSON_TYPE, headers: signed(body), body });
    expect(declined.status).toBe(200);
    expect(JSON.parse(declined.body)).toEqual({ paymentId: FEDAPAY_PAYMENT, state: 'failed' });
    expect(await send(sides.direct.url, { name: 'big', method: 'PUT', contentType: JSON_TYPE, body: 'a'.repeat(9000), chunked: true })).toMatchObject({ status: 413, body: '{"error":"payload_too_large","reason":"body over 8192 bytes"}' });
  });
});
