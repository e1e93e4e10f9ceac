import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJsonLines } from '../src/access-log/chain.js';
import { accessLogHolderKey } from '../src/access-log/recorder.js';
import { main } from '../src/cli/guichet.js';
import { accessLogExport } from '../src/cli/access-log.js';
import { EXAMPLE_LINES } from '../src/access-log/export-route.js';
import { loadConfig } from '../src/config.js';
import { hmacHex } from '../src/lib/secrets.js';
import { silentLogger } from '../src/observability/logger.js';
import { DEMO_MSISDN } from '../src/portal/demo.js';
import { createNodeGateway, type Gateway } from '../src/runtime/node/gateway.js';
import { MENUS_DIR } from '../testkit/harness.js';

/**
 * The Node gateway as `npm start` builds it with `REDIS_URL`: a USSD lookup lands in Redis, an
 * allowed agency exports it, an entry edited in Redis is caught by the export's verification and
 * by `guichet access-log verify|export`.
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const REDIS_PREFIX = `guichet-test-alx-${process.pid}:`;
const PII_HASH_KEY = 'access-log-export-test-key';
const env = {
  MENUS_DIR,
  MENUS_WATCH: '0',
  REDIS_URL,
  REDIS_PREFIX,
  PII_HASH_KEY,
  NOTIFY_API_KEYS: 'apdp:apdp-key-0123456789,portail:portail-key-0123456789',
  NOTIFY_HMAC_SECRETS: 'apdp:apdp-secret-0123456789',
  ACCESS_LOG_EXPORT_AGENCIES: 'apdp',
};
let redis: Redis;
let gateway: Gateway;

beforeAll(async () => {
  redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  gateway = await createNodeGateway(loadConfig(env), silentLogger);
  // The gateway connects in the background (it serves polite ENDs until then).
  for (let i = 0; i < 50 && gateway.readiness().parts.redis !== 'ok'; i++) await new Promise((r) => setTimeout(r, 50));
});
afterAll(async () => {
  await gateway.close();
  const keys = await redis.keys(`${REDIS_PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

async function hop(sessionId: string, text: string, phoneNumber = DEMO_MSISDN): Promise<string> {
  const form = new URLSearchParams({ sessionId, serviceCode: '*123#', phoneNumber, networkCode: '61602', text });
  const res = await gateway.app.request('/ussd/africastalking', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
  return res.text();
}

function exportLog(body: unknown, headers: Record<string, string> = { 'x-api-key': 'apdp-key-0123456789' }) {
  return gateway.app.request('/v1/access-log/export', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

describe('access log export over the Node gateway with Redis', () => {
  it('exports a USSD lookup as JSON lines, then catches an entry edited in Redis (route and CLI)', async () => {
    await hop('alx-1', '');
    await hop('alx-1', '1');
    expect(await hop('alx-1', '1*PS00373-240001')).toMatch(/^END PS00373-240001/);
    await hop('alx-2', '', '+2290196123456');
    await hop('alx-2', '1', '+2290196123456');
    expect(await hop('alx-2', '1*PS00373-240002', '+2290196123456')).toMatch(/^CON Aucune demande PS00373-240002/);

    const res = await exportLog({ holder: '01 97 00 00 01' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(res.headers.get('x-access-log-chain')).toBe('ok');
    const body = await res.text();
    expect(body).not.toContain(DEMO_MSISDN);
    const entries = parseJsonLines(body);
    expect(entries.map((e) => [e.seq, e.channel, e.caller, e.subject])).toEqual([
      [1, 'ussd', '+2290197****01', 'PS00373-240001'],
      [2, 'ussd', '+2290196****56', 'PS00373-240002'],
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'guichet-accesslog-'));
    writeFileSync(join(dir, 'ok.jsonl'), body);
    const lines: string[] = [];
    expect(await main(['access-log', 'verify', join(dir, 'ok.jsonl')], (l) => lines.push(l))).toBe(0);
    expect(lines).toEqual(['chain ok: 2 entries, seq 1 to 2']);

    // Someone with Redis access rewrites who looked (the stored item: the hash, then the JSON).
    const key = `${REDIS_PREFIX}accesslog:{${await accessLogHolderKey(PII_HASH_KEY, DEMO_MSISDN)}}`;
    const first = (await redis.lindex(key, 0))!;
    await redis.lset(key, 0, first.replace('"+2290197****01"', '"+2290166****02"'));

    const tampered = await exportLog({ holder: '+2290197000001' });
    expect(tampered.status).toBe(200);
    expect(tampered.headers.get('x-access-log-chain')).toBe('broken; index=0; reason=entry edited');
    writeFileSync(join(dir, 'edited.jsonl'), await tampered.text());
    lines.length = 0;
    expect(await main(['access-log', 'verify', join(dir, 'edited.jsonl')], (l) => lines.push(l))).toBe(1);
    expect(lines).toEqual(['chain broken at line 1 (seq 1): entry edited']);

    // The CLI's own export from Redis says the same, and its file verifies the same.
    lines.length = 0;
    const report: string[] = [];
    expect(await accessLogExport(['--holder', '0197000001', '--out', join(dir, 'cli.jsonl')], (l) => lines.push(l), { env, report: (l) => report.push(l) })).toBe(1);
    expect(lines).toEqual(['chain broken at line 1 (seq 1): entry edited']);
    expect(readFileSync(join(dir, 'cli.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'edited.jsonl'), 'utf8'));
    lines.length = 0;
    expect(await accessLogExport(['--holder', '0197000001'], (l) => lines.push(l), { env, report: (l) => report.push(l) })).toBe(1);
    expect(lines.map((l) => JSON.parse(l).seq)).toEqual([1, 2]);
    expect(report).toEqual(['chain broken at line 1 (seq 1): entry edited']);
  });

  it.each([
    ['no credentials', { holder: DEMO_MSISDN }, {}, 401, 'unauthorized'],
    ['a wrong key', { holder: DEMO_MSISDN }, { 'x-api-key': 'guess' }, 401, 'unauthorized'],
    ['an agency not allowed to export', { holder: DEMO_MSISDN }, { 'x-api-key': 'portail-key-0123456789' }, 403, 'forbidden'],
    ['a number that is not Benin’s', { holder: '+33612345678' }, undefined, 400, 'bad_request'],
    ['an extra field', { holder: DEMO_MSISDN, all: true }, undefined, 400, 'bad_request'],
    ['not JSON', 'holder=+2290197000001', undefined, 400, 'bad_request'],
  ])('refuses %s', async (_name, body, headers, status, error) => {
    const res = await exportLog(body, headers);
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ error });
  });

  it('accepts the agency’s HMAC signature instead of its key, and an unknown holder is an empty log', async () => {
    const body = JSON.stringify({ holder: '+2290161000099' });
    const t = Math.floor(Date.now() / 1000);
    const signature = `t=${t},s=${await hmacHex('apdp-secret-0123456789', `${t}.${body}`)}`;
    const res = await exportLog(body, { 'x-guichet-signature': signature, 'x-agency': 'apdp' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-access-log-chain')).toBe('ok');
    expect(res.headers.get('x-access-log-entries')).toBe('0');
    expect(await res.text()).toBe('');
  });
});

describe('guichet access-log', () => {
  it('the OpenAPI example of the export is a chain that verifies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'guichet-accesslog-'));
    writeFileSync(join(dir, 'example.jsonl'), EXAMPLE_LINES);
    const lines: string[] = [];
    expect(await main(['access-log', 'verify', join(dir, 'example.jsonl')], (l) => lines.push(l))).toBe(0);
    expect(lines).toEqual(['chain ok: 2 entries, seq 1 to 2']);
  });

  it.each([
    [['access-log', 'verify'], 2, /wants a file/],
    [['access-log', 'export'], 2, /wants --holder/],
    [['access-log', 'export', '--holder', '12'], 2, /--holder/],
  ])('%j exits %i', async (argv, code, message) => {
    const lines: string[] = [];
    expect(await main(argv, (l) => lines.push(l))).toBe(code);
    expect(lines.join('\n')).toMatch(message);
  });

  it('refuses a file that is not JSON lines (2) and export without Redis (2)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'guichet-accesslog-'));
    writeFileSync(join(dir, 'bad.jsonl'), 'not json\n');
    const lines: string[] = [];
    expect(await main(['access-log', 'verify', join(dir, 'bad.jsonl')], (l) => lines.push(l))).toBe(2);
    expect(lines[0]).toMatch(/not JSON lines/);
    await expect(accessLogExport(['--holder', DEMO_MSISDN], () => {}, { env: { MENUS_DIR } })).rejects.toThrow(/reads Redis/);
  });
});

describe('the default start (no Redis, demo portal)', () => {
  it('shows the demo holder a lookup at once, then their own', async () => {
    const embedded = await createNodeGateway(loadConfig({ MENUS_DIR, MENUS_WATCH: '0' }), silentLogger);
    try {
      const at = async (sessionId: string, text: string) =>
        (await embedded.app.request('/ussd/africastalking', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ sessionId, serviceCode: '*123#', phoneNumber: DEMO_MSISDN, networkCode: '61602', text }).toString() })).text();
      await at('demo-1', '');
      await at('demo-1', '5');
      expect(await at('demo-1', '5*1')).toMatch(/^END Dernières consultations:\n\d\d\/\d\d \d\d:\d\d SMS 0166\*\*\*\*02 PS00373-240002$/);
      await at('demo-2', '');
      await at('demo-2', '1');
      await at('demo-2', '1*PS00373-240001');
      await at('demo-3', '');
      await at('demo-3', '5');
      expect((await at('demo-3', '5*1')).split('\n').slice(1).map((l) => l.replace(/^\S+ \S+ /, ''))).toEqual(['USSD 0197****01 PS00373-240001', 'SMS 0166****02 PS00373-240002']);
    } finally {
      await embedded.close();
    }
  });
});
