import type { Pdu } from 'smpp';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_AGENTS } from '../src/careers/demo.js';
import { RedisEnrolmentStore } from '../src/careers/enrolment/redis.js';
import { createInteropAgentRecords } from '../src/careers/xroad.js';
import { createFakeSecurityServer, type FakeSecurityServerControl } from '../src/interop/demo-security-server.js';
import { InteropClient } from '../src/interop/interop-client.js';
import { parseServiceRef } from '../src/interop/service-ref.js';
import type { Logger } from '../src/observability/logger.js';
import { DEMO_REQUESTS } from '../src/portal/demo.js';
import type { ServiceRegistry } from '../src/services/service-registry.js';
import type { SmsOutbox } from '../src/sms/outbox.js';
import { atHop, createTestGateway, defaultServices, type TestGateway } from '../testkit/harness.js';
import { serveOnLoopback, type LoopbackServer } from '../testkit/loopback-server.js';
import { startSmppSms, type SmppSms } from '../testkit/smpp-sms.js';
import { until } from '../testkit/until.js';

/**
 * Issue 17 part 2, end to end: the career menu on *123*7#, the ministry and the pension fund over
 * X-Road (the fake security server on loopback), enrolments in real Redis, and the one-time code
 * leaving through the SMS dispatcher as a submit_sm to a loopback SMSC, read off the wire and typed
 * back by the "agent".
 */
const AGENT = DEMO_AGENTS.find((a) => a.matricule === '1042173')!;
const RETIREE = DEMO_AGENTS.find((a) => a.matricule === '1187540')!;

const lines: string[] = [];
const recording: Logger = (() => {
  const log = (fields: Record<string, unknown>, message: string) => void lines.push(`${message} ${JSON.stringify(fields)}`);
  return { debug: log, info: log, warn: log, error: log };
})();

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
const prefix = `test-careers-e2e:${process.pid}-${Date.now()}:`;
let sms: SmppSms;
let security: LoopbackServer;
let control: FakeSecurityServerControl;
let gateway: TestGateway;

beforeAll(async () => {
  const fake = createFakeSecurityServer(DEMO_REQUESTS, DEMO_AGENTS);
  control = fake.control;
  security = await serveOnLoopback(fake.app);
  const client = new InteropClient({ securityServerUrl: security.baseUrl, client: { instance: 'BJ', memberClass: 'GOV', memberCode: 'GUICHET', subsystem: 'ussd' }, dialect: 'xroad-r1', timeoutMs: 500, logger: recording });
  const records = createInteropAgentRecords(client, {
    verify: parseServiceRef('BJ/GOV/MTFP/carriere/verifyAgent'),
    career: parseServiceRef('BJ/GOV/MTFP/carriere/careerStatus'),
    pension: parseServiceRef('BJ/GOV/FNRB/pensions/pensionFile'),
  });
  // The services need the dispatcher and the SMPP side needs the services: the outbox is bound once both exist.
  const outbox: SmsOutbox = { enqueue: (message) => sms.dispatcher.enqueue(message) };
  const services: ServiceRegistry = await defaultServices({ careers: { records, enrolments: new RedisEnrolmentStore(redis, prefix), outbox } });
  sms = await startSmppSms({ services, responseTimeoutMs: 1000 });
  gateway = await createTestGateway({ services, logger: recording });
});

