import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { draftsOnScreen } from '../src/engine/catalog.js';
import { advance, startSession } from '../src/engine/engine.js';
import { LANGUAGES, foldKeyword, gsm7SpellingOf, languageFromKeyword, translated } from '../src/engine/languages.js';
import { lintMenu } from '../src/engine/lint.js';
import { parseMenu } from '../src/engine/menu-parse.js';
import { MenuRegistry } from '../src/engine/menu-registry.js';
import type { Menu } from '../src/engine/schema.js';
import type { HopContext, Step } from '../src/engine/types.js';
import { UI_TEXT, uiText } from '../src/engine/ui-text.js';
import { createApp } from '../src/http/app.js';
import { fitsScreen, measureText } from '../src/lib/gsm7.js';
import { silentLogger } from '../src/observability/logger.js';
import { MemorySessionStore } from '../src/sessions/memory.js';
import { MemoryJobQueue } from '../src/jobs/memory.js';
import { parseCommand } from '../src/sms/inbound.js';
import { SmsDispatcher } from '../src/sms/dispatcher.js';
import { MemoryMessageStore } from '../src/sms/store/memory.js';
import type { OutgoingSms, SmsRoute } from '../src/sms/port.js';
import { PAYMENT_SMS_TEMPLATES, SMS_TEMPLATES, renderSms, smsSpelling } from '../src/sms/templates.js';
import { CHANNEL_MESSAGES, RESUME_OFFER, channelMessage } from '../src/channels/ussd/messages.js';
import { ussdDialects } from '../providers/index.js';
import { MENUS_DIR, defaultServices } from '../testkit/harness.js';

const ctx: HopContext = { msisdn: '+2290197000001', screenLimit: 160 };
const shipped = readdirSync(MENUS_DIR)
  .filter((name) => name.endsWith('.yaml'))
  .map((name) => parseMenu(readFileSync(join(MENUS_DIR, name), 'utf8'), name));

const screenText = (step: Step) => {
  if (step.type !== 'screen') throw new Error(`expected a screen, got a call to ${step.call.service}`);
  return step.screen.text;
};

describe('language codes and SMS keywords', () => {
  it('are ISO 639-3 for the national languages, as documented', () => {
    expect(LANGUAGES).toEqual(['fr', 'en', 'fon', 'yor']);
  });

  it.each([
    ['LANGUE FON', 'fon'],
    ['langue fon', 'fon'],
    ['LANGUE FONGBE', 'fon'],
    ['Langue Fɔngbè', 'fon'],
    ['LANGUE YORUBA', 'yor'],
    ['langue Yorùbá', 'yor'],
    ['LANGUE YOR', 'yor'],
    ['LANGUAGE  yo', 'yor'],
    ['LANGUE EN', 'en'],
    ['LANG francais', 'fr'],
  ] as const)('%j chooses %s', (text, language) => {
    expect(parseCommand(text)).toEqual({ kind: 'language', language });
  });

  it.each(['LANGUE', 'LANGUE BARIBA', 'LANGUE FONX'])('%j is not a language: the help answers', (text) => {
    expect(parseCommand(text)).toMatchObject({ kind: 'help' });
    expect(languageFromKeyword(text.split(' ')[1] ?? '')).toBeUndefined();
  });

  it('folds keywords like the parser does', () => {
    expect(foldKeyword('Fɔngbè')).toBe('FONGBE');
  });
});

describe('GSM-7 spelling of Fon and Yoruba', () => {
  it.each([
    ['fon', 'Azɔ̌ Gbɛtɔ́ Bɛnɛ tɔn', 'Azo Gbeto Bene ton'],
    ['fon', 'Ɖɔ mɛ e un nyí (NPI)', 'Do me e un nyi (NPI)'],
    ['fon', 'nǔbyɔ́ ɖěvo', 'nubyo devo'],
    ['yor', 'Iṣẹ́ Ìjọba Bẹ̀nẹ̀', 'Ise Ijoba Bene'],
    ['yor', 'Jọ̀wọ́ gbìyànjú lẹ́yìn náà.', 'Jowo gbiyanju leyin naa.'],
    // French has no declared spelling: left as it is (the generic ê→e is the SMS setting's business).
    ['fr', 'Numéro de la demande', 'Numéro de la demande'],
  ] as const)('%s %j → %j', (language, text, spelled) => {
    expect(gsm7SpellingOf(language, text)).toBe(spelled);
    if (language !== 'fr') expect(measureText(spelled).encoding).toBe('GSM-7');
  });
});

