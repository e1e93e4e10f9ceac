import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, serveOnLoopback, type LoopbackServer } from '../testkit/loopback-server.js';
import { until } from '../testkit/until.js';
import { KANNEL_USER, startLoopbackKannel, type LoopbackKannel } from '../testkit/kannel.js';
import { loadConfig } from '../src/config.js';
import { createNodeGateway, type Gateway } from '../src/runtime/node/gateway.js';
import { silentLogger } from '../src/observability/logger.js';
import { MENUS_DIR } from '../testkit/harness.js';
import type { AdminSummary } from '../src/channels/admin/summary.js';
import { RESULTS_CSV_HEADER } from '../src/channels/surveys/route.js';
import { surveyMonth } from '../src/surveys/survey-service.js';

/**
 * The satisfaction survey end to end over a real Kannel on loopback (bearerbox, smsbox, and
 * Debian's `fakesmsc` as the operator's SMSC, as in `test/sms-kannel.test.ts`), on a real Redis
 * (`REDIS_URL`, its own prefix): agencies ask through `/v1/surveys`, the question leaves through
 * Kannel's sendsms, the citizens' scripted replies come in from fakesmsc through smsbox's get-url,
 * and the tallies are read back through the agencies' API and the dashboard.
 * Kannel is started by `testkit/kannel.ts`, as for `test/sms-kannel.test.ts`.
 */
let kannel: LoopbackKannel;
let gateway: Gateway;
let server: LoopbackServer | undefined;
let url: string;
const prefix = `test-survey-kannel-${process.pid}-${Date.now()}:`;
const ADMIN_TOKEN = 'survey-admin-token-0001';
const KEYS = { anip: 'anip-survey-key-0001', dgi: 'dgi-survey-key-0001' } as const;

/** A citizen texts the short code 7070 (fakesmsc's line: from, to, type, text). */
function citizenSends(from: string, text: string): void {
  kannel.send(`${from} 7070 text ${text}`);
}

/** What fakesmsc received for a number, from a sender, in order (`<from to text …>`). */
function received(to: string, from: string): string[] {
  return [...kannel.output().matchAll(new RegExp(`<${from} ${to} text ([^>]*)>`, 'g'))].map((m) => m[1]!);
}

beforeAll(async () => {
  const guichetPort = await freePort();
  url = `http://127.0.0.1:${guichetPort}`;
  kannel = await startLoopbackKannel({ inboundUrl: `${url}/sms/kannel/inbound`, name: 'survey-kannel' });
  gateway = await createNodeGateway(
    loadConfig({
      MENUS_DIR,
      MENUS_WATCH: '0',
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      REDIS_PREFIX: prefix,
      PII_HASH_KEY: 'survey-kannel-pii-key-0001',
      SMS_ROUTES: 'default=kannel',
      KANNEL_SENDSMS_URL: kannel.sendsmsUrl,
      KANNEL_USERNAME: KANNEL_USER.username,
      KANNEL_PASSWORD: KANNEL_USER.password,
      KANNEL_FROM: '123',
      PUBLIC_URL: url,
      NOTIFY_API_KEYS: `anip:${KEYS.anip},dgi:${KEYS.dgi}`,
      ADMIN_TOKEN,
    }),
    silentLogger,
  );
  server = await serveOnLoopback(gateway.app, { port: guichetPort });
}, 30_000);

