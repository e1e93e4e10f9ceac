import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getSignedPayload } from '../../src/channels/sms/notifications.js';
import { loadConfig } from '../../src/config.js';
import { describedRoutes, servingRoute } from '../../src/http/route-descriptor.js';
import { hmacHex } from '../../src/lib/secrets.js';
import type { Logger } from '../../src/observability/logger.js';
import { MemoryAuditLog } from '../../src/audit/memory.js';
import type { AuditEntry } from '../../src/audit/port.js';
import { createNodeGateway } from '../../src/runtime/node/gateway.js';
import { MemoryMessageStore } from '../../src/sms/store/memory.js';
import { MENUS_DIR } from '../../testkit/harness.js';
import { fullGateway, KEYS } from './full-gateway.js';

/**
 * Issue 14 item 7: every notification and report call is written to the audit log with the
 * agency, as one entry: the method and route pattern (never the raw URL), the target when it is
 * an id of ours, the status, and the request id the answer carries. A refused call is written
 * with agency `unknown`; no entry holds a phone number or a message text.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const json = { 'content-type': 'application/json' };
const notification = (key: string) => ({ to: '+2290197000001', template: 'help', idempotencyKey: key });

/** A message store that cannot read one id: the app's onError answers 503, and the call is still audited. */
class PartlyDownMessageStore extends MemoryMessageStore {
  readonly unreadable = crypto.randomUUID();
  override async get(id: string) {
    if (id === this.unreadable) throw new Error('store away');
    return super.get(id);
  }
}

type Gateway = Awaited<ReturnType<typeof fullGateway>> & { audit: MemoryAuditLog; messages: PartlyDownMessageStore };

async function auditedGateway(): Promise<Gateway> {
  const gw = await fullGateway({ audit: new MemoryAuditLog(), messages: new PartlyDownMessageStore() });
  return gw as Gateway;
}

async function sendOne(gw: Gateway, key = `audit-${crypto.randomUUID()}`): Promise<string> {
  const res = await gw.app.request('/v1/notifications', { method: 'POST', headers: { ...json, 'x-api-key': KEYS.notify }, body: JSON.stringify(notification(key)) });
  return ((await res.json()) as { id: string }).id;
}

interface AuditedCall {
  name: string;
  /** The route as the app has it: every audited route has a row. */
  route: string;
  /** What comes before the call (a notification to read): returns values for `request`. */
  before?: (gw: Gateway) => Promise<Record<string, string>>;
  request: (gw: Gateway, values: Record<string, string>) => Promise<{ path: string; init?: RequestInit }>;
  expected: (values: Record<string, string>, answer: { id?: string }) => Omit<AuditEntry, 'time' | 'requestId'>;
}