describe('a GSM-7-only route (USSD_<PROVIDER>_ENCODING=gsm7)', () => {
  it.each([
    ['3.Fɔngbè\n4.Yorùbá', '3.Fongbè\n4.Yorùba'],
    ['Azɔ̌ Gbɛtɔ́ Bɛnɛ tɔn', 'Azo Gbeto Bene ton'],
    ['Iṣẹ́ Ìjọba', 'Ise Ijoba'],
    ['Prêt à être retiré', 'Pret à etre retiré'],
    // No spelling at all: what the network would show.
    ['Ð 中', '? ?'],
  ])('%j → %j', async (text, shown) => {
    const { spellEverythingInGsm7 } = await import('../src/lib/gsm7.js');
    expect(spellEverythingInGsm7(text)).toBe(shown);
  });
});

describe('every shipped screen in every language (the linter, as `guichet menus lint` runs it)', () => {
  it.each(shipped.map((menu) => [menu.source, menu] as const))('%s: no lint error in any of fr, en, fon, yor', (_source, menu) => {
    const problems = lintMenu(menu);
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
    // A question must fit one page in every language; a long message may be read page by page.
    expect(problems.filter((p) => p.rule === 'screen-too-long')).toEqual([]);
  });

  it('the linter renders each language: a Fon screen that fits only in its GSM-7 spelling passes, one that does not is reported', () => {
    const menu = parseMenu(
      `
id: t
title: T
serviceCodes: ["*555#"]
start: home
nodes:
  home:
    type: choice
    text: { fr: Accueil, en: Home, fon: "Azɔ̌ Gbɛtɔ́ Bɛnɛ tɔn — nǔ e a byɔ́ lɛ bǐ ɖò fí", yor: "${'Ẹ'.repeat(200)}" }
    options:
      - { label: { fr: Fin, en: End, fon: "Vɔ̌", yor: "Òpin" }, next: end }
  end:
    type: message
    text: { fr: Fin, en: End, fon: "Ɖò ǎ Ð", yor: "Òpin" }
`,
      't.yaml',
    );
    const problems = lintMenu(menu);
    // fon home: 66 UTF-16 units with the combining tone marks (> 70 with the option), fits once spelled.
    expect(problems.filter((p) => p.path.join('.') === 'nodes.home.text' && p.message.includes(' fon:'))).toEqual([]);
    expect(problems).toContainEqual(expect.objectContaining({ rule: 'screen-too-long', severity: 'error', path: ['nodes', 'home', 'text'], message: expect.stringMatching(/^\d pages in yor: .*even in the yor GSM-7 spelling/) }));
  });

  it('a missing Fon or Yoruba text is a warning (French is shown); a missing English one stays an error', () => {
    const menu = parseMenu(
      `
id: t
title: T
serviceCodes: ["*555#"]
start: home
nodes:
  home:
    type: message
    text: { fr: Bonjour }
`,
      't.yaml',
    );
    const missing = lintMenu(menu).filter((p) => p.rule === 'missing-translation');
    expect(missing.map((p) => [p.message, p.severity])).toEqual([
      ['no en text (falls back to French)', 'error'],
      ['no fon text (falls back to French)', 'warning'],
      ['no yor text (falls back to French)', 'warning'],
    ]);
  });

  it('the engine and channel words fit one screen in every language, even in UCS-2', () => {
    for (const language of LANGUAGES) {
      const ui = uiText(language);
      for (const text of [`${ui.invalidChoice}\n${ui.back} ${ui.home}`, ui.serviceError, ui.more, RESUME_OFFER[language]]) expect(fitsScreen(text, 160), `${language}: ${text}`).toBe(true);
      for (const name of Object.keys(CHANNEL_MESSAGES.fr) as (keyof typeof CHANNEL_MESSAGES.fr)[]) expect(fitsScreen(channelMessage(name, language), 160)).toBe(true);
    }
  });
});

