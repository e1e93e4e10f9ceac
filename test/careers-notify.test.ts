import { describe, expect, it } from 'vitest';
import { ussdDialects } from '../providers/index.js';
import { MenuRegistry } from '../src/engine/menu-registry.js';
import { createApp } from '../src/http/app.js';
import { MemoryJobQueue } from '../src/jobs/memory.js';
import { silentLogger } from '../src/observability/logger.js';
import { MemorySessionStore } from '../src/sessions/memory.js';
import { SmsDispatcher } from '../src/sms/dispatcher.js';
import type { OutgoingSms, SmsRoute } from '../src/sms/port.js';
import { MemoryMessageStore } from '../src/sms/store/memory.js';
import { prepareSms } from '../src/sms/text.js';
import { CAREER_SMS_TEMPLATES, SMS_TEMPLATES, TEMPLATE_NAMES, renderSms } from '../src/sms/templates.js';
import { defaultServices } from '../testkit/harness.js';
import { until } from '../testkit/until.js';

/** Issue 17 part 2: the ministry tells an agent of a new career act through the notification API. */
async function gateway() {
  const sent: OutgoingSms[] = [];
  const route: SmsRoute = { name: 'test', send: async (sms) => (sent.push(sms), { providerMessageId: `p-${sent.length}` }) };
  const store = new MemoryMessageStore();
  const queue = new MemoryJobQueue();
  const preferences = new MemorySessionStore();
  const dispatcher = new SmsDispatcher({ store, preferences, queue, routes: { test: route }, routing: { default: 'test' }, transliterate: true, logger: silentLogger });
  dispatcher.start();
  const app = createApp({
    menus: new MenuRegistry([]),
    services: await defaultServices(),
    sessions: preferences,
    preferences,
    dialects: ussdDialects,
    logger: silentLogger,
    sms: { dispatcher, store, agencies: { mtfp: { apiKey: 'k-mtfp-career-1' } }, outbox: dispatcher },
  });
  return { app, sent, close: () => queue.close() };
}

const notify = (app: Awaited<ReturnType<typeof gateway>>['app'], body: unknown, key = 'k-mtfp-career-1') =>
  app.request('/v1/notifications', { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify(body) });

describe('career_act notification', () => {
  const body = { to: '+2290197000001', template: 'career_act', params: { act: "avancement d'echelon", date: '15/03/2026' }, idempotencyKey: 'mtfp-acte-2026-000431' };

  it.each([
    ['fr', "Carriere: un nouvel acte vous concernant (avancement d'echelon) a ete signe le 15/03/2026. Details au *123*7#."],
    ['en', "Career: a new act concerning you (avancement d'echelon) was signed on 15/03/2026. Details on *123*7#."],
  ])('%s: sent as the agency posted it, in one GSM-7 segment', async (language, text) => {
    const { app, sent, close } = await gateway();
    const res = await notify(app, { ...body, language, idempotencyKey: `${body.idempotencyKey}-${language}` });
    expect(res.status).toBe(202);
    await until(() => sent.length === 1, 'the SMS sent');
    expect(sent[0]).toMatchObject({ to: '+2290197000001', text, encoding: 'GSM-7' });
    await close();
  });

  it('every career_act text fits one GSM-7 segment with a long act name', () => {
    // As sent (renderSms): Fon and Yoruba in their GSM-7 spelling, which a UCS-2 segment could not hold.
    for (const language of Object.keys(SMS_TEMPLATES.career_act) as (keyof typeof SMS_TEMPLATES.career_act)[]) {
      const prepared = prepareSms(renderSms('career_act', language, { act: 'reclassement categorie A1', date: '15/03/2026' }), { transliterate: true });
      expect(prepared.encoding, language).toBe('GSM-7');
      expect(prepared.segments, language).toBe(1);
    }
    expect(Object.keys(SMS_TEMPLATES.career_act)).toEqual(['fr', 'en', 'fon', 'yor']);
  });

  it('no agency can send the enrolment code text: career_code is not a notification template', async () => {
    for (const name of Object.keys(CAREER_SMS_TEMPLATES)) expect(TEMPLATE_NAMES).not.toContain(name);
    const { app, sent, close } = await gateway();
    const res = await notify(app, { ...body, template: 'career_code', params: { code: '123456', minutes: 5 } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'bad_request' });
    expect(sent).toHaveLength(0);
    await close();
  });

  it('only an agency with a key may post it', async () => {
    const { app, sent, close } = await gateway();
    expect((await notify(app, body, 'wrong-key')).status).toBe(401);
    expect(sent).toHaveLength(0);
    await close();
  });
});
