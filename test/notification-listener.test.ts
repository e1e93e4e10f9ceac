/**
 * The Node runtime answers `POST /v1/notifications` straight from node:http
 * (`src/runtime/node/notification-listener.ts`) instead of through Hono. An agency must not be able
 * to tell: every request below goes, in the same order, to two gateways built from one
 * configuration on one Redis (each under its own prefix), one served by Hono only and one by the
 * direct listener. Status, headers and body must match byte for byte, once the ids and times each
 * gateway makes for itself are set aside; so must the audit entries both write. Requests the
 * listener does not take (other methods, paths) go to Hono behind it: the same there too.
 */
import type { ServerType } from '@hono/node-server';
import { Redis } from 'ioredis';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { hmacHex } from '../src/lib/secrets.js';
import { createNodeGateway, type Gateway } from '../src/runtime/node/gateway.js';
import { deleteKeysUnder } from '../testkit/redis-keys.js';
import { sendWire, serveGateway, type WireAnswer as Seen, type WireRequest } from '../testkit/wire-request.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const JSON_TYPE = 'application/json';
const KEY = 'listener-key-0123456789';
const HMAC = 'listener-hmac-secret';
const OPTED_OUT = '+2290196000077';
/** Every agency may post this many a minute: the table stays under it, the rate case goes over it. */
const RATE = 40;

interface Sent extends Omit<WireRequest, 'path'> {
  name: string;
  /** `/v1/notifications` unless said. */
  path?: string;
  /**
   * The answer is a notification that a background worker may have moved on by then (sent,
   * delivered): its status, history and update time are left out of the comparison.
   */
  moving?: boolean;
}

const notification = (over: Record<string, unknown> = {}) =>
  JSON.stringify({ to: '+2290197000001', template: 'request_ready', params: { requestNumber: 'PS00373-240001', service: 'Extrait', collectAt: 'CCSP Cotonou 1' }, idempotencyKey: 'listener-0001', ...over });
const keyed = { 'x-api-key': KEY };
const sign = async (t: number, body: string, secret = HMAC) => `t=${t},s=${await hmacHex(secret, `${t}.${body}`)}`;
const now = () => Math.floor(Date.now() / 1000);

