/**
 * The Node runtime answers USSD requests straight from node:http (`src/runtime/node/ussd-listener.ts`)
 * instead of through Hono. A provider must not be able to tell: every request below goes, in the
 * same order, to two gateways built from one configuration, one served by Hono only and one by the
 * direct listener, and both answers must match byte for byte (status, content type, the security
 * headers, body). Requests the direct listener does not take (other paths, methods, provider
 * names) go to Hono behind it: the same there too.
 */
import type { ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createNodeGateway, type Gateway } from '../src/runtime/node/gateway.js';
import { pino } from 'pino';
import { sendWire, serveGateway, type WireAnswer, type WireRequest } from '../testkit/wire-request.js';

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
const SECRET = 'madapi-test-secret';

interface Sent extends WireRequest {
  name: string;
}

const send = (url: string, sent: Sent): Promise<WireAnswer> => sendWire(url, sent);

const at = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const AT_FIELDS = { sessionId: 'ATUid_listener_1', serviceCode: '*123#', phoneNumber: '+2290197000001', networkCode: '61602' };

/** Wire payloads as the providers send them (Africa's Talking form posts, Hubtel JSON; providers/*\/fixtures.ts). */
const REQUESTS: Sent[] = [
  { name: 'AT opening hop', path: '/ussd/africastalking', contentType: FORM, body: at({ ...AT_FIELDS, text: '' }) },
  { name: 'AT second hop', path: '/ussd/africastalking', contentType: FORM, body: at({ ...AT_FIELDS, text: '1' }) },
  { name: 'AT retransmission of the second hop', path: '/ussd/africastalking', contentType: FORM, body: at({ ...AT_FIELDS, text: '1' }) },
  { name: 'AT last hop (portal lookup)', path: '/ussd/africastalking', contentType: FORM, body: at({ ...AT_FIELDS, text: '1*PS00373-240001' }) },
  { name: 'AT hop from another number on that session', path: '/ussd/africastalking', contentType: FORM, body: at({ ...AT_FIELDS, phoneNumber: '+2290196000009', text: '1*PS00373-240001*1' }) },
  { name: 'AT hop with a query string', path: '/ussd/africastalking?src=at', contentType: FORM, body: at({ ...AT_FIELDS, sessionId: 'ATUid_listener_2', text: '' }) },
  { name: 'AT session end notification', path: '/ussd/africastalking/session-end', contentType: FORM, body: at({ sessionId: 'ATUid_listener_2', status: 'Incomplete' }) },
  { name: 'AT session end with an unknown status', path: '/ussd/africastalking/session-end', contentType: FORM, body: at({ sessionId: 'ATUid_listener_2', status: 'Maybe' }) },
  { name: 'AT hop sent chunked', path: '/ussd/africastalking', contentType: FORM, body: at({ ...AT_FIELDS, sessionId: 'ATUid_listener_3', text: '' }), chunked: true },
  { name: 'missing phoneNumber', path: '/ussd/africastalking', contentType: FORM, body: at({ sessionId: 'x', serviceCode: '*123#', text: '' }) },
  { name: 'a Ghanaian number', path: '/ussd/africastalking', contentType: FORM, body: at({ ...AT_FIELDS, sessionId: 'gh', phoneNumber: '+233244000000', text: '' }) },
  { name: 'JSON to the form route', path: '/ussd/africastalking', contentType: JSON_TYPE, body: '{"sessionId":"x"}' },
  { name: 'no content type', path: '/ussd/africastalking', body: at({ ...AT_FIELDS, text: '' }) },
  { name: 'body not UTF-8', path: '/ussd/africastalking', contentType: FORM, body: Buffer.from([0x73, 0x65, 0xff, 0xfe]) },
  { name: 'declared body over 8 KB', path: '/ussd/africastalking', contentType: FORM, body: 'a'.repeat(9000) },
  { name: 'chunked body over 8 KB', path: '/ussd/africastalking', contentType: FORM, body: 'a'.repeat(9000), chunked: true },
  {
    name: 'Hubtel initiation',
    path: '/ussd/hubtel',
    contentType: JSON_TYPE,
    body: '{"Type":"Initiation","Mobile":"2290197000001","SessionId":"3c796dac28174f739de4262d08409c51","ServiceCode":"123","Message":"*123#","Operator":"mtn","Sequence":1,"ClientState":"","Platform":"USSD"}',
  },
  { name: 'Hubtel release', path: '/ussd/hubtel', contentType: JSON_TYPE, body: '{"Type":"Release","Mobile":"2290197000001","SessionId":"3c796dac28174f739de4262d08409c51","Sequence":2}' },
  { name: 'Hubtel has no session-end URL', path: '/ussd/hubtel/session-end', contentType: JSON_TYPE, body: '{}' },
  { name: 'MADAPI without its secret', path: '/ussd/mtn-madapi', contentType: JSON_TYPE, body: '{}' },
  { name: 'MADAPI with a wrong secret', path: '/ussd/mtn-madapi', contentType: JSON_TYPE, headers: { 'x-guichet-secret': 'nope' }, body: '{}' },
  { name: 'Nalo from outside its allowlist', path: '/ussd/nalo', contentType: JSON_TYPE, body: '{}' },
  { name: 'unknown provider', path: '/ussd/nope', contentType: FORM, body: 'x=1' },
  { name: 'provider name in capitals (Hono decides)', path: '/ussd/AfricasTalking', contentType: FORM, body: 'x=1' },
  { name: 'trailing slash (Hono decides)', path: '/ussd/africastalking/', contentType: FORM, body: 'x=1' },
  { name: 'GET on the hop route (Hono decides)', method: 'GET', path: '/ussd/africastalking' },
  { name: 'health', method: 'GET', path: '/health' },
];