const CALLS: AuditedCall[] = [
  {
    name: 'a notification sent',
    route: 'POST /v1/notifications',
    request: async () => ({ path: '/v1/notifications', init: { method: 'POST', headers: { ...json, 'x-api-key': KEYS.notify }, body: JSON.stringify(notification('audit-0001-new')) } }),
    expected: (_, answer) => ({ agency: 'portail', action: 'POST /v1/notifications', target: answer.id!, outcome: 202 }),
  },
  {
    name: 'the same idempotency key again',
    route: 'POST /v1/notifications',
    before: async (gw) => ({ id: await sendOne(gw, 'audit-0002-again') }),
    request: async () => ({ path: '/v1/notifications', init: { method: 'POST', headers: { ...json, 'x-api-key': KEYS.notify }, body: JSON.stringify(notification('audit-0002-again')) } }),
    expected: ({ id }) => ({ agency: 'portail', action: 'POST /v1/notifications', target: id!, outcome: 200 }),
  },
  {
    name: 'a notification signed by an agency',
    route: 'POST /v1/notifications',
    request: async () => {
      const body = JSON.stringify(notification('audit-0003-signed'));
      const t = Math.floor(Date.now() / 1000);
      return { path: '/v1/notifications', init: { method: 'POST', headers: { ...json, 'x-agency': 'anip', 'x-guichet-signature': `t=${t},s=${await hmacHex(KEYS.notifyHmac, `${t}.${body}`)}` }, body } };
    },
    expected: (_, answer) => ({ agency: 'anip', action: 'POST /v1/notifications', target: answer.id!, outcome: 202 }),
  },
  {
    name: 'a notification with a wrong key: refused, agency unknown',
    route: 'POST /v1/notifications',
    request: async () => ({ path: '/v1/notifications', init: { method: 'POST', headers: { ...json, 'x-api-key': 'wrong-key-0123456789' }, body: JSON.stringify(notification('audit-0004-refused')) } }),
    expected: () => ({ agency: 'unknown', action: 'POST /v1/notifications', outcome: 401 }),
  },
  {
    name: 'a notification that fails the schema: the agency is known, nothing targeted',
    route: 'POST /v1/notifications',
    request: async () => ({ path: '/v1/notifications', init: { method: 'POST', headers: { ...json, 'x-api-key': KEYS.notify }, body: JSON.stringify({ to: '+2290197000001' }) } }),
    expected: () => ({ agency: 'portail', action: 'POST /v1/notifications', outcome: 400 }),
  },
  {
    name: 'a request’s status reported: the request number is the target',
    route: 'POST /v1/requests/status-events',
    request: async () => ({ path: '/v1/requests/status-events', init: { method: 'POST', headers: { ...json, 'x-api-key': KEYS.notify }, body: JSON.stringify({ requestNumber: 'PS00373-240001', status: 'ready', at: '2026-03-02T15:00:00+01:00', to: '+2290197000001', idempotencyKey: 'audit-status-0001' }) } }),
    expected: () => ({ agency: 'portail', action: 'POST /v1/requests/status-events', target: 'PS00373-240001', outcome: 202 }),
  },
  {
    name: 'a status report with a wrong key: refused, agency unknown',
    route: 'POST /v1/requests/status-events',
    request: async () => ({ path: '/v1/requests/status-events', init: { method: 'POST', headers: { ...json, 'x-api-key': 'wrong-key-0123456789' }, body: '{}' } }),
    expected: () => ({ agency: 'unknown', action: 'POST /v1/requests/status-events', outcome: 401 }),
  },
  {
    name: 'an access log exported: the agency, no holder number anywhere in the entry',
    route: 'POST /v1/access-log/export',
    request: async () => ({ path: '/v1/access-log/export', init: { method: 'POST', headers: { ...json, 'x-api-key': KEYS.notify }, body: JSON.stringify({ holder: '+2290197000001' }) } }),
    expected: () => ({ agency: 'portail', action: 'POST /v1/access-log/export', outcome: 200 }),
  },
  {
    name: 'an access-log export by an agency not allowed to: refused, the agency known',
    route: 'POST /v1/access-log/export',
    request: async () => {
      const body = JSON.stringify({ holder: '+2290197000001' });
      const t = Math.floor(Date.now() / 1000);
      return { path: '/v1/access-log/export', init: { method: 'POST', headers: { ...json, 'x-agency': 'anip', 'x-guichet-signature': `t=${t},s=${await hmacHex(KEYS.notifyHmac, `${t}.${body}`)}` }, body } };
    },
    expected: () => ({ agency: 'anip', action: 'POST /v1/access-log/export', outcome: 403 }),
  },
  {
    name: 'a notification read',
    route: 'GET /v1/notifications/:id',
    before: async (gw) => ({ id: await sendOne(gw) }),
    request: async (_, { id }) => ({ path: `/v1/notifications/${id}`, init: { headers: { 'x-api-key': KEYS.notify } } }),
    expected: ({ id }) => ({ agency: 'portail', action: 'GET /v1/notifications/:id', target: id!, outcome: 200 }),
  },
  {
    name: 'a notification read with a signature',
    route: 'GET /v1/notifications/:id',
    before: async (gw) => ({ id: await sendOne(gw) }),
    request: async (_, { id }) => {
      const t = Math.floor(Date.now() / 1000);
      const signature = await hmacHex(KEYS.notifyHmac, `${t}.${getSignedPayload(`/v1/notifications/${id}`)}`);
      return { path: `/v1/notifications/${id}`, init: { headers: { 'x-agency': 'anip', 'x-guichet-signature': `t=${t},s=${signature}` } } };
    },
    // Another agency's notification is as unknown as a missing one.
    expected: ({ id }) => ({ agency: 'anip', action: 'GET /v1/notifications/:id', target: id!, outcome: 404 }),
  },
  {
    name: 'a notification read without a key: refused, agency unknown, the id kept',
    route: 'GET /v1/notifications/:id',
    before: async (gw) => ({ id: await sendOne(gw) }),
    request: async (_, { id }) => ({ path: `/v1/notifications/${id}` }),
    expected: ({ id }) => ({ agency: 'unknown', action: 'GET /v1/notifications/:id', target: id!, outcome: 401 }),
  },
  {
    name: 'a phone number where the id goes: not written down',
    route: 'GET /v1/notifications/:id',
    request: async () => ({ path: `/v1/notifications/${encodeURIComponent('+2290197000001')}`, init: { headers: { 'x-api-key': KEYS.notify } } }),
    expected: () => ({ agency: 'portail', action: 'GET /v1/notifications/:id', outcome: 404 }),
  },
  {
    name: 'a notification read while the store is away (onError)',
    route: 'GET /v1/notifications/:id',
    before: async (gw) => ({ id: gw.messages.unreadable }),
    request: async (_, { id }) => ({ path: `/v1/notifications/${id}`, init: { headers: { 'x-api-key': KEYS.notify } } }),
    expected: ({ id }) => ({ agency: 'portail', action: 'GET /v1/notifications/:id', target: id!, outcome: 503 }),
  },
  {
    name: 'the report read',
    route: 'GET /v1/payments/report',
    request: async () => ({ path: '/v1/payments/report?date=2026-12-01', init: { headers: { 'x-api-key': KEYS.report } } }),
    expected: () => ({ agency: 'finance', action: 'GET /v1/payments/report', target: '2026-12-01', outcome: 200 }),
  },
  {
    name: 'the report with a wrong key: refused, agency unknown',
    route: 'GET /v1/payments/report',
    request: async () => ({ path: '/v1/payments/report?date=2026-12-01', init: { headers: { 'x-api-key': KEYS.notify } } }),
    expected: () => ({ agency: 'unknown', action: 'GET /v1/payments/report', outcome: 401 }),
  },
  {
    name: 'the report for no real day',
    route: 'GET /v1/payments/report',
    request: async () => ({ path: '/v1/payments/report?date=0197000001', init: { headers: { 'x-api-key': KEYS.report } } }),
    expected: () => ({ agency: 'finance', action: 'GET /v1/payments/report', outcome: 400 }),
  },
];

