import { describe, expect, it } from 'vitest';
import { atHop, createTestGateway } from '../testkit/harness.js';
import { until } from '../testkit/until.js';
import { MenuRegistry } from '../src/engine/menu-registry.js';
import { parseMenu } from '../src/engine/menu-parse.js';
import { surveyChannelOf } from '../src/engine/schema.js';
import { silentLogger } from '../src/observability/logger.js';
import { MemorySessionStore } from '../src/sessions/memory.js';
import { handleInboundSms } from '../src/sms/inbound.js';
import type { OutboundSms, SmsOutbox } from '../src/sms/outbox.js';
import { MemorySurveyStore } from '../src/surveys/memory.js';
import { createSurveyService, surveyMonth } from '../src/surveys/survey-service.js';

/**
 * The agency's other choice: `survey: true` on a menu's END screen. A session completed there gets
 * the survey SMS once; a session ending elsewhere, a retransmitted last hop, or a second walk in
 * the same week gets none. The answer is counted under the menu's `agency` and the node's id.
 */
const MENU = `
id: demo-survey
agency: anip
title: { fr: Démo, en: Demo }
serviceCodes: ["*124#"]
start: home
nodes:
  home:
    type: choice
    text: { fr: "Démo", en: "Demo" }
    options:
      - { label: { fr: Terminer, en: Finish }, next: done }
      - { label: { fr: Quitter, en: Leave }, next: bye }
  done:
    type: message
    text: { fr: "Votre demande est enregistrée.", en: "Your request is recorded." }
    survey: true
  bye:
    type: message
    text: { fr: "Au revoir.", en: "Goodbye." }
`;

describe('a survey after a menu completes', () => {
  it('refuses survey on a screen the citizen moves on from, with the line', () => {
    const broken = MENU.replace('    survey: true', '    survey: true\n    next: home');
    expect(() => parseMenu(broken, 'menus/demo-survey.yaml')).toThrow(/nodes\.done\.survey: survey: only on an END screen/);
    const brokenUssd = MENU.replace('    survey: true', '    survey: ussd\n    next: home');
    expect(() => parseMenu(brokenUssd, 'menus/demo-survey.yaml')).toThrow(/nodes\.done\.survey: survey: only on an END screen/);
  });

  it('reads survey as the channel the agency chose: true and sms by SMS, ussd on the screen, false none, nothing else', () => {
    const channelOf = (value: string) => surveyChannelOf(parseMenu(MENU.replace('    survey: true', `    survey: ${value}`), 'demo-survey.yaml').nodes.done);
    expect(['true', 'sms', 'ussd', 'false'].map(channelOf)).toEqual(['sms', 'sms', 'ussd', null]);
    expect(() => channelOf('push')).toThrow(/nodes\.done\.survey/);
  });

  it('sends one survey for a session that ends on a survey screen, and counts its answer under the menu', async () => {
    const sent: OutboundSms[] = [];
    const keys = new Set<string>();
    const outbox: SmsOutbox = {
      async enqueue(message) {
        if (!keys.has(message.idempotencyKey)) sent.push(message);
        keys.add(message.idempotencyKey);
        return { messageId: `m-${keys.size}` };
      },
    };
    const store = new MemorySessionStore();
    const surveyStore = new MemorySurveyStore();
    const surveys = createSurveyService({ store: surveyStore, outbox, preferences: store, logger: silentLogger });
    const { app } = await createTestGateway({ menus: new MenuRegistry([parseMenu(MENU, 'demo-survey.yaml')]), services: {}, store, surveys: { service: surveys, store: surveyStore } });
    const walk = async (sessionId: string, phoneNumber: string, texts: string[]) => {
      let body = '';
      for (const text of texts) body = (await atHop(app, { sessionId, text, phoneNumber, serviceCode: '*124#' })).body;
      return body;
    };
    const surveysSent = () => sent.filter((m) => m.purpose === 'survey');

    expect(await walk('s-1', '+2290197000001', ['', '1'])).toBe('END Votre demande est enregistrée.');
    await until(() => surveysSent().length === 1, 'the survey after the menu');
    // The last hop retransmitted: answered from the record, nothing asked again.
    expect(await walk('s-1', '+2290197000001', ['1'])).toBe('END Votre demande est enregistrée.');
    // Another session of the same number this week, and a session ending elsewhere: no survey.
    await walk('s-2', '+2290197000001', ['', '1']);
    await walk('s-3', '+2290197000002', ['', '2']);
    // A session of another number that completes: its own survey.
    await walk('s-4', '+2290197000003', ['', '1']);
    await until(() => surveysSent().length === 2, 'the second number’s survey');
    expect(surveysSent().map((m) => m.to)).toEqual(['+2290197000001', '+2290197000003']);
    // Nothing more is on its way (the offers are not awaited by the hop: give them their turn).
    await new Promise((r) => setTimeout(r, 50));
    expect(surveysSent()).toHaveLength(2);

    await handleInboundSms({ services: {}, preferences: store, outbox, logger: silentLogger, surveys }, { route: 'kannel', id: 'in-1', from: '+2290197000001', text: '4 rapide' });
    const month = surveyMonth(Date.now());
    expect(await surveyStore.results(month)).toEqual([
      { month, agency: 'anip', service: 'done', ccsp: '-', ratings: { 1: 0, 2: 0, 3: 0, 4: 1, 5: 0 }, answers: 1, mean: 4, words: { rapide: 1 } },
    ]);
  });
});
