import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { registerSurveyRoutes, RESULTS_CSV_HEADER } from '../src/channels/surveys/route.js';
import { handleInboundSms } from '../src/sms/inbound.js';
import type { OutboundSms, SmsOutbox } from '../src/sms/outbox.js';
import { MemorySessionStore } from '../src/sessions/memory.js';
import { silentLogger, type Logger } from '../src/observability/logger.js';
import { parseSurveyAnswer, parseSurveyWord, type ParsedAnswer } from '../src/surveys/answer.js';
import { answerOne } from '../src/surveys/conformance.js';
import { MemorySurveyStore } from '../src/surveys/memory.js';
import { createSurveyService, surveyMonth } from '../src/surveys/survey-service.js';
import { SURVEY_SMS_TEMPLATES, renderSurveySms, type SurveyTemplateName } from '../src/surveys/templates.js';
import type { Language } from '../src/engine/languages.js';
import { prepareSms } from '../src/sms/text.js';

/**
 * The survey's parts in memory: what a reply means, the service's rules (one pending survey, one
 * per week, opt-out, language), the agencies' API (credentials, validation, each agency its own
 * rows, CSV). The same over a real Kannel and Redis: `test/surveys-kannel.test.ts`.
 */
describe('a reply as a survey answer', () => {
  // Replies as citizens type them; the first three are the brief's own examples.
  const cases: [string, ParsedAnswer][] = [
    ['4', { kind: 'rating', rating: 4 }],
    ['5 merci', { kind: 'rating', rating: 5, word: 'merci' }],
    ['note 3 lent', { kind: 'rating', rating: 3, word: 'lent' }],
    ['NOTE: 2', { kind: 'rating', rating: 2 }],
    ['Avis 4 très bien', { kind: 'rating', rating: 4, word: 'tres' }],
    ['  1  ', { kind: 'rating', rating: 1 }],
    ['4/5', { kind: 'rating', rating: 4 }],
    ['5, Super!', { kind: 'rating', rating: 5, word: 'super' }],
    // Digits are never kept as the word: no number or NPI reaches the results.
    ['4 0197000001', { kind: 'rating', rating: 4 }],
    ['3 1234567890 lent', { kind: 'rating', rating: 3, word: 'lent' }],
    ['7', { kind: 'out_of_range' }],
    ['0', { kind: 'out_of_range' }],
    ['10', { kind: 'out_of_range' }],
    ['STATUT PS00373-240001', null],
    ['PS00373-240001', null],
    ['STOP', null],
    ['AIDE', null],
    ['merci', null],
    ['', null],
    [`4 ${'a'.repeat(90)}`, null],
  ];
  it.each(cases)('%j → %j', (text, expected) => {
    expect(parseSurveyAnswer(text)).toEqual(expected);
  });
});

describe('a word typed on the USSD survey’s word screen', () => {
  // As a keypad sends them: multi-tap letters, any case, maybe a digit or two.
  const cases: [string, string | null][] = [
    ['rapide', 'rapide'],
    ['LENT', 'lent'],
    ['Très rapide', 'tres'],
    ['ok merci', 'ok'],
    ['2 lent', 'lent'],
    // Digits are never a word: a number or an NPI typed there is not kept.
    ['0197000001', null],
    ['a', null],
    ['', null],
    [`${'b'.repeat(30)}`, null],
    [`lent ${'a'.repeat(90)}`, null],
  ];
  it.each(cases)('%j → %j', (text, expected) => {
    expect(parseSurveyWord(text)).toBe(expected);
  });
});