async function table(): Promise<Sent[]> {
  const signedBody = notification({ idempotencyKey: 'listener-signed-1' });
  return [
    { name: 'a new notification', contentType: JSON_TYPE, headers: keyed, body: notification() },
    { name: 'the same idempotency key again', contentType: JSON_TYPE, headers: keyed, body: notification(), moving: true },
    { name: 'the same key with another body: the first notification', contentType: JSON_TYPE, headers: keyed, body: notification({ template: 'fee_due', params: { requestNumber: 'PS00373-240001', amountXof: 1900 } }), moving: true },
    { name: 'in English, asked', contentType: JSON_TYPE, headers: keyed, body: notification({ idempotencyKey: 'listener-0002', language: 'en' }) },
    { name: 'the number spelled 229…', contentType: JSON_TYPE, headers: keyed, body: notification({ idempotencyKey: 'listener-0003', to: '2290197000002' }) },
    { name: 'a query string on the path', path: '/v1/notifications?source=portail', contentType: JSON_TYPE, headers: keyed, body: notification({ idempotencyKey: 'listener-0004' }) },
    { name: 'no content type (the route reads any)', headers: keyed, body: notification({ idempotencyKey: 'listener-0005' }) },
    { name: 'text/plain content type', contentType: 'text/plain', headers: keyed, body: notification({ idempotencyKey: 'listener-0006' }) },
    { name: 'a body starting with a BOM', contentType: JSON_TYPE, headers: keyed, body: `\ufeff${notification({ idempotencyKey: 'listener-0007' })}` },
    { name: 'sent chunked', contentType: JSON_TYPE, headers: keyed, body: notification({ idempotencyKey: 'listener-0008' }), chunked: true },
    { name: 'ussd-push channel', contentType: JSON_TYPE, headers: keyed, body: notification({ idempotencyKey: 'listener-0009', channel: 'ussd-push' }), moving: true },
    { name: 'an opted-out number: recorded, not sent', contentType: JSON_TYPE, headers: keyed, body: notification({ idempotencyKey: 'listener-0010', to: OPTED_OUT }) },
    { name: 'the opted-out number again', contentType: JSON_TYPE, headers: keyed, body: notification({ idempotencyKey: 'listener-0010', to: OPTED_OUT }) },
    { name: 'signed (HMAC of t.body)', contentType: JSON_TYPE, headers: { 'x-agency': 'portail', 'x-guichet-signature': await sign(now(), signedBody) }, body: signedBody },
    { name: 'signed with the wrong secret', contentType: JSON_TYPE, headers: { 'x-agency': 'portail', 'x-guichet-signature': await sign(now(), signedBody, 'nope') }, body: signedBody },
    { name: 'signed 10 minutes ago', contentType: JSON_TYPE, headers: { 'x-agency': 'portail', 'x-guichet-signature': await sign(now() - 600, signedBody) }, body: signedBody },
    { name: 'a signature without x-agency', contentType: JSON_TYPE, headers: { 'x-guichet-signature': await sign(now(), signedBody) }, body: signedBody },
    { name: 'a signature naming another agency', contentType: JSON_TYPE, headers: { 'x-agency': 'anip', 'x-guichet-signature': await sign(now(), signedBody) }, body: signedBody },
    { name: 'a signature over another body', contentType: JSON_TYPE, headers: { 'x-agency': 'portail', 'x-guichet-signature': await sign(now(), signedBody) }, body: notification({ idempotencyKey: 'listener-0011' }) },
    { name: 'no credentials', contentType: JSON_TYPE, body: notification({ idempotencyKey: 'listener-0012' }) },
    { name: 'a wrong API key', contentType: JSON_TYPE, headers: { 'x-api-key': 'wrong-key-0123456789' }, body: notification({ idempotencyKey: 'listener-0013' }) },
    { name: 'invalid JSON', contentType: JSON_TYPE, headers: keyed, body: '{"to":' },
    { name: 'an empty body', contentType: JSON_TYPE, headers: keyed, body: '' },
    { name: 'a JSON array', contentType: JSON_TYPE, headers: keyed, body: '[1,2]' },
    { name: 'no recipient', contentType: JSON_TYPE, headers: keyed, body: JSON.stringify({ template: 'request_ready', params: {}, idempotencyKey: 'listener-0014' }) },
    { name: 'an unknown template', contentType: JSON_TYPE, headers: keyed, body: notification({ idempotencyKey: 'listener-0015', template: 'nope' }) },
    { name: 'a field the schema does not know', contentType: JSON_TYPE, headers: keyed, body: notification({ idempotencyKey: 'listener-0016', priority: 'high' }) },
    { name: 'an idempotency key too short', contentType: JSON_TYPE, headers: keyed, body: notification({ idempotencyKey: 'short' }) },
    { name: 'a Ghanaian number', contentType: JSON_TYPE, headers: keyed, body: notification({ idempotencyKey: 'listener-0017', to: '+233244000000' }) },
    { name: 'invalid UTF-8 in the number', contentType: JSON_TYPE, headers: keyed, body: Buffer.concat([Buffer.from('{"to":"+22901970'), Buffer.from([0xff, 0xfe]), Buffer.from('0001","template":"request_ready","idempotencyKey":"listener-0018"}')]) },
    { name: 'a text over 6 segments (422)', contentType: JSON_TYPE, headers: keyed, body: notification({ idempotencyKey: 'listener-0019', params: { requestNumber: '中'.repeat(200), service: '中'.repeat(200), collectAt: '中'.repeat(200) } }) },
    { name: 'a declared body over 8 KB', contentType: JSON_TYPE, headers: keyed, body: notification({ idempotencyKey: 'listener-0020', params: { filler: 'a'.repeat(9000) } }) },
    { name: 'a chunked body over 8 KB', contentType: JSON_TYPE, headers: keyed, body: 'a'.repeat(9000), chunked: true },
    { name: 'GET on the POST route (Hono decides)', method: 'GET', headers: keyed },
    { name: 'PUT (Hono decides)', method: 'PUT', contentType: JSON_TYPE, headers: keyed, body: notification({ idempotencyKey: 'listener-0021' }) },
    { name: 'a trailing slash (Hono decides)', path: '/v1/notifications/', contentType: JSON_TYPE, headers: keyed, body: notification({ idempotencyKey: 'listener-0022' }) },
    { name: 'health', method: 'GET', path: '/health' },
  ];
}