describe('per-string French fallback', () => {
  const menu = parseMenu(
    `
id: t
title: T
serviceCodes: ["*555#"]
start: home
nodes:
  home:
    type: choice
    text: { fr: "Accueil", en: Home, fon: "Xwé", review: { fon: draft } }
    options:
      - { label: { fr: "Suivre", en: Track, fon: "Kpɔ́n" }, next: ask }
      - { label: { fr: "Payer", en: Pay }, next: ask }
  ask:
    type: input
    text: { fr: "Numéro:", en: "Number:" }
    store: n
    validate: { digits: true }
    next: done
  done:
    type: message
    text: { fr: "Merci {{n}}", en: "Thanks {{n}}", yor: "Ẹ ṣé {{n}}" }
`,
    't.yaml',
  );

  it('each string missing in Fon is shown in French, the rest in Fon, navigation in Fon', () => {
    const home = startSession(menu, 'fon', ctx);
    expect(screenText(home)).toBe('Xwé\n1.Kpɔ́n\n2.Payer');
    const ask = advance(menu, home.state, '1', ctx);
    expect(screenText(ask)).toBe('Numéro:\n0.Lɛkɔ 00.Xwé');
    const refused = advance(menu, ask.state, 'abc', ctx);
    expect(screenText(refused)).toBe(`${UI_TEXT.fon!.invalidInput}\nNuméro:\n0.Lɛkɔ 00.Xwé`);
    expect(screenText(advance(menu, ask.state, '42', ctx))).toBe('Merci 42');
  });

  it('in Yoruba, French for the screens without Yoruba, Yoruba where it exists', () => {
    const home = startSession(menu, 'yor', ctx);
    expect(screenText(home)).toBe('Accueil\n1.Suivre\n2.Payer');
    const done = advance(menu, advance(menu, home.state, '2', ctx).state, '7', ctx);
    expect(screenText(done)).toBe('Ẹ ṣé 7');
  });

  it('engine and SMS words missing in a language fall back to French one by one', () => {
    expect(translated({ fr: 'a', en: 'b' }, 'fon')).toBe('a');
    expect(channelMessage('inputTooLong', 'fon')).toBe(CHANNEL_MESSAGES.fr.inputTooLong);
    expect(channelMessage('unavailable', 'fon')).toBe(CHANNEL_MESSAGES.fon!.unavailable);
    // Payment receipts and survey texts: every template has French; Fon where written.
    for (const texts of [...Object.values(SMS_TEMPLATES), ...Object.values(PAYMENT_SMS_TEMPLATES)]) expect(texts.fr).toBeTruthy();
  });

  it('drafts on a screen are listed for the simulator, reviewed and missing ones are not', () => {
    expect(draftsOnScreen(menu, 'home', 'fon')).toEqual([{ key: 'nodes/home/text', text: 'Xwé' }]);
    expect(draftsOnScreen(menu, 'home', 'en')).toEqual([]);
  });
});

describe('shipped Fon and Yoruba texts', () => {
  it('are all marked draft until a native speaker reviews them', async () => {
    const { catalogOf, translationState } = await import('../src/engine/catalog.js');
    for (const menu of shipped) {
      for (const entry of catalogOf(menu)) {
        for (const language of ['fon', 'yor'] as const) expect(['draft', 'missing'], `${menu.source} ${entry.key} ${language}`).toContain(translationState(entry.text, language));
      }
    }
  });

  it('the language screen offers all four languages, each switching to its own', () => {
    const menu = shipped.find((m) => m.id === 'service-public')!;
    let step = startSession(menu, 'fr', ctx);
    step = advance(menu, step.state, '4', ctx);
    expect(screenText(step)).toBe('Langue:\n1.Français\n2.English\n3.Fɔngbè\n4.Yorùbá\n0.Retour 00.Accueil');
    const fon = advance(menu, step.state, '3', ctx);
    expect(fon.effects).toEqual([{ type: 'setLanguage', language: 'fon' }]);
    const yor = advance(menu, step.state, '4', ctx);
    expect(yor.effects).toEqual([{ type: 'setLanguage', language: 'yor' }]);
    // Five entries take 88 UCS-2 characters (the four before the fifth already 73 of 70): the whole
    // home screen is shown in the Yoruba GSM-7 spelling, one page instead of two.
    expect(screenText(yor)).toBe('Ise Ijoba Bene\n1.Topa ibeere\n2.San owo\n3.Wa CCSP kan\n4.Ede / Langue\n5.Ta lo wo iwe mi');
  });
});

