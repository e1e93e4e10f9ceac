import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, serveOnLoopback, type LoopbackServer } from '../testkit/loopback-server.js';
import { MENUS_DIR, atHop, createTestGateway } from '../testkit/harness.js';
import { until } from '../testkit/until.js';
import { loadConfig } from '../src/config.js';
import { createNodeGateway, type Gateway } from '../src/runtime/node/gateway.js';
import { MenuRegistry } from '../src/engine/menu-registry.js';
import { parseMenu } from '../src/engine/menu-parse.js';
import { silentLogger } from '../src/observability/logger.js';
import { MemorySessionStore } from '../src/sessions/memory.js';
import type { AdminSummary } from '../src/channels/admin/summary.js';
import { RESULTS_CSV_HEADER } from '../src/channels/surveys/route.js';
import { MemorySurveyStore } from '../src/surveys/memory.js';
import type { SurveyStore } from '../src/surveys/port.js';
import { createSurveyService, surveyMonth } from '../src/surveys/survey-service.js';
import type { SmsOutbox } from '../src/sms/outbox.js';

/**
 * The USSD variant of the satisfaction survey (`survey: ussd`) end to end: real Africa's Talking
 * form POSTs (cumulative `text`, the session-end callback) to a gateway on loopback, on a real
 * Redis (`REDIS_URL`, its own prefix), its SMS leaving through the Kannel route to a loopback
 * sendsms that records them. Citizens walk an agency's menu, rate on the last screen, add a word
 * or not, drop, retransmit, race; the tallies are read back, exact, through the agencies' API (JSON,
 * CSV) and the dashboard, beside an SMS survey's answer: one set of results, one week per number.
 */
const MENU = `
id: avis
agency: anip
title: { fr: Démo avis, en: Survey demo }
serviceCodes: ["*124#"]
start: home
nodes:
  home:
    type: choice
    text: { fr: "ANIP", en: "ANIP" }
    options:
      - { label: { fr: Passeport, en: Passport }, next: passport.ready }
      - { label: { fr: Acte, en: Certificate }, next: certificate.recorded }
      - { label: { fr: Carte, en: Card }, next: card.recorded }
      - { label: { fr: Quitter, en: Leave }, next: bye }
  passport.ready:
    type: message
    text: { fr: "Votre passeport est disponible au CCSP.", en: "Your passport is ready at the CCSP." }
    survey: ussd
  certificate.recorded:
    type: message
    text: { fr: "Votre acte est enregistré.", en: "Your certificate is recorded." }
    survey: ussd
  card.recorded:
    type: message
    text: { fr: "Votre carte est enregistrée.", en: "Your card is recorded." }
    survey: sms
  bye:
    type: message
    text: { fr: "Au revoir.", en: "Goodbye." }
`;

const QUESTION = 'Votre avis: 1 (mauvais) à 5 (très bien)\n0.Passer';
const WORD = 'CON Merci! Un mot pour dire pourquoi? (ex. rapide, lent)\n0.Terminer';
const THANKS = 'END Merci pour votre avis, il nous aide à mieux vous servir.';
const SMS_QUESTION = 'Service Public: votre avis compte. Répondez 1 (mauvais) à 5 (très bien) à ce SMS, avec un mot si vous voulez. STOP pour ne plus recevoir.';
const ANIP_KEY = 'anip-ussd-survey-key-0001';
const ADMIN_TOKEN = 'ussd-survey-admin-token-01';
const prefix = `test-survey-ussd-${process.pid}-${Date.now()}:`;

let gateway: Gateway;
let server: LoopbackServer | undefined;
let sendsms: LoopbackServer | undefined;
let url: string;
/** What the loopback Kannel was asked to send: number (no +) and text. */
const sentSms: { to: string; text: string }[] = [];

