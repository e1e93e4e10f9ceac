import { describe, expect, it } from 'vitest';
import { uxp } from '../src/interop/dialects.js';
import { InteropError } from '../src/interop/errors.js';
import { InteropClient, type ServiceRef } from '../src/interop/interop-client.js';
import { silentLogger } from '../src/observability/logger.js';
import { UXP_ANSWERS, XROAD_R1_ANSWERS, type SecurityServerAnswer } from './fixtures/interop/security-server-answers.js';

/**
 * The interoperability client against security servers' answers as their published sources show
 * them (the fixture file names each source), and the requests it sends, per dialect.
 */
const CLIENT = { instance: 'BJ', memberClass: 'GOV', memberCode: 'GUICHET', subsystem: 'ussd' };
const SERVICE: ServiceRef = { instance: 'BJ', memberClass: 'GOV', memberCode: 'PORTAIL', subsystem: 'eservices', service: 'requestStatus', version: 'v1' };

interface Sent {
  url: string;
  headers: Record<string, string>;
}

function clientAnswering(dialect: 'xroad-r1' | 'uxp' | ReturnType<typeof uxp>, answer: SecurityServerAnswer, sent: Sent[]) {
  const fakeFetch = (async (input: string | URL, init?: RequestInit) => {
    sent.push({ url: String(input), headers: Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v])) });
    return new Response(answer.body === '' ? null : answer.body, { status: answer.status, headers: answer.headers });
  }) as typeof fetch;
  return new InteropClient({ securityServerUrl: 'https://ss.example.bj/', client: CLIENT, dialect, logger: silentLogger, fetch: fakeFetch });
}

describe.each([
  ['xroad-r1', XROAD_R1_ANSWERS],
  ['uxp', UXP_ANSWERS],
] as const)('the %s dialect reads security servers as their sources say', (dialect, answers) => {
  it.each(answers)('$name', async (answer) => {
    const sent: Sent[] = [];
    const outcome = await clientAnswering(dialect, answer, sent)
      .call(SERVICE, { path: '/requests/PS00373-240001' })
      .then((res) => ({ ok: true as const, messageId: res.messageId }), (error: unknown) => error);
    const ourId = sent[0]!.headers['x-road-id'] ?? '';
    if (answer.expect.ok) {
      expect(outcome).toEqual({ ok: true, messageId: answer.expect.messageId });
      return;
    }
    expect(outcome).toBeInstanceOf(InteropError);
    const error = outcome as InteropError;
    expect(error.kind).toBe(answer.expect.kind);
    expect(error.details.type).toBe(answer.expect.type);
    // Without the platform's own id the client's id names the exchange in the logs.
    if (answer.expect.messageId) expect(error.details.messageId).toBe(answer.expect.messageId);
    else expect(error.details.messageId).toBe(ourId);
  });
});

describe('what each dialect sends', () => {
  const ok = XROAD_R1_ANSWERS[0]!;

  it('X-Road r1: the service in the path, the client, our id, and the user and issue when the caller has them', async () => {
    const sent: Sent[] = [];
    await clientAnswering('xroad-r1', ok, sent).call(SERVICE, { path: '/payments', userId: '+2290197000001', issue: 'pay-0001' });
    await clientAnswering('xroad-r1', ok, sent).call(SERVICE, { path: '/requests/x' });
    expect(sent[0]!.url).toBe('https://ss.example.bj/r1/BJ/GOV/PORTAIL/eservices/requestStatus/payments');
    expect(sent[0]!.headers).toMatchObject({ 'x-road-client': 'BJ/GOV/GUICHET/ussd', 'x-road-userid': '+2290197000001', 'x-road-issue': 'pay-0001' });
    expect(sent[0]!.headers['x-road-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent[1]!.headers).not.toHaveProperty('x-road-userid');
    expect(sent[1]!.headers).not.toHaveProperty('x-road-issue');
  });

  it('UXP: {server}/restapi{path}, Uxp-Client and Uxp-Service with the version', async () => {
    const sent: Sent[] = [];
    await clientAnswering('uxp', UXP_ANSWERS[0]!, sent).call(SERVICE, { path: '/requests/PS00373-240001' });
    expect(sent[0]!.url).toBe('https://ss.example.bj/restapi/requests/PS00373-240001');
    expect(sent[0]!.headers).toMatchObject({ 'uxp-client': 'BJ/GOV/GUICHET/ussd', 'uxp-service': 'BJ/GOV/PORTAIL/eservices/requestStatus/v1' });
    expect(sent[0]!.headers).not.toHaveProperty('x-road-client');
  });

  it('UXP with another path prefix (XROAD_UXP_PATH_PREFIX)', async () => {
    const sent: Sent[] = [];
    await clientAnswering(uxp('/uxp/rest'), UXP_ANSWERS[0]!, sent).call(SERVICE, { path: '/requests/1' });
    expect(sent[0]!.url).toBe('https://ss.example.bj/uxp/rest/requests/1');
  });
});