describe('SMS in Fon and Yoruba', () => {
  function gateway() {
    const sent: OutgoingSms[] = [];
    const route: SmsRoute = {
      name: 'africastalking',
      async send(sms) {
        sent.push(sms);
        return { providerMessageId: `p-${sent.length}` };
      },
    };
    const store = new MemoryMessageStore();
    const queue = new MemoryJobQueue();
    const preferences = new MemorySessionStore();
    const dispatcher = new SmsDispatcher({ store, preferences, queue, routes: { africastalking: route }, routing: { default: 'africastalking' }, transliterate: true, logger: silentLogger, attempts: 1 });
    dispatcher.start();
    return { sent, queue, preferences, dispatcher, store };
  }

  it('LANGUE FON / LANGUE YORUBA by SMS: remembered per number, the reply and later answers in that language', async () => {
    const { sent, queue, preferences, dispatcher, store } = gateway();
    const services = await defaultServices();
    const app = createApp({ menus: new MenuRegistry([]), services, sessions: preferences, preferences, dialects: ussdDialects, logger: silentLogger, sms: { dispatcher, store, agencies: { portail: { apiKey: 'k-portail-123' } }, outbox: dispatcher } });
    // Africa's Talking inbound callback, as its wire sends it.
    const inbound = (from: string, text: string, id: string) =>
      app.request('/sms/africastalking/inbound', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ from, to: '123', text, id, date: '2026-11-23', linkId: '', networkCode: '61602' }).toString() });
    expect((await inbound('+2290197000001', 'LANGUE FON', 'l-1')).status).toBe(200);
    expect((await inbound('+2290166000002', 'langue yoruba', 'l-2')).status).toBe(200);
    expect(await preferences.getLanguage('+2290197000001')).toBe('fon');
    expect(await preferences.getLanguage('+2290166000002')).toBe('yor');
    await inbound('+2290197000001', 'STATUT PS00373-240001', 'l-3');
    await inbound('+2290197000001', 'AIDE', 'l-4');
    // The notification API's default language is the citizen's choice.
    const notified = await app.request('/v1/notifications', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'k-portail-123' },
      body: JSON.stringify({ to: '+2290166000002', template: 'fee_due', params: { requestNumber: 'PS00373-240002', amountXof: 1900 }, idempotencyKey: 'portail-fee-000001' }),
    });
    expect(notified.status).toBe(202);
    await queue.drain();
    expect(sent.map((s) => [s.to, s.text])).toEqual([
      ['+2290197000001', 'Azɔ̌ Gbɛtɔ́: wĕn towe lɛ na ɖò Fɔngbè.'],
      ['+2290166000002', 'Iṣẹ́ Ìjọba: àwọn ìfiránṣẹ́ rẹ yóò wà ní Yorùbá.'],
      // Within one UCS-2 segment (70): sent in its own letters.
      ['+2290197000001', 'Azɔ̌ Gbɛtɔ́: nǔ e a byɔ́ PS00373-240001: é ɖò gbɛ̀ (20/11/2026).'],
      // Past one UCS-2 segment: sent in the GSM-7 spelling, one segment instead of two.
      ['+2290197000001', 'Azo Gbeto: STATUT <nomba> bo kpon nu e a byo, LANGUE FR nu Flansegbe, STOP bo ma mo SMS a. Menu: *123#'],
      ['+2290166000002', 'Ise Ijoba: o ni lati san 1900 FCFA fun ibeere PS00373-240002. San ni *123#.'],
    ]);
    expect(sent.map((s) => s.encoding)).toEqual(['UCS-2', 'UCS-2', 'UCS-2', 'GSM-7', 'GSM-7']);
    expect(new Set((await Promise.all(sent.map(async (s) => (await store.get(s.id))?.segments))))).toEqual(new Set([1]));
  });

  it('a text that fits one UCS-2 segment keeps its letters; a longer one is spelled in GSM-7', () => {
    expect(smsSpelling('yor', 'Ẹ ṣé')).toBe('Ẹ ṣé');
    expect(renderSms('unavailable', 'yor', {})).toBe('Iṣẹ́ Ìjọba: iṣẹ́ kò sí fún ìgbà díẹ̀. Jọ̀wọ́ gbìyànjú lẹ́yìn náà.');
    const long = renderSms('help', 'yor', {});
    expect(measureText(long)).toMatchObject({ encoding: 'GSM-7' });
    expect(long).toBe('Ise Ijoba: STATUT <nomba> lati topa ibeere, LANGUE FR fun Faranse, STOP lati da SMS duro. Menu: *123#');
  });
});