const env = {
  MENUS_WATCH: '0',
  LOG_LEVEL: 'silent',
  PII_HASH_KEY: 'listener-test-key',
  USSD_MTN_MADAPI_SECRET: SECRET,
  USSD_NALO_ALLOW_IPS: '192.0.2.10',
};

describe('USSD answered straight from node:http, as Hono answers it', () => {
  const gateways: Gateway[] = [];
  const servers: ServerType[] = [];
  let viaHono = '';
  let direct = '';

  beforeAll(async () => {
    for (const isDirect of [false, true]) {
      const gateway = await createNodeGateway(loadConfig(env), pino({ level: 'silent' }));
      const { url, server } = await serveGateway(gateway, isDirect);
      gateways.push(gateway);
      servers.push(server);
      if (isDirect) direct = url;
      else viaHono = url;
    }
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    await Promise.all(gateways.map((gateway) => gateway.close()));
  });

  it('answers every request of the table alike, in order', async () => {
    for (const sent of REQUESTS) {
      const [hono, node] = [await send(viaHono, sent), await send(direct, sent)];
      expect({ request: sent.name, ...node }).toEqual({ request: sent.name, ...hono });
    }
  });

  it('the answers are the ones a provider expects (the comparison above is not between two broken answers)', async () => {
    const seen = await send(direct, { name: 'opening', path: '/ussd/africastalking', contentType: FORM, body: at({ ...AT_FIELDS, sessionId: 'ATUid_listener_9', text: '' }) });
    expect(seen.status).toBe(200);
    expect(seen.headers).toMatchObject({ 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' });
    expect(seen.body).toMatch(/^CON Service Public du Bénin\n1\.Suivre une demande/);
    const wrongSecret = await send(direct, { name: 'madapi', path: '/ussd/mtn-madapi', contentType: JSON_TYPE, headers: { 'x-guichet-secret': 'nope' }, body: '{}' });
    expect(wrongSecret).toMatchObject({ status: 401, body: '{"error":"unauthorized","reason":"missing or wrong provider secret"}' });
    const forbidden = await send(direct, { name: 'nalo', path: '/ussd/nalo', contentType: JSON_TYPE, body: '{}' });
    expect(forbidden.status).toBe(403);
    const oversize = await send(direct, { name: 'big', path: '/ussd/africastalking', contentType: FORM, body: 'a'.repeat(9000), chunked: true });
    expect(oversize).toMatchObject({ status: 413, body: '{"error":"payload_too_large","reason":"body over 8192 bytes"}' });
  });
});
