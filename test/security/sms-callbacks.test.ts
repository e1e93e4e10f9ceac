import { Hono } from 'hono';
import { beforeEach, describe, expect, it } from 'vitest';
import { AT_DELIVERY_REPORTS, AT_INBOUND } from '../../providers/africastalking/sms.fixtures.js';
import { KANNEL_INBOUND } from '../../providers/kannel/fixtures.js';
import { createKannelRoute } from '../../providers/kannel/sms.js';
import { MemorySessionStore } from '../../src/sessions/memory.js';
import { registerSmsRoutes } from '../../src/channels/sms/routes.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/observability/logger.js';
import { clientAddress } from '../../src/lib/ip-address.js';
import { MemoryMessageStore } from '../../src/sms/store/memory.js';
import { SMS_STATUSES, type SmsMessage } from '../../src/sms/store/port.js';
import type { OutboundSms, SmsOutbox } from '../../src/sms/outbox.js';
import { defaultServices } from '../../testkit/harness.js';

/**
 * Issue 11 item 1: forged SMS callbacks, as raw wire, against the real callback routes with the
 * settings read by the real configuration. The wire samples are the providers' own
 * (providers/kannel/fixtures.ts, captured from smsbox 1.4.5; providers/africastalking/sms.fixtures.ts,
 * AT's notification fields), with the `secret` query parameter the README tells operators to add
 * to each callback URL. After every refused request the stores must hold exactly what they held.
 */
const KANNEL_SECRET = 'kannel-callback-secret-000001';
const AT_SECRET = 'at-callback-secret-0000000001';
const CITIZEN = '+2290197000001';
/** The socket peer: the one reverse proxy TRUST_PROXY=1 believes. */
const PROXY = '10.0.0.1';
const KANNEL_HOST = '192.0.2.10';
const AT_HOST = '198.51.100.20';

const config = loadConfig({
  TRUST_PROXY: '1',
  SMS_KANNEL_CALLBACK_SECRET: KANNEL_SECRET,
  SMS_KANNEL_ALLOW_IPS: KANNEL_HOST,
  SMS_AFRICASTALKING_CALLBACK_SECRET: AT_SECRET,
  SMS_AFRICASTALKING_ALLOW_IPS: '198.51.100.0/24',
});

function recordingOutbox() {
  const queued: OutboundSms[] = [];
  const outbox: SmsOutbox = { enqueue: async (message) => (queued.push(message), { messageId: `m-${queued.length}` }) };
  return { outbox, queued };
}

function message(id: string, route: string, providerMessageId?: string): SmsMessage {
  const at = '2026-11-23T09:00:00.000Z';
  return { id, to: CITIZEN, text: 'x', encoding: 'GSM-7', segments: 1, route, purpose: 'notification:request_ready', idempotencyKey: `k-${id}`, requestedBy: 'portail', status: 'sent', ...(providerMessageId ? { providerMessageId } : {}), createdAt: at, updatedAt: at, history: [{ at, status: 'sent', detail: 'accepted' }] };
}

const AT_PROVIDER_ID = AT_DELIVERY_REPORTS[0]!.form.id!;
const KANNEL_MESSAGE = '6f1c2b9e-7a54-4d3e-9b1a-0c2d3e4f5a6b';

async function gateway() {
  const store = new MemoryMessageStore();
  const preferences = new MemorySessionStore();
  const { outbox, queued } = recordingOutbox();
  await store.create(message(KANNEL_MESSAGE, 'kannel', KANNEL_MESSAGE));
  await store.create(message('at-message-1', 'africastalking'));
  await store.transition('at-message-1', { providerMessageId: AT_PROVIDER_ID, acceptedPart: { providerMessageId: AT_PROVIDER_ID, index: 0, count: 1 }, detail: 'accepted' });
  await preferences.setLanguage(CITIZEN, 'fr');
  const app = new Hono();
  registerSmsRoutes(app, {
    services: await defaultServices(),
    preferences,
    outbox,
    logger: silentLogger,
    store,
    callbacks: config.sms.callbacks,
    // As the Node gateway computes it: the socket is the proxy, the proxy appends the real peer.
    clientIp: (c) => clientAddress(PROXY, c.req.header('x-forwarded-for'), config.trustProxy),
  });
  const state = async () => ({
    optedOut: await preferences.isOptedOut(CITIZEN),
    language: await preferences.getLanguage(CITIZEN),
    queued: queued.length,
    kannelMessage: await store.get(KANNEL_MESSAGE),
    atMessage: await store.get('at-message-1'),
  });
  return { app, state, store, queued, preferences };
}