describe('reminders in Fon and Yoruba (menus/reminders/portail.yaml)', () => {
  it('every rule has both, each sent as one SMS (in its GSM-7 spelling when longer than a UCS-2 segment)', async () => {
    const { parseReminderRules, ruleText } = await import('../src/reminders/rules.js');
    const { prepareSms } = await import('../src/sms/text.js');
    const file = join(MENUS_DIR, 'reminders', 'portail.yaml');
    const rules = parseReminderRules(readFileSync(file, 'utf8'), 'portail', file).rules;
    for (const rule of rules) {
      for (const language of ['fon', 'yor'] as const) {
        const text = ruleText(rule, language);
        expect(text).not.toBe(rule.text.fr);
        const sent = smsSpelling(language, text.replace('{{requestNumber}}', 'PS00373-240001').replace('{{amountXof}}', '1900000'));
        expect(prepareSms(sent, { transliterate: false }).segments, `${rule.id} ${language}: ${sent}`).toBe(1);
      }
    }
  });
});

describe('the simulator marks drafts', () => {
  it('GET /simulator/session lists the draft texts of the screen the session rests on', async () => {
    const { createTestGateway } = await import('../testkit/harness.js');
    const menus = new MenuRegistry(shipped as Menu[]);
    const gw = await createTestGateway({ menus, simulator: true });
    const hop = (text: string) =>
      gw.app.request('/ussd/africastalking', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ sessionId: 'sim-drafts', serviceCode: '*123#', phoneNumber: '+2290197000003', networkCode: '61602', text }).toString() });
    await hop('');
    await hop('4');
    // The home screen does not fit one UCS-2 screen with its fifth entry: spelled (the drafts keep their letters).
    expect(await (await hop('4*4')).text()).toMatch(/^CON Ise Ijoba Bene\n/);
    const info = (await (await gw.app.request('/simulator/session?provider=africastalking&sessionId=sim-drafts')).json()) as { language: string; drafts: { key: string; text: string }[]; draftNavigation: boolean };
    expect(info.language).toBe('yor');
    expect(info.draftNavigation).toBe(true);
    expect(info.drafts.map((d) => d.key)).toEqual(['nodes/home/text', 'nodes/home/options/0/label', 'nodes/home/options/1/label', 'nodes/home/options/2/label', 'nodes/home/options/3/label', 'nodes/home/options/4/label']);
    expect(info.drafts[0]!.text).toBe('Iṣẹ́ Ìjọba Bẹ̀nẹ̀');
  });
});

