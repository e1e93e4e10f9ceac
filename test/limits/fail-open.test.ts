import { describe, expect, it } from 'vitest';
import type { RateLimiter } from '../../src/limits/rate/port.js';
import { MemoryRateLimiter } from '../../src/limits/rate/memory.js';
import { MemoryJobQueue } from '../../src/jobs/memory.js';
import { silentLogger } from '../../src/observability/logger.js';
import { MemorySessionStore } from '../../src/sessions/memory.js';
import { SmsDispatcher } from '../../src/sms/dispatcher.js';
import { MemoryMessageStore } from '../../src/sms/store/memory.js';
import { atHop, createTestGateway } from '../../testkit/harness.js';

/**
 * The rate limits are guards, not dependencies: a limiter whose store is away lets hops and
 * notifications through (they then meet the same store and answer for it), and a refused hop
 * leaves the session as it was.
 */
const NOTIFY_KEY = 'fail-open-notify-key-0123';
const away: RateLimiter = { hit: async () => Promise.reject(new Error('rate store away')) };

async function gateway(limiter: RateLimiter, ussdHopsPerMinute: number) {
  const store = new MemorySessionStore();
  const messages = new MemoryMessageStore();
  const dispatcher = new SmsDispatcher({ store: messages, preferences: store, queue: new MemoryJobQueue(), routes: { sandbox: { name: 'sandbox', send: async () => ({ providerMessageId: 'p' }) } }, routing: { default: 'sandbox' }, transliterate: true, logger: silentLogger });
  return createTestGateway({
    store,
    sms: { dispatcher, store: messages, outbox: dispatcher, agencies: { portail: { apiKey: NOTIFY_KEY } } },
    rateLimits: { limiter, notificationsPerMinute: 1, ussdHopsPerMinute },
  });
}

const notification = (key: string) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', 'x-api-key': NOTIFY_KEY },
  body: JSON.stringify({ to: '+2290197000001', template: 'request_ready', params: { requestNumber: 'PS00373-240001', service: 'Casier', collectAt: 'CCSP' }, idempotencyKey: key }),
});

describe('with the limiter away', () => {
  it('hops are answered as usual', async () => {
    const { app } = await gateway(away, 1);
    const answers = [];
    for (const text of ['', '1', '1*PS00373-240001']) answers.push((await atHop(app, { sessionId: 'open-1', text })).body);
    expect(answers[0]).toMatch(/^CON Service Public du Bénin/);
    expect(answers[1]).toMatch(/^CON Numéro de la demande/);
    expect(answers[2]).toMatch(/^END PS00373-240001 .*Disponible/s);
  });

  it('notifications are accepted', async () => {
    const { app } = await gateway(away, 0);
    expect((await app.request('/v1/notifications', notification('fail-open-0001'))).status).toBe(202);
    expect((await app.request('/v1/notifications', notification('fail-open-0002'))).status).toBe(202);
  });
});

it('a hop over the rate changes nothing of its session: the next hop, once admitted, continues it', async () => {
  let admit = true;
  const memory = new MemoryRateLimiter();
  const switchable: RateLimiter = { hit: (key, policy, now) => (admit ? memory.hit(key, { ...policy, limit: 1_000 }, now) : Promise.resolve({ allowed: false, remaining: 0, retryAfterMs: 1_000 })) };
  const { app } = await gateway(switchable, 60);
  expect((await atHop(app, { sessionId: 'kept', text: '' })).body).toMatch(/^CON Service Public du Bénin/);
  admit = false;
  expect((await atHop(app, { sessionId: 'kept', text: '1' })).body).toBe('END Trop de tentatives. Merci de réessayer dans une minute.');
  admit = true;
  expect((await atHop(app, { sessionId: 'kept', text: '1' })).body).toMatch(/^CON Numéro de la demande/);
});