const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g;

/** The answer with what each gateway makes for itself (ids, times) replaced by placeholders. */
/** The notification route's path unless the request names another. */
const send = (url: string, sent: Sent): Promise<Seen> => sendWire(url, { ...sent, path: sent.path ?? '/v1/notifications' });

function comparable(seen: Seen, moving: boolean): Seen {
  const headers = { ...seen.headers };
  if (headers['x-request-id'] !== undefined) {
    expect(headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    headers['x-request-id'] = '<request id>';
  }
  let body = seen.body.replace(UUID, '<uuid>').replace(TIME, '<time>');
  if (moving && seen.status < 300) {
    const { status: _status, history: _history, updatedAt: _updated, push: _push, ...fixed } = JSON.parse(body) as Record<string, unknown>;
    body = JSON.stringify(fixed);
  }
  return { status: seen.status, headers, body };
}

describe('POST /v1/notifications answered straight from node:http, as Hono answers it', () => {
  const run = `${process.pid}-${Date.now()}`;
  const dir = mkdtempSync(join(tmpdir(), 'guichet-notify-listener-'));
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const gateways: Gateway[] = [];
  const servers: ServerType[] = [];
  const sides = { hono: { url: '', prefix: `nl-hono-${run}:`, auditFile: join(dir, 'hono.jsonl') }, direct: { url: '', prefix: `nl-direct-${run}:`, auditFile: join(dir, 'direct.jsonl') } };

  beforeAll(async () => {
    for (const [name, side] of Object.entries(sides)) {
      await redis.set(`${side.prefix}optout:${OPTED_OUT}`, new Date().toISOString());
      const config = loadConfig({
        MENUS_WATCH: '0',
        LOG_LEVEL: 'silent',
        PII_HASH_KEY: 'listener-test-key',
        REDIS_URL,
        REDIS_PREFIX: side.prefix,
        NOTIFY_API_KEYS: `portail:${KEY},anip:anip-key-0123456789`,
        NOTIFY_HMAC_SECRETS: `portail:${HMAC}`,
        NOTIFY_RATE_PER_MINUTE: String(RATE),
        AUDIT_LOG_FILE: side.auditFile,
      });
      const gateway = await createNodeGateway(config, pino({ level: 'silent' }));
      const { url, server } = await serveGateway(gateway, name === 'direct');
      gateways.push(gateway);
      servers.push(server);
      side.url = url;
    }
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    await Promise.all(gateways.map((gateway) => gateway.close()));
    for (const side of Object.values(sides)) await deleteKeysUnder(redis, side.prefix);
    await redis.quit();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every request of the table alike, in order, and writes the same audit entries', async () => {
    const requestIds: string[] = [];
    for (const sent of await table()) {
      const [hono, node] = [await send(sides.hono.url, sent), await send(sides.direct.url, sent)];
      if (node.headers['x-request-id']) requestIds.push(node.headers['x-request-id']);
      expect({ request: sent.name, ...comparable(node, sent.moving ?? false) }).toEqual({ request: sent.name, ...comparable(hono, sent.moving ?? false) });
    }
    const entries = (file: string) =>
      readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { time: string; requestId: string; target?: string });
    const [viaHono, direct] = [entries(sides.hono.auditFile), entries(sides.direct.auditFile)];
    const blind = (e: { time: string; requestId: string; target?: string }) => ({ ...e, time: '<time>', requestId: '<id>', ...(e.target ? { target: '<uuid>' } : {}) });
    expect(direct.map(blind)).toEqual(viaHono.map(blind));
    // Each audited answer names its entry: the direct path's request ids are its entries', in order.
    expect(direct.map((e) => e.requestId)).toEqual(requestIds);
  });

  it('the answers are the ones an agency expects (the comparison above is not between two broken answers)', async () => {
    const created = await send(sides.direct.url, { name: 'new', contentType: JSON_TYPE, headers: keyed, body: notification({ idempotencyKey: 'listener-check-1' }) });
    expect(created.status).toBe(202);
    expect(created.headers).toMatchObject({ 'content-type': 'application/json', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' });
    expect(JSON.parse(created.body)).toMatchObject({ to: '+2290197****01', status: 'queued', channel: 'sms', segments: 1 });
    const again = await send(sides.direct.url, { name: 'again', contentType: JSON_TYPE, headers: keyed, body: notification({ idempotencyKey: 'listener-check-1' }) });
    expect(again.status).toBe(200);
    expect((JSON.parse(again.body) as { id: string }).id).toBe((JSON.parse(created.body) as { id: string }).id);
    const optedOut = await send(sides.direct.url, { name: 'stop', contentType: JSON_TYPE, headers: keyed, body: notification({ idempotencyKey: 'listener-check-2', to: OPTED_OUT }) });
    expect(JSON.parse(optedOut.body)).toMatchObject({ status: 'failed', history: [{ status: 'failed', detail: 'opted out: not sent' }] });
    expect(await send(sides.direct.url, { name: 'no key', contentType: JSON_TYPE, body: notification() })).toMatchObject({ status: 401, body: '{"error":"unauthorized","reason":"missing or wrong API key or signature"}' });
    const oversize = await send(sides.direct.url, { name: 'big', contentType: JSON_TYPE, headers: keyed, body: 'a'.repeat(9000), chunked: true });
    expect(oversize).toMatchObject({ status: 413, body: '{"error":"payload_too_large","reason":"body over 8192 bytes"}' });
    expect(oversize.headers['x-request-id']).toBeUndefined();
  });

  it('refuses an agency over its rate alike (429, Retry-After)', async () => {
    const flood = { 'x-api-key': 'anip-key-0123456789' };
    const answers: Record<'hono' | 'direct', Seen[]> = { hono: [], direct: [] };
    for (let i = 0; i <= RATE; i++) {
      const sent: Sent = { name: `anip ${i}`, contentType: JSON_TYPE, headers: flood, body: notification({ idempotencyKey: `listener-anip-${i}`, to: OPTED_OUT }) };
      answers.hono.push(await send(sides.hono.url, sent));
      answers.direct.push(await send(sides.direct.url, sent));
    }
    const last = { hono: answers.hono.at(-1)!, direct: answers.direct.at(-1)! };
    expect(last.direct.status).toBe(429);
    // The seconds to wait are the window's, which each gateway reads at its own instant.
    const seconds = (seen: Seen) => ({ ...comparable(seen, false), body: seen.body.replace(/\d+ s|"retryAfterSeconds":\d+/g, '<s>'), headers: { ...comparable(seen, false).headers, 'retry-after': '<s>' } });
    expect(seconds(last.direct)).toEqual(seconds(last.hono));
    expect(answers.direct.slice(0, RATE).map((a) => a.status)).toEqual(answers.hono.slice(0, RATE).map((a) => a.status));
  });
});