afterAll(async () => {
  await sms?.close();
  await security?.close();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

const text = (pdu: Pdu) => (pdu.short_message as { message: string }).message;
let session = 0;
/** One USSD session on *123*7#: each call sends the inputs so far, as Africa's Talking does. */
function dial(phoneNumber: string) {
  const sessionId = `career-e2e-${++session}`;
  const inputs: string[] = [];
  return Object.assign(
    async (input?: string) => {
      if (input !== undefined) inputs.push(input);
      const res = await atHop(gateway.app, { sessionId, phoneNumber, serviceCode: '*123*7#', text: inputs.join('*') });
      expect(res.status).toBe(200);
      return res.body;
    },
    { sessionId, phoneNumber },
  );
}

/**
 * The first submit_sm to `phoneNumber` that `matches`, among those the SMSC took from index `from`
 * on: the takeover notices of other tests may reach the SMSC at any moment, so nothing here
 * assumes which submit comes next.
 */
async function submitTo(phoneNumber: string, from: number, matches: RegExp): Promise<Pdu> {
  const destination = phoneNumber.replace(/^\+/, '');
  const find = () => sms.smsc.submits.slice(from).find((pdu) => pdu.destination_addr === destination && matches.test(text(pdu)));
  await until(() => find() !== undefined, `a submit_sm to ${destination} matching ${matches}`, 5000);
  return find()!;
}

/** Enrols up to the code screen; resolves with the code as the SMSC received it, and where it went. */
async function askForCode(hop: ReturnType<typeof dial>, agent: { matricule: string; firstPosting: string }): Promise<{ code: string; pdu: Pdu }> {
  expect(await hop()).toMatch(/^CON Carrière et retraite .*pas encore inscrit/);
  expect(await hop('1')).toMatch(/^CON Votre matricule/);
  expect(await hop(agent.matricule)).toMatch(/^CON Date de votre première prise de service/);
  const from = sms.smsc.submits.length;
  expect(await hop(agent.firstPosting)).toMatch(/^CON Un code à 6 chiffres a été envoyé par SMS/);
  const pdu = await submitTo(hop.phoneNumber, from, /code de confirmation/);
  const code = /est (\d{6})\./.exec(text(pdu))?.[1];
  expect(code, text(pdu)).toBeDefined();
  return { code: code!, pdu };
}

describe('career enrolment with the code over the loopback SMSC', () => {
  it('the code goes by SMPP to the caller, is typed back, and the agent reads their file from the agencies', async () => {
    const hop = dial('+2290197000001');
    const { code, pdu } = await askForCode(hop, AGENT);
    expect(pdu).toMatchObject({ destination_addr: '2290197000001', data_coding: 0 });
    expect(text(pdu)).toBe(`Guichet Carriere: votre code de confirmation est ${code}. Valable 5 min. Ne le communiquez a personne.`);
    expect(await hop(code)).toMatch(/^CON Ce numéro est inscrit/);
    expect(await hop('1')).toMatch(/^CON Carrière - Agents de l'État\n1.Dernier acte/);
    expect(await hop('1')).toBe("CON Dernier acte: Avancement d'échelon\nSigné le 15/03/2026\n0.Retour 00.Accueil");
    await hop('1');
    expect(await hop('2')).toBe('CON Prochain avancement: échelon 7 le 15/03/2028\n0.Retour 00.Accueil');
    await hop('1');
    expect(await hop('3')).toBe('CON Départ à la retraite prévu le 31/12/2038\n0.Retour 00.Accueil');
    // A redial goes straight to the agent's screens: the enrolment is in Redis, under the number.
    expect(await dial('+2290197000001')()).toMatch(/^CON Carrière - Agents de l'État\n1.Dernier acte/);
    // The asks went to the configured services, on behalf of the caller.
    expect(control.calls.filter((c) => c.userId === '+2290197000001').map((c) => c.service)).toEqual(expect.arrayContaining(['verifyAgent', 'careerStatus']));
  });

  it('a wrong code counts down; the code from the SMS still enrols a retiree within the tries', async () => {
    const hop = dial('+2290166000002');
    const { code } = await askForCode(hop, RETIREE);
    const wrong = code === '000000' ? '111111' : '000000';
    expect(await hop(wrong)).toBe('CON Code incorrect. Encore 2 essai(s). Code envoyé par SMS:\n0.Retour 00.Accueil');
    expect(await hop(code)).toMatch(/^CON Ce numéro est inscrit/);
    await hop('1');
    expect(await hop('4')).toBe("CON Dossier de pension: En cours d'instruction\nMis à jour le 02/10/2026\n0.Retour 00.Accueil");
  });

  it('asking again voids the first code: only the newest one enrols', async () => {
    const first = await askForCode(dial('+2290164000003'), AGENT);
    const hop = dial('+2290164000003');
    const second = await askForCode(hop, AGENT);
    if (first.code !== second.code) expect(await hop(first.code)).toMatch(/^CON Code incorrect/);
    expect(await hop(second.code)).toMatch(/^CON Ce numéro est inscrit/);
  });

  it("another number cannot see an agent's file, nor use the code sent to the agent", async () => {
    const owner = dial('+2290164000004');
    const { code } = await askForCode(owner, AGENT);
    // The other number gets the enrolment offer, and the agent's code is no code for it.
    const other = dial('+2290164000005');
    expect(await other()).toMatch(/pas encore inscrit/);
    expect(await other('1')).toMatch(/^CON Votre matricule/);
    expect(await other(AGENT.matricule)).toMatch(/^CON Date/);
    expect(await other('01011990')).toMatch(/^CON Matricule ou date de première prise de service incorrect/);
    expect(await owner(code)).toMatch(/^CON Ce numéro est inscrit/);
    expect(await dial('+2290164000005')()).toMatch(/pas encore inscrit/);
  });

  it('the store holds neither the code nor the number; no log line holds the code, the matricule or the date', async () => {
    const hop = dial('+2290164000006');
    const { code } = await askForCode(hop, AGENT);
    const keys = await redis.keys(`${prefix}*`);
    expect(keys.length).toBeGreaterThan(0);
    const stored = (await Promise.all(keys.map(async (key) => (await redis.type(key)) === 'hash' ? JSON.stringify(await redis.hgetall(key)) : ((await redis.get(key)) ?? '')))).join('\n');
    expect(`${keys.join('\n')}\n${stored}`).not.toContain(code);
    expect(keys.join('\n')).not.toMatch(/2290164|1042173/);
    // The session resting on the code prompt no longer holds the matricule nor the date (identity-proof arguments).
    const record = JSON.stringify(await gateway.store.load(`africastalking:${hop.sessionId}`));
    expect(record).toContain('enrol.code');
    expect(record).not.toMatch(new RegExp(`${AGENT.matricule}|${AGENT.firstPosting}`));
    expect(await hop(code)).toMatch(/inscrit/);
    expect(lines.length).toBeGreaterThan(0);
    const logged = lines.join('\n');
    for (const secret of [code, AGENT.matricule, AGENT.firstPosting, '2290164000006']) expect(logged).not.toContain(secret);
  });

  it('enrolled from another number: the number that held the matricule is told by SMS and loses access; the store keeps it sealed', async () => {
    const holder = dial('+2290164000011');
    expect(await holder((await askForCode(holder, RETIREE)).code)).toMatch(/^CON Ce numéro est inscrit/);
    const taker = dial('+2290164000012');
    const { code } = await askForCode(taker, RETIREE);
    const from = sms.smsc.submits.length;
    expect(await taker(code)).toMatch(/^CON Ce numéro est inscrit/);
    const notice = await submitTo('+2290164000011', from, /relie a un autre numero/);
    expect(text(notice)).toMatch(/^Guichet Carriere: votre dossier est relie a un autre numero depuis le \d{2}\/\d{2}\/\d{4} \d{2}:\d{2}\. Si ce n'est pas vous, composez \*123\*7# et prevenez votre DRH\.$/);
    // Nothing of the new number nor of the matricule in the notice; the old number is back to the enrolment offer.
    expect(text(notice)).not.toMatch(/1187540|0164000012/);
    expect(await dial('+2290164000011')()).toMatch(/pas encore inscrit/);
    expect(await dial('+2290164000012')()).toMatch(/^CON Carrière - Agents de l'État/);
    // The holder key names the matricule by a keyed hash and holds the number sealed, never in clear.
    const keys = await redis.keys(`${prefix}*holder`);
    expect(keys.length).toBeGreaterThan(0);
    const held = (await Promise.all(keys.map((key) => redis.get(key)))).join('\n');
    expect(`${keys.join('\n')}\n${held}`).not.toMatch(/2290164|1187540/);
  });

  it('the ministry down: a polite END within the hop, not a 5xx', async () => {
    const hop = dial('+2290164000007');
    expect(await hop()).toMatch(/pas encore inscrit/);
    await hop('1');
    await hop(AGENT.matricule);
    control.faults.set('verifyAgent', { status: 503, type: 'Server.ServerProxy.ServiceFailed', remaining: 1 });
    expect(await hop(AGENT.firstPosting)).toBe('END Service momentanément indisponible. Réessayez plus tard.');
  });
});