// Phone numbers in any spelling the tests use, NPIs, and the notification texts.
const FORBIDDEN = [/(?:\+?229)?01\d{8}/, /1234567890/, /Service Public/, /STATUT/];

describe('the audit log', () => {
  it.each(CALLS)('$name: exactly one entry, with the right fields', async (call) => {
    const gw = await auditedGateway();
    const values = (await call.before?.(gw)) ?? {};
    const before = gw.audit.entries.length;
    const { path, init } = await call.request(gw, values);
    const res = await gw.app.request(path, init);
    const text = await res.text();
    const answer = res.headers.get('content-type')?.startsWith('application/json') ? (JSON.parse(text) as { id?: string }) : {};
    const written = gw.audit.entries.slice(before);
    expect(written, text).toHaveLength(1);
    const [entry] = written as [AuditEntry];
    const { time, requestId, ...fields } = entry;
    expect(fields).toEqual(call.expected(values, answer));
    expect(entry.outcome).toBe(res.status);
    expect(requestId).toMatch(UUID);
    expect(res.headers.get('x-request-id')).toBe(requestId);
    expect(Math.abs(Date.parse(time) - Date.now())).toBeLessThan(10_000);
    for (const pattern of FORBIDDEN) expect(JSON.stringify(entry)).not.toMatch(pattern);
  });

  it('has a row for every audited route, and every route with a row is described as audited', async () => {
    const gw = await auditedGateway();
    const audited = describedRoutes(gw.app).filter((d) => d.audited).map(servingRoute);
    expect(audited.length).toBeGreaterThan(0);
    expect(new Set(CALLS.map((call) => call.route))).toEqual(new Set(audited));
  });

  it('writes nothing for the calls it does not audit (hops, callbacks, health)', async () => {
    const gw = await auditedGateway();
    await gw.app.request('/livez');
    await gw.app.request('/ussd/africastalking', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'sessionId=a1&serviceCode=*123%23&phoneNumber=%2B2290197000001&text=' });
    await gw.app.request('/sms/africastalking/dlr', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'id=x&status=Success' });
    await gw.app.request('/openapi.json');
    expect(gw.audit.entries).toEqual([]);
  });

  it('ten calls at once: ten entries, ten request ids', async () => {
    const gw = await auditedGateway();
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => gw.app.request('/v1/notifications', { method: 'POST', headers: { ...json, 'x-api-key': KEYS.notify }, body: JSON.stringify(notification(`audit-burst-${i}-0000`)) })));
    expect(gw.audit.entries).toHaveLength(10);
    expect(new Set(gw.audit.entries.map((e) => e.requestId))).toEqual(new Set(answers.map((res) => res.headers.get('x-request-id'))));
  });

  it('an entry that cannot be written is said in the logs, and the answer still leaves', async () => {
    const logged: { message: string; fields: Record<string, unknown> }[] = [];
    const record = (fields: Record<string, unknown>, message: string) => void logged.push({ message, fields });
    const logger: Logger = { debug: record, info: record, warn: record, error: record };
    const { createTestGateway } = await import('../../testkit/harness.js');
    const gw = await createTestGateway({
      logger,
      paymentReport: { store: (await fullGateway()).payments, apiKeys: { finance: KEYS.report } },
      audit: { record: async () => Promise.reject(new Error('disk full')), close: async () => {} },
    });
    const res = await gw.app.request('/v1/payments/report?date=2026-12-01', { headers: { 'x-api-key': KEYS.report } });
    expect(res.status).toBe(200);
    expect(logged).toEqual([{ message: 'audit entry not written', fields: { action: 'GET /v1/payments/report', requestId: res.headers.get('x-request-id'), err: 'disk full' } }]);
  });
});