type Wire = { method: 'GET' | 'POST'; path: string; headers?: Record<string, string>; body?: string | Uint8Array };
const form = (fields: Record<string, string>) => ({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
const withSecret = (path: string, secret: string | undefined) => (secret === undefined ? path : `${path}${path.includes('?') ? '&' : '?'}secret=${encodeURIComponent(secret)}`);
const hexBody = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));

/** Each callback route, the forged request it would carry (a real sample, its text made harmful), and its route's secret and allowed peer. */
const ROUTES: { name: string; secret: string; allowed: string; wire: (secret: string | undefined) => Wire }[] = [
  { name: 'POST /sms/africastalking/inbound (STOP)', secret: AT_SECRET, allowed: AT_HOST, wire: (s) => ({ method: 'POST', path: withSecret('/sms/africastalking/inbound', s), ...form({ ...AT_INBOUND, from: CITIZEN, text: 'STOP' }) }) },
  { name: 'POST /sms/africastalking/dlr (Failed)', secret: AT_SECRET, allowed: AT_HOST, wire: (s) => ({ method: 'POST', path: withSecret('/sms/africastalking/dlr', s), ...form(AT_DELIVERY_REPORTS[3]!.form) }) },
  {
    name: 'GET /sms/kannel/inbound (STATUT, get-url)',
    secret: KANNEL_SECRET,
    allowed: KANNEL_HOST,
    wire: (s) => ({ method: 'GET', path: withSecret(KANNEL_INBOUND[1]!.path, s), headers: KANNEL_INBOUND[1]!.headers }),
  },
  {
    name: 'GET /sms/kannel/inbound (LANGUE EN, get-url)',
    secret: KANNEL_SECRET,
    allowed: KANNEL_HOST,
    wire: (s) => ({ method: 'GET', path: withSecret(KANNEL_INBOUND[1]!.path.replace('STATUT+PS00373-240001', 'LANGUE+EN'), s), headers: KANNEL_INBOUND[1]!.headers }),
  },
  {
    name: 'POST /sms/kannel/inbound (post-url, UCS-2 "post Arrêt ç")',
    secret: KANNEL_SECRET,
    allowed: KANNEL_HOST,
    wire: (s) => ({ method: 'POST', path: withSecret(KANNEL_INBOUND[2]!.path, s), headers: KANNEL_INBOUND[2]!.headers, body: hexBody(KANNEL_INBOUND[2]!.bodyHex) }),
  },
  {
    name: 'POST /sms/kannel/inbound (post-url, STOP)',
    secret: KANNEL_SECRET,
    allowed: KANNEL_HOST,
    wire: (s) => ({ method: 'POST', path: withSecret(KANNEL_INBOUND[3]!.path, s), headers: KANNEL_INBOUND[3]!.headers, body: 'STOP' }),
  },
  // The dlr-url our Kannel route builds, with Kannel's %d and %A expanded (expansion inferred from the user guide's escape codes).
  { name: 'GET /sms/kannel/dlr (type 1, delivered)', secret: KANNEL_SECRET, allowed: KANNEL_HOST, wire: (s) => ({ method: 'GET', path: withSecret(`/sms/kannel/dlr?id=${KANNEL_MESSAGE}&type=1&reply=ACK%2F`, s) }) },
];

/** How each forgery differs from the provider's real call: the secret, where it is put, and the peer the proxy saw. */
const FORGERIES: { name: string; secret: (real: string) => string | undefined; header?: (real: string) => Record<string, string>; peer: (allowed: string) => string; status: number; error: string }[] = [
  { name: 'no secret', secret: () => undefined, peer: (a) => a, status: 401, error: 'unauthorized' },
  { name: 'a wrong secret in the query', secret: (real) => `${real.slice(0, -1)}X`, peer: (a) => a, status: 401, error: 'unauthorized' },
  { name: 'an empty secret in the query', secret: () => '', peer: (a) => a, status: 401, error: 'unauthorized' },
  { name: 'a wrong secret in x-guichet-secret', secret: () => undefined, header: () => ({ 'x-guichet-secret': 'guessed-guessed-guessed' }), peer: (a) => a, status: 401, error: 'unauthorized' },
  { name: 'the other route’s secret', secret: (real) => (real === KANNEL_SECRET ? AT_SECRET : KANNEL_SECRET), peer: (a) => a, status: 401, error: 'unauthorized' },
  // The right secret from the wrong place: the client writes the allowed address leftmost, the proxy appends its real one.
  { name: 'the right secret from an address outside the allowlist (TRUST_PROXY=1)', secret: (real) => real, peer: () => '203.0.113.7', status: 403, error: 'forbidden' },
];

