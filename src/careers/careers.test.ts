import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeSecurityServer, type FakeSecurityServerControl } from '../interop/demo-security-server.js';
import { InteropError } from '../interop/errors.js';
import { InteropClient } from '../interop/interop-client.js';
import { parseServiceRef } from '../interop/service-ref.js';
import type { Logger } from '../observability/logger.js';
import { DEMO_REQUESTS } from '../portal/demo.js';
import { serveOnLoopback, type LoopbackServer } from '../../testkit/loopback-server.js';
import { agentRecordsConformance } from './conformance.js';
import { createDemoAgentRecords, DEMO_AGENTS } from './demo.js';
import { CAREER_ACTS, isKeypadDate, isMatricule, PENSION_STATUSES } from './port.js';
import { createInteropAgentRecords, type InteropAgentServices } from './xroad.js';

const SERVICES: InteropAgentServices = {
  verify: parseServiceRef('BJ/GOV/MTFP/carriere/verifyAgent'),
  career: parseServiceRef('BJ/GOV/MTFP/carriere/careerStatus'),
  pension: parseServiceRef('BJ/GOV/FNRB/pensions/pensionFile'),
};
const CLIENT = { instance: 'BJ', memberClass: 'GOV', memberCode: 'GUICHET', subsystem: 'ussd' };

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (fields: Record<string, unknown>, message: string) => void lines.push(`${message} ${JSON.stringify(fields)}`);
  return { lines, debug: log, info: log, warn: log, error: log };
}

let server: LoopbackServer;
let control: FakeSecurityServerControl;
const requests: { path: string; body: string }[] = [];
beforeAll(async () => {
  const fake = createFakeSecurityServer(DEMO_REQUESTS, DEMO_AGENTS);
  control = fake.control;
  // Sees each request as it arrives on the wire, to check where the matricule travels.
  server = await serveOnLoopback({
    fetch: async (req: Request) => {
      requests.push({ path: new URL(req.url).pathname, body: await req.clone().text() });
      return fake.app.fetch(req);
    },
  });
});
afterAll(() => server?.close());

const logger = recordingLogger();
const interop = (dialect: 'xroad-r1' | 'uxp') =>
  createInteropAgentRecords(new InteropClient({ securityServerUrl: server.baseUrl, client: CLIENT, dialect, timeoutMs: 500, logger }), SERVICES);

agentRecordsConformance('demo', () => createDemoAgentRecords());
agentRecordsConformance('X-Road r1 against the fake security server', () => interop('xroad-r1'));
agentRecordsConformance('UXP against the fake security server', () => interop('uxp'));

describe('agent records over X-Road', () => {
  it('addresses the configured members and services, with the caller as X-Road-UserId', async () => {
    control.calls.length = 0;
    requests.length = 0;
    const records = interop('xroad-r1');
    await records.verifyAgent('1042173', '01101998', { userId: '+2290197000001' });
    await records.career('1042173', { userId: '+2290197000001' });
    await records.pensionFile('1187540');
    expect(control.calls.map((c) => [c.service, c.client, c.userId])).toEqual([
      ['verifyAgent', 'BJ/GOV/GUICHET/ussd', '+2290197000001'],
      ['careerStatus', 'BJ/GOV/GUICHET/ussd', '+2290197000001'],
      ['pensionFile', 'BJ/GOV/GUICHET/ussd', undefined],
    ]);
    expect(requests.map((r) => r.path)).toEqual([
      '/r1/BJ/GOV/MTFP/carriere/verifyAgent/agents/verify',
      '/r1/BJ/GOV/MTFP/carriere/careerStatus/agents/career',
      '/r1/BJ/GOV/FNRB/pensions/pensionFile/pensions/file',
    ]);
    // The matricule is in the bodies, never in a URL; the date goes over as ISO.
    expect(requests.some((r) => /1042173|1187540/.test(r.path))).toBe(false);
    expect(JSON.parse(requests[0]!.body)).toEqual({ matricule: '1042173', firstPostingDate: '1998-10-01' });
    // Nor in Guichet's own log lines.
    expect(logger.lines.length).toBeGreaterThan(0);
    expect(logger.lines.join('\n')).not.toMatch(/1042173|1187540|01101998|1998-10-01/);
  });

  it('an agency down is a typed, retryable error (the menu says "indisponible"), a changed format a bad_response', async () => {
    const records = interop('xroad-r1');
    control.faults.set('careerStatus', { status: 500, type: 'Server.ServerProxy.ServiceFailed', remaining: 1 });
    await expect(records.career('1042173')).rejects.toMatchObject({ kind: 'unavailable' });
    control.malformed.add('pensionFile');
    const error = await records.pensionFile('1187540').catch((e: unknown) => e);
    control.malformed.delete('pensionFile');
    expect(error).toBeInstanceOf(InteropError);
    expect((error as InteropError).kind).toBe('bad_response');
  });

  it('an agency slower than its time-out is a timeout', async () => {
    control.latencyMs.set('verifyAgent', 800);
    const started = Date.now();
    await expect(interop('uxp').verifyAgent('1042173', '01101998')).rejects.toMatchObject({ kind: 'timeout' });
    control.latencyMs.delete('verifyAgent');
    expect(Date.now() - started).toBeLessThan(790);
  });
});

describe('every act type and pension status the agencies name comes back as Guichet names it', () => {
  // One invented agent per act type and per pension status, served by a fake of their own.
  const agents = [...CAREER_ACTS, ...PENSION_STATUSES].map((value, i) => ({
    matricule: String(3000000 + i),
    firstPosting: '01012001',
    career: { standing: 'active' as const, lastAct: { act: CAREER_ACTS[i % CAREER_ACTS.length]!, date: '2026-01-02' }, nextStep: null, retirementDate: '2040-01-31' },
    pension: { status: PENSION_STATUSES[i % PENSION_STATUSES.length]!, updatedAt: '2026-01-03' },
  }));
  let own: LoopbackServer;
  beforeAll(async () => void (own = await serveOnLoopback(createFakeSecurityServer(DEMO_REQUESTS, agents).app)));
  afterAll(() => own?.close());

  it.each(agents.map((agent) => [agent.matricule, agent.career.lastAct.act, agent.pension.status] as const))('%s: %s, %s', async (matricule, act, status) => {
    const records = createInteropAgentRecords(new InteropClient({ securityServerUrl: own.baseUrl, client: CLIENT, dialect: 'xroad-r1', timeoutMs: 500, logger }), SERVICES);
    expect((await records.career(matricule))?.lastAct.act).toBe(act);
    expect((await records.pensionFile(matricule))?.status).toBe(status);
  });
});

describe('what a keypad may send', () => {
  it.each([
    ['1042173', true],
    ['123456', true],
    ['123456789', true],
    ['12345', false],
    ['1234567890', false],
    ['10421a3', false],
    ['', false],
  ])('matricule %j: %s', (value, ok) => expect(isMatricule(value)).toBe(ok));

  it.each([
    ['01101998', true],
    ['29022024', true],
    ['29022023', false],
    ['31042020', false],
    ['00012020', false],
    ['0110199', false],
  ])('date %j: %s', (value, ok) => expect(isKeypadDate(value)).toBe(ok));
});