describe('the Node gateway', () => {
  const env = { MENUS_DIR, MENUS_WATCH: '0', SIMULATOR: '0', NOTIFY_API_KEYS: `portail:${KEYS.notify}`, REPORT_API_KEYS: `finance:${KEYS.report}` };

  it('appends each entry to AUDIT_LOG_FILE as one line of JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'guichet-audit-'));
    const file = join(dir, 'audit.jsonl');
    const gateway = await createNodeGateway(loadConfig({ ...env, AUDIT_LOG_FILE: file }), silent());
    try {
      const sent = await gateway.app.request('/v1/notifications', { method: 'POST', headers: { ...json, 'x-api-key': KEYS.notify }, body: JSON.stringify(notification('audit-file-0001')) });
      const refused = await gateway.app.request('/v1/payments/report?date=2026-12-01', { headers: { 'x-api-key': 'nope-nope-nope' } });
      await gateway.close();
      const lines = (await readFile(file, 'utf8')).split('\n');
      expect(lines.at(-1)).toBe('');
      const entries = lines.filter(Boolean).map((line) => JSON.parse(line) as AuditEntry);
      expect(entries.map(({ time: _t, requestId: _r, ...rest }) => rest)).toEqual([
        { agency: 'portail', action: 'POST /v1/notifications', target: ((await sent.json()) as { id: string }).id, outcome: 202 },
        { agency: 'unknown', action: 'GET /v1/payments/report', outcome: 401 },
      ]);
      expect(entries.map((e) => e.requestId)).toEqual([sent.headers.get('x-request-id'), refused.headers.get('x-request-id')]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('without AUDIT_LOG_FILE, writes entries to its log stream marked audit: true', async () => {
    const lines: { fields: Record<string, unknown>; message: string }[] = [];
    const gateway = await createNodeGateway(loadConfig(env), { ...silent(), info: (fields, message) => void lines.push({ fields, message }) });
    try {
      const res = await gateway.app.request('/v1/payments/report?date=2026-12-01', { headers: { 'x-api-key': KEYS.report } });
      const audit = lines.filter((line) => line.fields.audit === true);
      expect(audit).toEqual([{ message: 'audit', fields: { audit: true, time: expect.any(String), agency: 'finance', action: 'GET /v1/payments/report', target: '2026-12-01', outcome: 200, requestId: res.headers.get('x-request-id') } }]);
    } finally {
      await gateway.close();
    }
  });

  it('refuses an empty AUDIT_LOG_FILE, and a path it cannot write stops the start', async () => {
    expect(() => loadConfig({ ...env, AUDIT_LOG_FILE: ' ' })).toThrow(/AUDIT_LOG_FILE/);
    await expect(createNodeGateway(loadConfig({ ...env, AUDIT_LOG_FILE: join(tmpdir(), 'no-such-dir-guichet', 'a.jsonl') }), silent())).rejects.toThrow(/ENOENT/);
  });
});

function silent(): Logger {
  return { debug() {}, info() {}, warn() {}, error() {} };
}