afterAll(async () => {
  kannel?.stop();
  void server?.close();
  await gateway?.close();
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

const KANNEL_MS = 15_000;
const withKannelLogs = (what: string) => kannel.withLogs(what);

const askSurvey = async (agency: keyof typeof KEYS, body: Record<string, string>) => {
  const res = await fetch(`${url}/v1/surveys`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': KEYS[agency] }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { status: string; reason?: string } };
};
const results = (agency: keyof typeof KEYS, query: string) => fetch(`${url}/v1/surveys/results?${query}`, { headers: { 'x-api-key': KEYS[agency] } });

const QUESTION_FR = 'Service Public: votre avis compte. Répondez 1 (mauvais) à 5 (très bien) à ce SMS, avec un mot si vous voulez. STOP pour ne plus recevoir.';
const THANKS = 'Service Public: merci pour votre réponse, elle nous aide à mieux vous servir.';
const RETRY = 'Service Public: répondez par un chiffre de 1 (mauvais) à 5 (très bien).';
const UNKNOWN = 'Service Public: commande inconnue. Envoyez AIDE pour la liste des commandes.';

describe('satisfaction survey through a real Kannel', () => {
  const A = '2290197000001';
  const B = '2290197000002';
  const C = '2290197000003';
  const D = '2290197000004';
  const month = surveyMonth(Date.now());

  it('asks once per number per week, counts only ratings answering a pending survey, and reports exact tallies', async () => {
    // The agency asks; the question reaches the citizen through Kannel, once, whatever the retries.
    expect(await askSurvey('anip', { to: `+${A}`, service: 'PS00200', ccsp: 'CCSP-COTONOU-1', idempotencyKey: 'anip-PS00200-0001' })).toEqual({ status: 202, body: { status: 'sent', messageId: expect.any(String) } });
    expect(await askSurvey('anip', { to: `+${A}`, service: 'PS00200', ccsp: 'CCSP-COTONOU-1', idempotencyKey: 'anip-PS00200-0001' })).toMatchObject({ status: 200, body: { status: 'sent' } });
    await until(() => received(A, '123').length > 0, withKannelLogs('the survey question for A'), KANNEL_MS);
    expect(received(A, '123')).toEqual([QUESTION_FR]);
    // A second survey within the week is refused, from this agency or another.
    expect(await askSurvey('anip', { to: '0197000001', service: 'PS00373', idempotencyKey: 'anip-PS00373-0002' })).toEqual({ status: 200, body: { status: 'not_sent', reason: 'recently_surveyed' } });
    expect(await askSurvey('dgi', { to: `+${A}`, service: 'IFU', idempotencyKey: 'dgi-IFU-0001' })).toEqual({ status: 200, body: { status: 'not_sent', reason: 'recently_surveyed' } });

    // "7" is out of range: not counted, asked again; "5 merci" then counts.
    citizenSends(A, '7');
    await until(() => received(A, '7070').length === 1, withKannelLogs('the retry to A'), KANNEL_MS);
    citizenSends(A, '5 merci');
    await until(() => received(A, '7070').length === 2, withKannelLogs('the thanks to A'), KANNEL_MS);
    // The survey is answered: a second "4" is nothing but an unknown command.
    citizenSends(A, '4');
    await until(() => received(A, '7070').length === 3, withKannelLogs('the answer to A\'s second "4"'), KANNEL_MS);
    expect(received(A, '7070')).toEqual([RETRY, THANKS, UNKNOWN]);

    // Another agency's survey of another number, answered with a keyword and a word.
    expect((await askSurvey('dgi', { to: `+${B}`, service: 'IFU', ccsp: 'CCSP-PARAKOU', idempotencyKey: 'dgi-IFU-0002' })).status).toBe(202);
    await until(() => received(B, '123').length > 0, withKannelLogs('the survey question for B'), KANNEL_MS);
    citizenSends(B, 'note 3 lent');
    await until(() => received(B, '7070').length === 1, withKannelLogs('the thanks to B'), KANNEL_MS);
    expect(received(B, '7070')).toEqual([THANKS]);

    // A number with no survey pending: "4" is not a rating.
    citizenSends(C, '4');
    await until(() => received(C, '7070').length === 1, withKannelLogs('the answer to C'), KANNEL_MS);
    expect(received(C, '7070')).toEqual([UNKNOWN]);

    // STOP is honoured: no survey is sent.
    citizenSends(D, 'STOP');
    await until(() => received(D, '7070').length === 1, withKannelLogs('the answer to STOP'), KANNEL_MS);
    expect(await askSurvey('anip', { to: `+${D}`, service: 'PS00200', idempotencyKey: 'anip-PS00200-0004' })).toEqual({ status: 200, body: { status: 'not_sent', reason: 'opted_out' } });

    // Exact tallies, each agency its own.
    const anip = await results('anip', `month=${month}`);
    expect(anip.status).toBe(200);
    expect(await anip.json()).toEqual({
      month,
      agency: 'anip',
      rows: [{ month, agency: 'anip', service: 'PS00200', ccsp: 'CCSP-COTONOU-1', ratings: { 1: 0, 2: 0, 3: 0, 4: 0, 5: 1 }, answers: 1, mean: 5, words: { merci: 1 } }],
    });
    const dgiCsv = await results('dgi', `month=${month}&format=csv`);
    expect(dgiCsv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(await dgiCsv.text()).toBe(`${RESULTS_CSV_HEADER}\n${month},dgi,IFU,CCSP-PARAKOU,0,0,1,0,0,1,3.00,lent:1\n`);
    // The dashboard shows both agencies' rows, and no number anywhere.
    const summary = (await (await fetch(`${url}/admin/api/summary`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as AdminSummary;
    expect(summary.surveys.rows.map((r) => [r.agency, r.service, r.ccsp, r.answers, r.mean])).toEqual([
      ['anip', 'PS00200', 'CCSP-COTONOU-1', 1, 5],
      ['dgi', 'IFU', 'CCSP-PARAKOU', 1, 3],
    ]);
    expect(JSON.stringify(summary.surveys)).not.toMatch(/0197/);
    const page = await (await fetch(`${url}/admin`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
    expect(page).toContain('<table data-testid="surveys"></table>');
    expect(page).toContain('"service":"IFU"');
    // Nothing after the survey was sent once: the replayed POST sent no second question.
    expect(received(A, '123')).toEqual([QUESTION_FR]);
  }, 120_000);
});