beforeAll(async () => {
  const menus = mkdtempSync(join(tmpdir(), 'guichet-survey-ussd-'));
  writeFileSync(join(menus, 'avis.yaml'), MENU);
  // The gateway's own data (the CCSP directory) comes with any menus folder.
  cpSync(join(MENUS_DIR, 'data'), join(menus, 'data'), { recursive: true });
  // smsbox's sendsms as Kannel answers it (`providers/kannel/fixtures.ts`).
  const kannel = new Hono().get('/cgi-bin/sendsms', (c) => {
    sentSms.push({ to: c.req.query('to') ?? '', text: c.req.query('text') ?? '' });
    return c.text('0: Accepted for delivery', 202);
  });
  sendsms = await serveOnLoopback(kannel);
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  gateway = await createNodeGateway(
    loadConfig({
      MENUS_DIR: menus,
      MENUS_WATCH: '0',
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      REDIS_PREFIX: prefix,
      PII_HASH_KEY: 'survey-ussd-pii-key-00001',
      SMS_ROUTES: 'default=kannel',
      KANNEL_SENDSMS_URL: sendsms.baseUrl,
      KANNEL_USERNAME: 'guichet',
      KANNEL_PASSWORD: 'k4nnel-secret',
      KANNEL_FROM: '123',
      PUBLIC_URL: url,
      NOTIFY_API_KEYS: `anip:${ANIP_KEY}`,
      ADMIN_TOKEN,
    }),
    silentLogger,
  );
  server = await serveOnLoopback(gateway.app, { port });
}, 30_000);

afterAll(async () => {
  await server?.close();
  await gateway?.close();
  await sendsms?.close();
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

/** One Africa's Talking hop: the whole history so far in `text`, as the aggregator sends it. */
async function hop(sessionId: string, phone: string, inputs: readonly string[]): Promise<string> {
  const res = await fetch(`${url}/ussd/africastalking`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ sessionId, serviceCode: '*124#', phoneNumber: phone, networkCode: '61602', text: inputs.join('*') }).toString(),
  });
  expect(res.status).toBe(200);
  return res.text();
}

/** A whole session: the opening, then each input; every screen it got. */
async function walk(sessionId: string, phone: string, inputs: readonly string[]): Promise<string[]> {
  const screens = [await hop(sessionId, phone, [])];
  for (let i = 1; i <= inputs.length; i++) screens.push(await hop(sessionId, phone, inputs.slice(0, i)));
  return screens;
}

async function sessionEnded(sessionId: string, phone: string, status: 'Success' | 'Incomplete'): Promise<void> {
  const res = await fetch(`${url}/ussd/africastalking/session-end`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ sessionId, serviceCode: '*124#', phoneNumber: phone, status }).toString(),
  });
  expect(res.status).toBe(200);
}

const api = (path: string, init: RequestInit = {}) => fetch(`${url}${path}`, { ...init, headers: { 'x-api-key': ANIP_KEY, 'content-type': 'application/json', ...init.headers } });