describe('the access-log, career, appointment and survey texts in Fon and Yoruba (drafts)', async () => {
  const { ACCESS_LOG_SMS_TEMPLATES, CAREER_SMS_TEMPLATES, renderAccessLogSms, renderCareerSms } = await import('../src/sms/templates.js');
  const { SURVEY_SMS_TEMPLATES, SURVEY_USSD_TEXT, renderSurveySms, surveyQuestionScreen, surveyUssdText } = await import('../src/surveys/templates.js');
  const { appointmentSms } = await import('../src/appointments/templates.js');
  const { dayLabel } = await import('../src/appointments/calendar.js');
  const { prepareSms } = await import('../src/sms/text.js');
  // QUI with a full log: five lookups, as src/access-log/services.ts formats them.
  const fiveLookups = ['PS00373-240001', 'PS00373-240002', 'PS00200-240003', 'PS00150-240004', 'PS00373-240005'].map((n, i) => `03/12 14:0${i} USSD 0197****01 ${n}`).join('\n');
  // The longest shipped centre (menus/data/appointments.yaml) and a long place.
  const appointment = (language: 'fr' | 'fon' | 'yor') => ({ centre: 'CCSP Abomey-Calavi', place: 'Mairie, rez-de-chaussee', day: dayLabel('2026-12-10', language), time: '10:30', code: '482913', manage: '*123*8#' });
  // [what, render in a language, how many segments it may take: what French takes]
  const texts: [string, (language: 'fr' | 'fon' | 'yor') => string, number][] = [
    ['career_act', (l) => renderSms('career_act', l, { act: 'reclassement categorie A1', date: '15/03/2026' }), 1],
    ['career_code', (l) => renderCareerSms('career_code', l, { code: '482913', minutes: 5 }), 1],
    ['access_log', (l) => renderAccessLogSms('access_log', l, { entries: fiveLookups }), 2],
    ['access_log_empty', (l) => renderAccessLogSms('access_log_empty', l, {}), 1],
    ['survey_question', (l) => renderSurveySms('survey_question', l), 1],
    ['survey_thanks', (l) => renderSurveySms('survey_thanks', l), 1],
    ['survey_retry', (l) => renderSurveySms('survey_retry', l), 1],
    ...(['booked', 'moved', 'cancelled', 'reminder'] as const).map((kind): [string, (l: 'fr' | 'fon' | 'yor') => string, number] => [`appointment ${kind}`, (l) => appointmentSms(kind, l, appointment(l)), 1]),
  ];

  it.each(texts.flatMap(([name, render, segments]) => (['fon', 'yor'] as const).map((language) => [name, language, render, segments] as const)))('%s in %s: its own text, in as many segments as French', (_name, language, render, segments) => {
    const text = render(language);
    expect(text).not.toBe(render('fr'));
    expect(prepareSms(render('fr'), { transliterate: true }).segments).toBe(segments);
    // As the dispatcher sends it (SMS_TRANSLITERATE=0 shown here: the text is already spelled where that saves a segment).
    const sent = prepareSms(text, { transliterate: false });
    expect(sent.segments, text).toBe(segments);
    if (measureText(text).encoding === 'UCS-2') expect(measureText(text).units, text).toBeLessThanOrEqual(70);
  });

  it('every table has a Fon and a Yoruba text for each French one', () => {
    for (const table of [ACCESS_LOG_SMS_TEMPLATES, CAREER_SMS_TEMPLATES, SURVEY_SMS_TEMPLATES, SURVEY_USSD_TEXT, { career_act: SMS_TEMPLATES.career_act }]) {
      for (const [name, text] of Object.entries(table) as [string, { fr: string; fon?: string; yor?: string }][]) {
        expect(text.fon, `${name} fon`).toBeTruthy();
        expect(text.yor, `${name} yor`).toBeTruthy();
      }
    }
  });

  it('the USSD survey screens fit one screen in Fon and Yoruba, the question under an answer spelled with it when needed', () => {
    for (const language of ['fon', 'yor'] as const) {
      for (const key of ['word', 'thanks', 'skipped'] as const) expect(fitsScreen(surveyUssdText(key, language), 160), `${language} ${key}`).toBe(true);
    }
    // ANIP's answer in Fon (menus/anip.yaml track.show) keeps its letters alone; with the question, 85 UCS-2 units: spelled whole.
    const asked = surveyQuestionScreen('PS00150-240004: È byɔ́ nǔ ɖěvo (19/11/2026)', 'fon', 160);
    expect(asked).toBe('PS00150-240004: E byo nu devo (19/11/2026)\nLinlin towe: 1 (nyanya) je 5 (dagbe)\n0.Jo');
    expect(measureText(asked!).encoding).toBe('GSM-7');
    // French fits as it is; a screen that cannot take the question even spelled is not asked.
    expect(surveyQuestionScreen('PS00150-240004: Disponible le 19/11/2026', 'fr', 160)).toBe('PS00150-240004: Disponible le 19/11/2026\nVotre avis: 1 (mauvais) à 5 (très bien)\n0.Passer');
    expect(surveyQuestionScreen('x'.repeat(130), 'fon', 160)).toBeNull();
  });

  it('appointment days are named in Fon and Yoruba', () => {
    expect(dayLabel('2026-12-10', 'fon')).toBe('Tag 10/12');
    expect(dayLabel('2026-12-10', 'yor')).toBe('Ọjọ́bọ̀ 10/12');
  });
});