describe('the survey texts', () => {
  it('each is one SMS segment in every language, as sent: GSM-7, or a Fon/Yoruba text in its own letters within one UCS-2 segment', () => {
    for (const [name, byLanguage] of Object.entries(SURVEY_SMS_TEMPLATES) as [SurveyTemplateName, Record<Language, string>][]) {
      expect(Object.keys(byLanguage)).toEqual(['fr', 'en', 'fon', 'yor']);
      for (const language of Object.keys(byLanguage) as Language[]) {
        const prepared = prepareSms(renderSurveySms(name, language), { transliterate: true });
        // Past 70 UCS-2 units a Fon or Yoruba text is sent in its GSM-7 spelling (src/sms/templates.ts smsSpelling).
        const encoding = language === 'fr' || language === 'en' || prepared.text.length > 70 ? 'GSM-7' : prepared.encoding;
        expect([name, language, prepared.encoding, prepared.segments]).toEqual([name, language, encoding, 1]);
      }
    }
  });
});

function harness(options: { logger?: Logger } = {}) {
  const sent: OutboundSms[] = [];
  const keys = new Set<string>();
  const outbox: SmsOutbox = {
    async enqueue(message) {
      // As the dispatcher: one message per idempotency key.
      if (!keys.has(message.idempotencyKey)) sent.push(message);
      keys.add(message.idempotencyKey);
      return { messageId: `m-${keys.size}` };
    },
  };
  const preferences = new MemorySessionStore();
  const store = new MemorySurveyStore();
  const logger = options.logger ?? silentLogger;
  const surveys = createSurveyService({ store, outbox, preferences, logger, piiHashKey: 'survey-test-key-0001' });
  const app = new Hono();
  registerSurveyRoutes(app, { surveys, store, agencies: { anip: { apiKey: 'anip-key-000001' }, dgi: { apiKey: 'dgi-key-0000001' } } });
  let inboundId = 0;
  const reply = (from: string, text: string) =>
    handleInboundSms({ services: {}, preferences, outbox, logger, surveys }, { route: 'kannel', id: `in-${++inboundId}`, from, to: '7070', text });
  const post = (key: string, body: unknown) =>
    app.request('/v1/surveys', { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const results = (key: string, query = '') => app.request(`/v1/surveys/results${query}`, { headers: { 'x-api-key': key } });
  return { sent, store, preferences, surveys, app, reply, post, results };
}

describe('the survey service and API', () => {
  const month = surveyMonth(Date.now());

  it('refuses callers without an agency key, and bad input, with a JSON reason', async () => {
    const h = harness();
    const valid = { to: '+2290197000001', service: 'PS00200', idempotencyKey: 'anip-0001-key' };
    const cases: [string, unknown, number, RegExp][] = [
      ['wrong-key-000000', valid, 401, /API key/],
      ['', valid, 401, /API key/],
      ['anip-key-000001', '{not json', 400, /not valid JSON/],
      ['anip-key-000001', { ...valid, to: '+33612345678' }, 400, /^to: /],
      ['anip-key-000001', { ...valid, service: 'PS:00200' }, 400, /^service: /],
      ['anip-key-000001', { ...valid, service: 'A{b}' }, 400, /^service: /],
      ['anip-key-000001', { ...valid, ccsp: 'x|y' }, 400, /^ccsp: /],
      ['anip-key-000001', { ...valid, idempotencyKey: 'short' }, 400, /^idempotencyKey: /],
      ['anip-key-000001', { ...valid, extra: 1 }, 400, /extra/],
    ];
    for (const [key, body, status, reason] of cases) {
      const res = await h.post(key, body);
      expect([res.status, ((await res.json()) as { reason: string }).reason]).toEqual([status, expect.stringMatching(reason)]);
    }
    expect(h.sent).toEqual([]);
    expect((await h.results('wrong-key-000000')).status).toBe(401);
    expect((await h.results('anip-key-000001', '?month=2026-13')).status).toBe(400);
    expect((await h.results('anip-key-000001', '?format=xml')).status).toBe(400);
  });

  it('asks in the citizen’s language, once per week per number, never after STOP', async () => {
    const h = harness();
    await h.preferences.setLanguage('+2290197000001', 'en');
    expect((await h.post('anip-key-000001', { to: '0197000001', service: 'PS00200', idempotencyKey: 'anip-0001-key' })).status).toBe(202);
    expect(h.sent.map((m) => [m.to, m.text, m.purpose])).toEqual([['+2290197000001', SURVEY_SMS_TEMPLATES.survey_question.en, 'survey']]);
    // Replay: 200, nothing new. Another key, or another agency: not sent.
    expect(await (await h.post('anip-key-000001', { to: '0197000001', service: 'PS00200', idempotencyKey: 'anip-0001-key' })).json()).toMatchObject({ status: 'sent' });
    expect(await (await h.post('dgi-key-0000001', { to: '+2290197000001', service: 'IFU', idempotencyKey: 'dgi-0001-key' })).json()).toEqual({ status: 'not_sent', reason: 'recently_surveyed' });
    await h.preferences.setOptedOut('+2290197000002', true);
    expect(await (await h.post('dgi-key-0000001', { to: '+2290197000002', service: 'IFU', idempotencyKey: 'dgi-0002-key' })).json()).toEqual({ status: 'not_sent', reason: 'opted_out' });
    expect(h.sent).toHaveLength(1);
  });

  it('counts one of two racing answers, thanks in the survey’s language, and leaves other texts to the keywords', async () => {
    const h = harness();
    await h.post('anip-key-000001', { to: '+2290197000001', service: 'PS00200', ccsp: 'CCSP-PARAKOU', language: 'en', idempotencyKey: 'anip-0001-key' });
    await Promise.all([h.reply('+2290197000001', '4'), h.reply('+2290197000001', '2')]);
    const replies = h.sent.filter((m) => m.purpose === 'reply').map((m) => m.text);
    expect(replies).toHaveLength(2);
    expect(replies.filter((t) => t === SURVEY_SMS_TEMPLATES.survey_thanks.en)).toHaveLength(1);
    // The loser is an unknown command, in the number's own language (French: only the survey was in English).
    expect(replies.filter((t) => t.includes('commande inconnue'))).toHaveLength(1);
    const [row] = await h.store.results(month);
    expect(row?.answers).toBe(1);
    // STATUT and friends are never taken as answers, pending survey or not.
    await h.post('anip-key-000001', { to: '+2290197000003', service: 'PS00200', idempotencyKey: 'anip-0003-key' });
    await h.reply('+2290197000003', 'STOP');
    expect(await h.preferences.isOptedOut('+2290197000003')).toBe(true);
    expect((await h.store.results(month))[0]?.answers).toBe(1);
  });

  it('shows an agency its own rows only, as JSON or CSV', async () => {
    const h = harness();
    await answerOne(h.store, { channel: 'sms', month, agency: 'anip', service: 'PS00200', ccsp: 'CCSP-COTONOU-1', language: 'fr' }, { rating: 4, word: 'merci' });
    await answerOne(h.store, { channel: 'sms', month, agency: 'anip', service: 'PS00200', ccsp: 'CCSP-COTONOU-1', language: 'fr' }, { rating: 5, word: 'merci' });
    await answerOne(h.store, { channel: 'sms', month, agency: 'anip', service: 'PS00200', ccsp: 'CCSP-COTONOU-1', language: 'fr' }, { rating: 2, word: 'lent' });
    await answerOne(h.store, { channel: 'sms', month, agency: 'dgi', service: 'IFU', ccsp: '-', language: 'fr' }, { rating: 1 });
    const json = (await (await h.results('anip-key-000001')).json()) as { agency: string; rows: { agency: string; mean: number }[] };
    expect(json.rows.map((r) => [r.agency, r.mean])).toEqual([['anip', 3.67]]);
    const csv = await h.results('anip-key-000001', `?month=${month}&format=csv`);
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="guichet-surveys-anip-${month}.csv"`);
    expect(await csv.text()).toBe(`${RESULTS_CSV_HEADER}\n${month},anip,PS00200,CCSP-COTONOU-1,0,1,0,1,1,3,3.67,merci:2 lent:1\n`);
    expect(await (await h.results('dgi-key-0000001', '?month=2019-01')).json()).toEqual({ month: '2019-01', agency: 'dgi', rows: [] });
  });
});