describe('the USSD survey through Africa’s Talking, on Redis', () => {
  const month = surveyMonth(Date.now());
  const HOME = 'CON ANIP\n1.Passeport\n2.Acte\n3.Carte\n4.Quitter';

  it('asks on the last screen, counts ratings and words once each, shares the week with the SMS survey, and reports exact tallies', async () => {
    // A: rating 5 and a word. The rating hop retransmitted (same text) is answered from the record.
    expect(await walk('a-1', '+2290197000001', ['1', '5'])).toEqual([HOME, `CON Votre passeport est disponible au CCSP.\n${QUESTION}`, WORD]);
    expect(await hop('a-1', '+2290197000001', ['1', '5'])).toBe(WORD);
    expect(await hop('a-1', '+2290197000001', ['1', '5', 'Rapide'])).toBe(THANKS);
    await sessionEnded('a-1', '+2290197000001', 'Success');

    // B: rating 4, no word (0).
    expect(await walk('b-1', '+2290197000002', ['1', '4', '0'])).toEqual([HOME, `CON Votre passeport est disponible au CCSP.\n${QUESTION}`, WORD, THANKS]);

    // C: the rating hop sent twice at once (an aggregator's retry racing the original): one count.
    await walk('c-1', '+2290197000003', ['1']);
    expect(await Promise.all([hop('c-1', '+2290197000003', ['1', '3']), hop('c-1', '+2290197000003', ['1', '3'])])).toEqual([WORD, WORD]);
    expect(await hop('c-1', '+2290197000003', ['1', '3', 'lent'])).toBe(THANKS);

    // D: another service; 7 is no rating (asked again), then 2 and a word typed with accents and two words.
    expect(await walk('d-1', '+2290197000004', ['2', '7', '2', 'Très lent'])).toEqual([
      HOME,
      `CON Votre acte est enregistré.\n${QUESTION}`,
      `CON Choix invalide.\n${QUESTION}`,
      WORD,
      THANKS,
    ]);

    // E: skips the survey with 0: nothing counted, and the week is spent all the same.
    expect(await walk('e-1', '+2290197000005', ['2', '0'])).toEqual([HOME, `CON Votre acte est enregistré.\n${QUESTION}`, 'END Merci et à bientôt.']);
    expect(await walk('e-2', '+2290197000005', ['2'])).toEqual([HOME, 'END Votre acte est enregistré.']);

    // F: hangs up at the question (Incomplete): only the survey is lost. The redial is not offered
    // to resume it, and the same walk now closes plainly (asked this week).
    await walk('f-1', '+2290197000006', ['1']);
    await sessionEnded('f-1', '+2290197000006', 'Incomplete');
    expect(await walk('f-2', '+2290197000006', ['1'])).toEqual([HOME, 'END Votre passeport est disponible au CCSP.']);

    // G: the SMS variant of the same menu; the SMS goes out once the session closed, and G's USSD
    // walk later that week is not asked again. A, rated on USSD, is refused the agency's SMS survey.
    expect(await walk('g-1', '+2290197000007', ['3'])).toEqual([HOME, 'END Votre carte est enregistrée.']);
    await until(() => sentSms.some((m) => m.to === '2290197000007'), 'the SMS survey for G');
    expect(sentSms).toEqual([{ to: '2290197000007', text: SMS_QUESTION }]);
    expect(await walk('g-2', '+2290197000007', ['1'])).toEqual([HOME, 'END Votre passeport est disponible au CCSP.']);
    const refused = await api('/v1/surveys', { method: 'POST', body: JSON.stringify({ to: '+2290197000001', service: 'PS00200', idempotencyKey: 'anip-ussd-e2e-0001' }) });
    expect(await refused.json()).toEqual({ status: 'not_sent', reason: 'recently_surveyed' });
    // G answers the SMS by SMS: counted in the same results.
    const inbound = await fetch(`${url}/sms/kannel/inbound?${new URLSearchParams({ from: '2290197000007', to: '7070', text: '1 lent', id: 'kannel-in-1', coding: '0', charset: 'UTF-8' })}`);
    expect(inbound.status).toBe(200);

    // Exact tallies: passport 5+4+3 (words rapide, lent), certificate 2 (tres), card 1 by SMS (lent).
    await until(async () => ((await (await api(`/v1/surveys/results?month=${month}`)).json()) as { rows: unknown[] }).rows.length === 3, 'the SMS answer counted');
    expect(await (await api(`/v1/surveys/results?month=${month}`)).json()).toEqual({
      month,
      agency: 'anip',
      rows: [
        { month, agency: 'anip', service: 'card.recorded', ccsp: '-', ratings: { 1: 1, 2: 0, 3: 0, 4: 0, 5: 0 }, answers: 1, mean: 1, words: { lent: 1 } },
        { month, agency: 'anip', service: 'certificate.recorded', ccsp: '-', ratings: { 1: 0, 2: 1, 3: 0, 4: 0, 5: 0 }, answers: 1, mean: 2, words: { tres: 1 } },
        { month, agency: 'anip', service: 'passport.ready', ccsp: '-', ratings: { 1: 0, 2: 0, 3: 1, 4: 1, 5: 1 }, answers: 3, mean: 4, words: { lent: 1, rapide: 1 } },
      ],
    });
    expect(await (await api(`/v1/surveys/results?month=${month}&format=csv`)).text()).toBe(
      [
        RESULTS_CSV_HEADER,
        // "No CCSP" (`-`) comes out as `'-`: csvRow defuses every cell a spreadsheet could take for a formula.
        `${month},anip,card.recorded,"'-",1,0,0,0,0,1,1.00,lent:1`,
        `${month},anip,certificate.recorded,"'-",0,1,0,0,0,1,2.00,tres:1`,
        `${month},anip,passport.ready,"'-",0,0,1,1,1,3,4.00,lent:1 rapide:1`,
        '',
      ].join('\n'),
    );
    // The dashboard: the same rows, the menu's sessions counted as ended where the survey was asked.
    const summary = (await (await fetch(`${url}/admin/api/summary`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as AdminSummary;
    expect(summary.surveys.rows.map((r) => [r.service, r.answers, r.mean])).toEqual([
      ['card.recorded', 1, 1],
      ['certificate.recorded', 1, 2],
      ['passport.ready', 3, 4],
    ]);
    expect(JSON.stringify(summary.surveys)).not.toMatch(/0197/);
    // Six sessions reached the passport's screen (A, B, C, F twice, G's second): each ended there,
    // F's hang-up at the question included: the menu had done its part, only the survey was lost.
    const passport = summary.funnels.find((m) => m.menu === 'avis')?.nodes.find((n) => n.node === 'passport.ready');
    expect([passport?.entered, passport?.ended, passport?.dropped]).toEqual([6, 6, 0]);
    // Nothing in Redis names a number in clear.
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
    const surveyKeys = await redis.keys(`${prefix}surveys:*`);
    await redis.quit();
    expect(surveyKeys.length).toBeGreaterThan(0);
    expect(surveyKeys.join(' ')).not.toMatch(/0197|229/);
  }, 60_000);
});

describe('the USSD survey when its store fails', () => {
  const SIMPLE = MENU;
  const menus = () => new MenuRegistry([parseMenu(SIMPLE, 'avis.yaml')]);
  const outbox: SmsOutbox = { enqueue: async () => ({ messageId: 'm-1' }) };
  const withStore = async (store: SurveyStore) => {
    const sessions = new MemorySessionStore();
    const surveys = createSurveyService({ store, outbox, preferences: sessions, logger: silentLogger });
    const { app } = await createTestGateway({ menus: menus(), services: {}, store: sessions, surveys: { service: surveys, store } });
    return (sessionId: string, text: string) => atHop(app, { sessionId, text, serviceCode: '*124#' });
  };

  it('closes with the service’s own answer when the store cannot ask in time', async () => {
    const hanging = Object.assign(new MemorySurveyStore(), { offer: () => new Promise<never>(() => {}) });
    const at = await withStore(hanging);
    await at('h-1', '');
    const started = Date.now();
    expect((await at('h-1', '1')).body).toBe('END Votre passeport est disponible au CCSP.');
    // Past the hop's store budget (1 s) the survey is given up, well within the aggregator's time-out.
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('closes politely when the rating cannot be counted, and the survey is not lost half-way', async () => {
    const store = new MemorySurveyStore();
    const failing = Object.assign(store, { answer: () => Promise.reject(new Error('redis down')) });
    const at = await withStore(failing);
    await at('h-2', '');
    expect((await at('h-2', '1')).body).toBe(`CON Votre passeport est disponible au CCSP.\n${QUESTION}`);
    expect((await at('h-2', '1*5')).body).toBe('END Service momentanément indisponible. Merci de réessayer plus tard.');
    expect(await store.results(surveyMonth(Date.now()))).toEqual([]);
  });
});
