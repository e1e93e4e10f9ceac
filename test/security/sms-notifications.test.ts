import { describe, expect, it } from 'vitest';
import { ussdDialects } from '../../providers/index.js';
import { createSandboxSmsRoute } from '../../providers/sandbox-sms/sms.js';
import { MemorySessionStore } from '../../src/sessions/memory.js';
import { createApp } from '../../src/http/app.js';
import { getSignedPayload } from '../../src/channels/sms/notifications.js';
import { MenuRegistry } from '../../src/engine/menu-registry.js';
import { MemoryJobQueue } from '../../src/jobs/memory.js';
import type { Logger } from '../../src/observability/logger.js';
import { silentLogger } from '../../src/observability/logger.js';
import { hmacHex } from '../../src/lib/secrets.js';
import { SmsDispatcher } from '../../src/sms/dispatcher.js';
import { MemoryMessageStore } from '../../src/sms/store/memory.js';
import { defaultServices } from '../../testkit/harness.js';

/**
 * Issue 11 item 13 (GET signatures) and item 9 (SMS part). A GET signature used to cover `t.` and
 * an empty body, so one captured signature read every notification of the agency for 5 minutes.
 */
const HMAC = 'hmac-portail-secret';
const sign = async (t: number, signed: string) => `t=${t},s=${await hmacHex(HMAC, `${t}.${signed}`)}`;
const now = () => Math.floor(Date.now() / 1000);

async function gateway() {
  const store = new MemoryMessageStore();
  const preferences = new MemorySessionStore();
  const queue = new MemoryJobQueue();
  const route = { name: 'rec', send: async () => ({ providerMessageId: 'p-1' }) };
  const dispatcher = new SmsDispatcher({ store, preferences, queue, routes: { rec: route }, routing: { default: 'rec' }, transliterate: true, logger: silentLogger });
  dispatcher.start();
  const agencies = { portail: { hmacSecret: HMAC }, anip: { apiKey: 'k-anip-456789' } };
  const app = createApp({ menus: new MenuRegistry([]), services: await defaultServices(), sessions: preferences, preferences, dialects: ussdDialects, logger: silentLogger, sms: { dispatcher, store, agencies, outbox: dispatcher } });
  const post = async (key: string) => {
    const body = JSON.stringify({ to: '+2290197000001', template: 'request_ready', params: { requestNumber: 'PS00373-240001', service: 'Extrait', collectAt: 'CCSP' }, idempotencyKey: key });
    // POST keeps the documented `t.body`.
    const res = await app.request('/v1/notifications', { method: 'POST', headers: { 'content-type': 'application/json', 'x-agency': 'portail', 'x-guichet-signature': await sign(now(), body) }, body });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };
  return { app, post, store };
}

describe('GET /v1/notifications/:id signatures cover method and path', () => {
  it.each([
    ['the old form (t. and an empty body)', (_id: string) => '', 401],
    ['another notification’s path', (_id: string, other: string) => getSignedPayload(`/v1/notifications/${other}`), 401],
    ['POST instead of GET', (id: string) => `POST./v1/notifications/${id}.`, 401],
    ['a path without its id', () => getSignedPayload('/v1/notifications/'), 401],
    ['its own method and path', (id: string) => getSignedPayload(`/v1/notifications/${id}`), 200],
  ] as const)('%s → %i', async (_name, signed, status) => {
    const { app, post } = await gateway();
    const [id, other] = [await post('portail-evt-0000001'), await post('portail-evt-0000002')];
    const res = await app.request(`/v1/notifications/${id}`, { headers: { 'x-agency': 'portail', 'x-guichet-signature': await sign(now(), signed(id, other)) } });
    expect(res.status).toBe(status);
    const answer = (await res.json()) as { error?: string; reason?: string; id?: string };
    if (status === 200) expect(answer.id).toBe(id);
    else expect(answer).toMatchObject({ error: 'unauthorized', reason: expect.any(String) });
  });

  it('refuses a right GET signature older than 5 minutes', async () => {
    const { app, post } = await gateway();
    const id = await post('portail-evt-0000003');
    const t = now() - 301;
    const res = await app.request(`/v1/notifications/${id}`, { headers: { 'x-agency': 'portail', 'x-guichet-signature': await sign(t, getSignedPayload(`/v1/notifications/${id}`)) } });
    expect(res.status).toBe(401);
  });

  it('an agency still reads only its own notifications', async () => {
    const { app, post } = await gateway();
    const id = await post('portail-evt-0000004');
    const res = await app.request(`/v1/notifications/${id}`, { headers: { 'x-api-key': 'k-anip-456789' } });
    expect(res.status).toBe(404);
  });
});

describe('the sandbox route logs no SMS text', () => {
  it('logs the masked number, encoding and length, never the text or the number', async () => {
    const lines: unknown[] = [];
    const logger = { info: (fields: unknown) => void lines.push(fields) } as unknown as Logger;
    const route = createSandboxSmsRoute(logger, () => {});
    const text = 'PS00373-240001 Extrait de casier judiciaire: Disponible';
    await route.send({ id: 'm1', to: '+2290197000001', text, encoding: 'GSM-7' });
    const logged = JSON.stringify(lines);
    expect(lines).toHaveLength(1);
    expect(logged).not.toContain('PS00373-240001');
    expect(logged).not.toContain('Disponible');
    expect(logged).not.toContain('2290197000001');
    expect(lines[0]).toMatchObject({ to: '+2290197****01', encoding: 'GSM-7', characters: text.length });
  });
});