describe('forged SMS callbacks change nothing', () => {
  const cases = ROUTES.flatMap((route) => FORGERIES.map((forgery) => ({ route, forgery })));
  it.each(cases.map((c) => [`${c.route.name}: ${c.forgery.name}`, c] as const))('%s', async (_name, { route, forgery }) => {
    const { app, state } = await gateway();
    const before = await state();
    const wire = route.wire(forgery.secret(route.secret));
    const peer = forgery.peer(route.allowed);
    const res = await app.request(wire.path, {
      method: wire.method,
      headers: { ...wire.headers, ...forgery.header?.(route.secret), 'x-forwarded-for': `${route.allowed}, ${peer}` },
      ...(wire.body !== undefined ? { body: wire.body } : {}),
    });
    expect(res.status).toBe(forgery.status);
    expect(await res.json()).toMatchObject({ error: forgery.error, reason: expect.any(String) });
    expect(await state()).toEqual(before);
  });

  // The same calls as the providers make them: proof that the refusals above come from the forgery, not a broken route.
  it.each(ROUTES.map((r) => [r.name, r] as const))('%s with its secret from its address: accepted', async (_name, route) => {
    const { app, state } = await gateway();
    const before = await state();
    const wire = route.wire(route.secret);
    const res = await app.request(wire.path, { method: wire.method, headers: { ...wire.headers, 'x-forwarded-for': route.allowed }, ...(wire.body !== undefined ? { body: wire.body } : {}) });
    expect(res.status).toBe(200);
    expect(await state()).not.toEqual(before);
  });

  it('takes the secret from x-guichet-secret as well', async () => {
    const { app, state } = await gateway();
    const res = await app.request(`/sms/kannel/dlr?id=${KANNEL_MESSAGE}&type=1`, { headers: { 'x-guichet-secret': KANNEL_SECRET, 'x-forwarded-for': KANNEL_HOST } });
    expect(res.status).toBe(200);
    expect((await state()).kannelMessage?.status).toBe('delivered');
  });
});

describe('report and inbound fields never read inherited keys', () => {
  const KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
  let gw: Awaited<ReturnType<typeof gateway>>;
  beforeEach(async () => {
    gw = await gateway();
  });

  it.each(KEYS)('Kannel dlr type=%s: recorded as unknown, status unchanged', async (key) => {
    const res = await gw.app.request(`/sms/kannel/dlr?id=${KANNEL_MESSAGE}&type=${encodeURIComponent(key)}&secret=${KANNEL_SECRET}`, { headers: { 'x-forwarded-for': KANNEL_HOST } });
    expect(res.status).toBe(200);
    const stored = await gw.store.get(KANNEL_MESSAGE);
    expect(stored?.status).toBe('sent');
    for (const entry of stored!.history) if (entry.status !== undefined) expect(SMS_STATUSES).toContain(entry.status);
    expect(stored!.history.at(-1)).toEqual({ at: expect.any(String), detail: `kannel report: type ${key}` });
  });

  it.each(KEYS)('AT dlr status=%s: recorded as unknown, status unchanged', async (key) => {
    const res = await gw.app.request(`/sms/africastalking/dlr?secret=${AT_SECRET}`, { method: 'POST', headers: { ...form({}).headers, 'x-forwarded-for': AT_HOST }, body: new URLSearchParams({ ...AT_DELIVERY_REPORTS[0]!.form, status: key }).toString() });
    expect(res.status).toBe(200);
    const stored = await gw.store.get('at-message-1');
    expect(stored?.status).toBe('sent');
    expect(typeof stored!.history.at(-1)!.detail).toBe('string');
    expect(stored!.history.at(-1)!.status).toBeUndefined();
  });

  it.each(KEYS)('a Kannel dlr for the message id %s is an unknown message', async (key) => {
    const before = JSON.stringify(await gw.store.get(KANNEL_MESSAGE));
    const res = await gw.app.request(`/sms/kannel/dlr?id=${encodeURIComponent(key)}&type=1&secret=${KANNEL_SECRET}`, { headers: { 'x-forwarded-for': KANNEL_HOST } });
    expect(res.status).toBe(200);
    expect(await gw.store.get(key)).toBeNull();
    expect(JSON.stringify(await gw.store.get(KANNEL_MESSAGE))).toBe(before);
  });
});

