import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryAuditLog } from '../../src/audit/memory.js';
import { MemoryJobQueue } from '../../src/jobs/memory.js';
import { hmacHex } from '../../src/lib/secrets.js';
import { silentLogger } from '../../src/observability/logger.js';
import { ReminderService } from '../../src/reminders/reminders.js';
import { MemoryReminderStore } from '../../src/reminders/store/memory.js';
import { loadReminderFiles } from '../../src/runtime/node/reminder-files.js';
import { MemorySessionStore } from '../../src/sessions/memory.js';
import { createLogSmsOutbox } from '../../src/sms/outbox.js';
import { createTestGateway } from '../../testkit/harness.js';

/**
 * `POST /v1/requests/status-events`: who may call it and what it refuses. The happy paths and the
 * reminders they schedule are in `reminders-redis.test.ts`.
 */

const PORTAIL_KEY = 'status-events-portail-key';
const ANIP_SECRET = 'status-events-anip-hmac-secret';
const NOW = Date.parse('2026-03-02T15:00:30+01:00');

async function gateway() {
  const store = new MemoryReminderStore(() => NOW);
  const queue = new MemoryJobQueue();
  const reminders = new ReminderService({
    rules: await loadReminderFiles(join(import.meta.dirname, '..', '..', 'menus')),
    store,
    queue,
    outbox: createLogSmsOutbox(silentLogger),
    preferences: new MemorySessionStore(),
    logger: silentLogger,
    now: () => NOW,
  });
  const audit = new MemoryAuditLog();
  const gw = await createTestGateway({ audit, reminders: { reminders, agencies: { portail: { apiKey: PORTAIL_KEY }, anip: { hmacSecret: ANIP_SECRET } }, now: () => NOW } });
  const post = async (body: unknown, headers: Record<string, string> = { 'x-api-key': PORTAIL_KEY }) => {
    const res = await gw.app.request('/v1/requests/status-events', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  return { post, store, audit, close: () => queue.close() };
}

const report = { requestNumber: 'PS00373-240001', status: 'ready', at: '2026-03-02T15:00:00+01:00', to: '+2290197000001', idempotencyKey: 'portail-PS00373-240001-ready' };

describe('who may report', () => {
  it('refuses a call without credentials, or with a wrong key, and records nothing', async () => {
    const gw = await gateway();
    expect(await gw.post(report, {})).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    expect(await gw.post(report, { 'x-api-key': 'not-the-key' })).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    expect(await gw.store.get('portail', 'PS00373-240001')).toBeNull();
    await gw.close();
  });

  it('takes an agency’s HMAC signature over the body, and keeps each agency’s requests apart', async () => {
    const gw = await gateway();
    const body = JSON.stringify({ ...report, status: 'under_review' });
    // The signature's time is the real clock's (the tolerance is checked against it).
    const t = Math.floor(Date.now() / 1000);
    const signed = { 'x-agency': 'anip', 'x-guichet-signature': `t=${t},s=${await hmacHex(ANIP_SECRET, `${t}.${body}`)}` };
    expect((await gw.post(body, signed)).status).toBe(202);
    // A signature over another body does not pass.
    expect((await gw.post(JSON.stringify(report), signed)).status).toBe(401);
    expect((await gw.store.get('anip', 'PS00373-240001'))?.status).toBe('under_review');
    // The portal's request of the same number is another one: untouched.
    expect(await gw.store.get('portail', 'PS00373-240001')).toBeNull();
    expect((await gw.post(report)).body).toMatchObject({ outcome: 'changed', status: 'ready' });
    expect((await gw.store.get('anip', 'PS00373-240001'))?.status).toBe('under_review');
    await gw.close();
  });

  it('writes every call to the audit log with the agency, refused ones as unknown', async () => {
    const gw = await gateway();
    await gw.post(report, {});
    await gw.post(report);
    expect(gw.audit.entries.map((e) => [e.agency, e.action, e.outcome])).toEqual([
      ['unknown', 'POST /v1/requests/status-events', 401],
      ['portail', 'POST /v1/requests/status-events', 202],
    ]);
    await gw.close();
  });
});

describe('what it refuses, with a reason, never a 5xx', () => {
  // name, body, reason the answer must contain
  const rows: [string, unknown, string][] = [
    ['not JSON', '{"requestNumber":', 'body is not valid JSON'],
    ['a request number with a hash tag in it', { ...report, requestNumber: 'PS{00373}-1' }, 'requestNumber: upper-case letters, digits and hyphens'],
    ['a request number with a colon', { ...report, requestNumber: 'PS00373:240001' }, 'requestNumber:'],
    ['a payment status, which only the payment flow reports', { ...report, status: 'payment_succeeded' }, 'status: Invalid option'],
    ['an unknown status', { ...report, status: 'done' }, 'status: Invalid option'],
    ['a date without its offset', { ...report, at: '2026-03-02 15:00' }, 'at: Invalid ISO datetime'],
    ['a date in the future', { ...report, at: '2026-03-02T16:00:00+01:00' }, 'at: in the future'],
    ['a number outside Benin', { ...report, to: '+33612345678' }, 'to:'],
    ['a language the gateway does not speak', { ...report, language: 'yo' }, 'language: Invalid option'],
    ['a short idempotency key', { ...report, idempotencyKey: 'abc' }, 'idempotencyKey:'],
    ['a field the API does not know', { ...report, template: 'request_ready' }, 'Unrecognized key: "template"'],
    ['fields missing', { requestNumber: 'PS00373-240001' }, 'status: Invalid option'],
  ];
  it.each(rows)('%s', async (_name, body, reason) => {
    const gw = await gateway();
    const answer = await gw.post(body);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('bad_request');
    expect(String(answer.body.reason)).toContain(reason);
    await gw.close();
  });

  it('answers the holder’s number nowhere in the view', async () => {
    const gw = await gateway();
    const answer = await gw.post(report);
    expect(JSON.stringify(answer.body)).not.toContain('0197000001');
    await gw.close();
  });
});