describe('the dlr-url Guichet gives Kannel carries the secret', () => {
  it('and the report Kannel makes of it is accepted', async () => {
    const urls: string[] = [];
    const kannel = createKannelRoute({
      sendsmsUrl: 'http://kannel.invalid:13013',
      username: 'guichet',
      password: 'pw',
      from: '123',
      publicUrl: 'https://guichet.example.bj',
      callbackSecret: config.sms.callbacks.kannel!.secret!,
      fetch: async (url) => (urls.push(String(url)), new Response('0: Accepted for delivery', { status: 202 })),
    });
    await kannel.send({ id: KANNEL_MESSAGE, to: CITIZEN, text: 'x', encoding: 'GSM-7' });
    const dlrUrl = new URL(urls[0]!).searchParams.get('dlr-url')!;
    expect(new URL(dlrUrl).searchParams.get('secret')).toBe(KANNEL_SECRET);
    // Kannel expands %d (report type) and %A (SMSC reply, URL-encoded) and calls the rest verbatim.
    const called = new URL(dlrUrl.replace('%d', '1').replace('%A', 'ACK%2F'));
    const { app, state } = await gateway();
    const res = await app.request(`${called.pathname}${called.search}`, { headers: { 'x-forwarded-for': KANNEL_HOST } });
    expect(res.status).toBe(200);
    expect((await state()).kannelMessage?.status).toBe('delivered');
  });

  it('and without a secret configured the dlr-url has none', async () => {
    const urls: string[] = [];
    const kannel = createKannelRoute({ sendsmsUrl: 'http://kannel.invalid:13013', username: 'u', password: 'p', from: '123', publicUrl: 'https://guichet.example.bj', fetch: async (url) => (urls.push(String(url)), new Response('0: Accepted for delivery', { status: 202 })) });
    await kannel.send({ id: KANNEL_MESSAGE, to: CITIZEN, text: 'x', encoding: 'GSM-7' });
    expect(new URL(new URL(urls[0]!).searchParams.get('dlr-url')!).searchParams.has('secret')).toBe(false);
  });
});

describe('SMS callback settings at start', () => {
  const KANNEL = { SMS_ROUTES: 'default=kannel', KANNEL_SENDSMS_URL: 'http://127.0.0.1:13013', KANNEL_USERNAME: 'u', KANNEL_PASSWORD: 'p', PUBLIC_URL: 'https://guichet.example.bj' };
  const AT = { SMS_ROUTES: 'default=africastalking', AT_USERNAME: 'guichet', AT_API_KEY: 'k' };
  it.each([
    ['an empty secret', { SMS_KANNEL_CALLBACK_SECRET: '' }, /SMS_KANNEL_CALLBACK_SECRET is set but empty/],
    ['a blank secret', { SMS_AFRICASTALKING_CALLBACK_SECRET: '   ' }, /SMS_AFRICASTALKING_CALLBACK_SECRET is set but empty/],
    ['a short secret', { SMS_KANNEL_CALLBACK_SECRET: 'short' }, /at least 16 characters/],
    ['a secret that cannot be written in a URL as is', { SMS_KANNEL_CALLBACK_SECRET: 'abc%41def&ghi=jklmnop' }, /at least 16 characters of/],
    ['an empty allowlist', { SMS_KANNEL_ALLOW_IPS: ' , ' }, /lists no address/],
    ['a bad allowlist entry', { SMS_KANNEL_ALLOW_IPS: '192.0.2.300' }, /SMS_KANNEL_ALLOW_IPS entry "192.0.2.300"/],
    ['a route without HTTP callbacks', { SMS_SMPP_MOOV_CALLBACK_SECRET: 'x'.repeat(20) }, /SMS_SMPP_MOOV_CALLBACK_SECRET names no SMS route/],
    ['Kannel configured, HOST beyond loopback, callbacks open', { ...KANNEL, HOST: '0.0.0.0' }, /kannel SMS route is configured and HOST=0.0.0.0 .*SMS_KANNEL_CALLBACK_SECRET/],
    ["Africa's Talking configured, HOST beyond loopback, callbacks open", { ...AT, HOST: '10.1.2.3' }, /africastalking SMS route .*SMS_AFRICASTALKING_ALLOW_IPS/],
  ])('refuses to start with %s', (_name, env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it.each([
    ['the embedded default beyond loopback (sandbox: nothing is sent)', { HOST: '0.0.0.0' }],
    ['Kannel on loopback without protection', KANNEL],
    ['Kannel beyond loopback with a secret', { ...KANNEL, HOST: '0.0.0.0', SMS_KANNEL_CALLBACK_SECRET: KANNEL_SECRET }],
    ["Africa's Talking beyond loopback with an allowlist", { ...AT, HOST: '0.0.0.0', SMS_AFRICASTALKING_ALLOW_IPS: '198.51.100.0/24' }],
  ])('starts with %s', (_name, env) => {
    expect(() => loadConfig(env)).not.toThrow();
  });
});
