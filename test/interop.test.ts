import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySessionStore } from '../src/sessions/memory.js';
import { MemoryCache } from '../src/cache/memory.js';
import { createApp } from '../src/http/app.js';
import { ussdDialects } from '../providers/index.js';
import { InteropError } from '../src/interop/errors.js';
import { createFakeSecurityServer, type FakeSecurityServerControl } from '../src/interop/demo-security-server.js';
import { InteropClient, type ServiceRef } from '../src/interop/interop-client.js';
import { MemoryJobQueue } from '../src/jobs/memory.js';
import { MenuRegistry } from '../src/engine/menu-registry.js';
import { loadMenuFiles } from '../src/runtime/node/menu-files.js';
import { parseServiceRef, tlsFetch } from '../src/runtime/node/portal-wiring.js';
import type { Logger } from '../src/observability/logger.js';
import { DEMO_REQUESTS } from '../src/portal/demo.js';
import { createInteropPortal, type InteropPortalServices } from '../src/portal/xroad.js';
import { createDeferrals, processDeferredCalls } from '../src/services/deferred-calls.js';
import { createPortalServices } from '../src/services/portal-services.js';
import type { OutboundSms, SmsOutbox } from '../src/sms/outbox.js';
import { atHop, defaultServices, MENUS_DIR } from '../testkit/harness.js';
import { serveOnLoopback, type LoopbackServer } from '../testkit/loopback-server.js';

/** Everything logged, to check message ids are there and personal data is not. */
function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (fields: Record<string, unknown>, message: string) => void lines.push(`${message} ${JSON.stringify(fields)}`);
  return { lines, debug: log, info: log, warn: log, error: log };
}

const SERVICES: InteropPortalServices = {
  requestStatus: parseServiceRef('BJ/GOV/PORTAIL/eservices/requestStatus'),
  feeDue: parseServiceRef('BJ/GOV/PORTAIL/eservices/feeDue'),
  catalogue: parseServiceRef('BJ/GOV/PORTAIL/eservices/catalogue/v1'),
  identity: parseServiceRef('BJ/GOV/ANIP/identite/verifyHolder'),
  payments: parseServiceRef('BJ/GOV/PORTAIL/eservices/payments'),
};
const CLIENT = { instance: 'BJ', memberClass: 'GOV', memberCode: 'GUICHET', subsystem: 'ussd' };

let server: LoopbackServer | undefined;
let control: FakeSecurityServerControl;
let url: string;

beforeAll(async () => {
  const fake = createFakeSecurityServer(DEMO_REQUESTS);
  control = fake.control;
  server = await serveOnLoopback(fake.app);
  url = server.baseUrl;
});
afterAll(() => void server?.close());

function client(dialect: 'xroad-r1' | 'uxp', logger: Logger = recordingLogger(), extra: Partial<ConstructorParameters<typeof InteropClient>[0]> = {}) {
  return new InteropClient({ securityServerUrl: url, client: CLIENT, dialect, timeoutMs: 500, logger, ...extra });
}

describe.each(['xroad-r1', 'uxp'] as const)('the portal over the %s header dialect', (dialect) => {
  it('reads a request, its fee and checks an identity, logging each message id', async () => {
    const logger = recordingLogger();
    const portal = createInteropPortal(client(dialect, logger), SERVICES, new MemoryCache());
    const before = control.calls.length;
    expect(await portal.findRequest('PS00373-240001')).toEqual({
      requestNumber: 'PS00373-240001', serviceCode: 'PS00373', status: 'ready', updatedAt: '2026-11-20', collectAt: 'CCSP Cotonou 1', holderMsisdn: '+2290197000001',
    });
    expect(await portal.feeDue('PS00373-240002')).toEqual({ requestNumber: 'PS00373-240002', serviceCode: 'PS00373', amountXof: 1900, paid: false });
    expect(await portal.verifyIdentity('PS00373-240001', { npi: '1234567890', birthDate: '15031990' })).toBe(true);
    expect(await portal.verifyIdentity('PS00373-240001', { npi: '1234567890', birthDate: '16031990' })).toBe(false);
    expect(await portal.findRequest('PS99999-000000')).toBeNull();
    const calls = control.calls.slice(before);
    expect(calls.every((c) => c.dialect === dialect && c.client === 'BJ/GOV/GUICHET/ussd')).toBe(true);
    expect(calls.map((c) => c.service)).toEqual(expect.arrayContaining(['requestStatus', 'feeDue', 'catalogue', 'verifyHolder']));
    for (const call of calls) expect(logger.lines.some((l) => l.includes(call.messageId))).toBe(true);
  });

  it("says on whose behalf (the caller's number) and in which case (the payment id), without logging the number", async () => {
    const logger = recordingLogger();
    const portal = createInteropPortal(client(dialect, logger), SERVICES, new MemoryCache());
    const before = control.calls.length;
    const status = await createPortalServices(portal)['portal.requestStatus']!({ requestNumber: 'PS00373-240001' }, { msisdn: '+2290197000001', language: 'fr', signal: new AbortController().signal, channel: 'ussd' });
    expect(status.outcome).toBe('ok');
    await portal.recordPayment({ paymentId: `pay-issue-${dialect}`, requestNumber: 'PS00150-240004', amountXof: 500, provider: 'sandbox', providerTransactionId: 'tx-2', paidAt: '2026-11-23T08:00:00Z' });
    const [lookup, payment] = control.calls.slice(before);
    expect(lookup).toMatchObject({ service: 'requestStatus', userId: '+2290197000001' });
    expect(lookup).not.toHaveProperty('issue');
    expect(payment).toMatchObject({ service: 'payments', issue: `pay-issue-${dialect}` });
    expect(logger.lines.join('\n')).not.toContain('0197000001');
  });
});

describe('protocol errors become typed errors that say whether to retry', () => {
  const cases: { name: string; fault: { status: number; type: string }; kind: string; retryable: boolean }[] = [
    { name: 'provider failed', fault: { status: 500, type: 'Server.ServerProxy.ServiceFailed' }, kind: 'unavailable', retryable: true },
    { name: 'network between security servers', fault: { status: 502, type: 'Server.ClientProxy.NetworkError' }, kind: 'unavailable', retryable: true },
    { name: 'access denied', fault: { status: 403, type: 'Server.ServerProxy.AccessDenied' }, kind: 'refused', retryable: false },
    { name: 'unknown service', fault: { status: 404, type: 'Server.ServerProxy.UnknownService' }, kind: 'refused', retryable: false },
    { name: 'bad client request', fault: { status: 400, type: 'Client.InvalidRequest' }, kind: 'refused', retryable: false },
  ];
  it.each(cases)('$name → $kind', async ({ fault, kind, retryable }) => {
    control.faults.set('requestStatus', { ...fault, remaining: 1 });
    const error = await client('xroad-r1').call(SERVICES.requestStatus, { path: '/requests/PS00373-240001' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InteropError);
    expect(error).toMatchObject({ kind, retryable, details: { status: fault.status, type: fault.type } });
  });

  it('no answer in time → timeout, retryable', async () => {
    control.latencyMs.set('feeDue', 300);
    const error = await client('uxp', recordingLogger(), { serviceTimeoutsMs: { feeDue: 100 } }).call(SERVICES.feeDue, { path: '/requests/PS00373-240001/fee' }).catch((e: unknown) => e);
    control.latencyMs.delete('feeDue');
    expect(error).toMatchObject({ kind: 'timeout', retryable: true });
  });

  it('nothing listening → unavailable', async () => {
    const dead = new InteropClient({ securityServerUrl: 'http://127.0.0.1:1', client: CLIENT, dialect: 'xroad-r1', logger: recordingLogger() });
    await expect(dead.call(SERVICES.requestStatus, { path: '/requests/x' })).rejects.toMatchObject({ kind: 'unavailable' });
  });

  it('an answer that does not match the declared schema → bad_response', async () => {
    const portal = createInteropPortal(client('xroad-r1'), SERVICES, new MemoryCache());
    control.malformed.add('requestStatus');
    try {
      await expect(portal.findRequest('PS00373-240001')).rejects.toMatchObject({ kind: 'bad_response' });
    } finally {
      control.malformed.delete('requestStatus');
    }
  });
});

describe('circuit breaker per upstream service', () => {
  it('opens after repeated failures, answers at once while open, probes and closes', async () => {
    const breakerClient = client('xroad-r1', recordingLogger(), { breaker: { failureThreshold: 3, openMs: 150 } });
    const service: ServiceRef = SERVICES.feeDue;
    // Failing until told otherwise: a counted fault can be taken by a late request of an earlier test (seen under load).
    control.faults.set('feeDue', { status: 503, type: 'Server.ServerProxy.ServiceFailed', remaining: 1_000 });
    for (let i = 0; i < 3; i++) await expect(breakerClient.call(service, { path: '/requests/PS00373-240001/fee' })).rejects.toMatchObject({ kind: 'unavailable' });
    expect(breakerClient.breakerFor(service).current).toBe('open');
    const before = control.calls.length;
    await expect(breakerClient.call(service, { path: '/requests/PS00373-240001/fee' })).rejects.toMatchObject({ kind: 'circuit_open' });
    expect(control.calls.length).toBe(before); // not even sent
    control.faults.delete('feeDue');
    await new Promise((r) => setTimeout(r, 200));
    expect((await breakerClient.call(service, { path: '/requests/PS00373-240001/fee' })).status).toBe(200);
    expect(breakerClient.breakerFor(service).current).toBe('closed');
    // Other services keep their own breaker.
    expect(breakerClient.breakerFor(SERVICES.requestStatus).current).toBe('closed');
  });

  it('a refused request does not count against the provider', async () => {
    const c = client('xroad-r1', recordingLogger(), { breaker: { failureThreshold: 1 } });
    control.faults.set('requestStatus', { status: 403, type: 'Server.ServerProxy.AccessDenied', remaining: 2 });
    await expect(c.call(SERVICES.requestStatus, { path: '/requests/PS00373-240001' })).rejects.toMatchObject({ kind: 'refused' });
    expect(c.breakerFor(SERVICES.requestStatus).current).toBe('closed');
    control.faults.delete('requestStatus');
  });
});

describe('caching slow-changing answers', () => {
  it('asks the catalogue once for two fee look-ups of the same service', async () => {
    const portal = createInteropPortal(client('xroad-r1'), SERVICES, new MemoryCache());
    const before = control.calls.filter((c) => c.service === 'catalogue').length;
    await portal.feeDue('PS00373-240001');
    await portal.feeDue('PS00373-240002');
    expect(control.calls.filter((c) => c.service === 'catalogue').length).toBe(before + 1);
  });
});

describe('payments are recorded once per payment id', () => {
  it('telling twice records once', async () => {
    const portal = createInteropPortal(client('uxp'), SERVICES, new MemoryCache());
    const notice = { paymentId: 'pay-test-1', requestNumber: 'PS00150-240004', amountXof: 500, provider: 'sandbox', providerTransactionId: 'tx-1', paidAt: '2026-11-23T08:00:00Z' };
    await portal.recordPayment(notice);
    await portal.recordPayment(notice);
    expect([...control.payments.keys()].filter((k) => k === 'pay-test-1')).toHaveLength(1);
  });
});

/** The national menu served with the interop portal, an in-memory job queue and a recording outbox. */
async function gatewayOverInterop(serviceDeadlineMs: number, logger: Logger) {
  const portal = createInteropPortal(client('xroad-r1', logger, { timeoutMs: 2000 }), SERVICES, new MemoryCache());
  const services = await defaultServices({ portal });
  const menus = new MenuRegistry(await loadMenuFiles(MENUS_DIR, services));
  const sent: OutboundSms[] = [];
  const outbox: SmsOutbox = { enqueue: async (m) => (sent.push(m), { messageId: `m${sent.length}` }) };
  const jobs = new MemoryJobQueue();
  processDeferredCalls(jobs, { menus, services, outbox, logger });
  const store = new MemorySessionStore();
  const app = createApp({ menus, services, sessions: store, preferences: store, dialects: ussdDialects, logger, serviceDeadlineMs, deferrals: createDeferrals(jobs) });
  return { app, jobs, sent };
}

describe('the USSD time budget', () => {
  it('past the deadline the citizen is told to expect an SMS, and the answer comes by SMS', async () => {
    const logger = recordingLogger();
    const { app, jobs, sent } = await gatewayOverInterop(80, logger);
    control.latencyMs.set('requestStatus', 250);
    try {
      await atHop(app, { sessionId: 'late', text: '' });
      await atHop(app, { sessionId: 'late', text: '1' });
      expect((await atHop(app, { sessionId: 'late', text: '1*PS00373-240001' })).body).toBe('END Le service met du temps à répondre. Nous vous enverrons la réponse par SMS.');
      // A retransmission of that hop does not queue a second SMS.
      await atHop(app, { sessionId: 'late', text: '1*PS00373-240001' });
      await jobs.drain();
    } finally {
      control.latencyMs.delete('requestStatus');
    }
    expect(sent).toEqual([
      {
        to: '+2290197000001',
        text: 'PS00373-240001 Extrait de casier judiciaire\nStatut: Disponible le 20/11/2026\nA retirer: CCSP Cotonou 1',
        // Unique per committed hop (the session's random id, the committed version), never the session id.
        idempotencyKey: expect.stringMatching(/^deferred:[0-9a-f]{16}-3-0$/),
        purpose: 'status-fallback',
      },
    ]);
  });

  // Issue 12, item 4: the hop's own deadline is not a portal failure. A portal slower than the hop's
  // budget (but answering) must leave every citizen on the "answer by SMS" branch, never open the breaker.
  it('a portal slower than the hop budget sends 40 citizens to the SMS branch, breaker closed', async () => {
    const { app, jobs, sent } = await gatewayOverInterop(60, recordingLogger());
    control.latencyMs.set('requestStatus', 150);
    try {
      // Citizens arriving 10 ms apart: with the hop's deadline counted as a failure, the fifth would
      // open the breaker and those after it would be told "unavailable" at once.
      const screens = await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          await new Promise((r) => setTimeout(r, i * 10));
          await atHop(app, { sessionId: `slow-${i}`, text: '' });
          await atHop(app, { sessionId: `slow-${i}`, text: '1' });
          return (await atHop(app, { sessionId: `slow-${i}`, text: '1*PS00373-240001' })).body;
        }),
      );
      expect(screens.filter((s) => s.includes('par SMS'))).toHaveLength(40);
      await jobs.drain();
    } finally {
      control.latencyMs.delete('requestStatus');
    }
    expect(sent).toHaveLength(40);
  });

  it('an open breaker answers "unavailable" at once', async () => {
    const { app } = await gatewayOverInterop(2000, recordingLogger());
    control.faults.set('requestStatus', { status: 503, type: 'Server.ServerProxy.ServiceFailed', remaining: 100 });
    try {
      for (let i = 0; i < 6; i++) {
        await atHop(app, { sessionId: `cb-${i}`, text: '' });
        await atHop(app, { sessionId: `cb-${i}`, text: '1' });
        expect((await atHop(app, { sessionId: `cb-${i}`, text: '1*PS00373-240001' })).body).toMatch(/^END Service momentanément indisponible/);
      }
      expect(control.faults.get('requestStatus')!.remaining).toBe(95); // five reached the server, the sixth did not
    } finally {
      control.faults.delete('requestStatus');
    }
  });
});

describe('privacy over the interop portal', () => {
  it('shows a status only to its number or to the NPI holder, and logs neither whole', async () => {
    const logger = recordingLogger();
    const { app } = await gatewayOverInterop(2000, logger);
    const other = '+2290166000002';
    await atHop(app, { sessionId: 'p1', text: '', phoneNumber: other });
    await atHop(app, { sessionId: 'p1', text: '1', phoneNumber: other });
    expect((await atHop(app, { sessionId: 'p1', text: '1*PS00373-240001', phoneNumber: other })).body).toMatch(/^CON Aucune demande PS00373-240001/);
    await atHop(app, { sessionId: 'p1', text: '1*PS00373-240001*1', phoneNumber: other });
    await atHop(app, { sessionId: 'p1', text: '1*PS00373-240001*1*1234567890', phoneNumber: other });
    expect((await atHop(app, { sessionId: 'p1', text: '1*PS00373-240001*1*1234567890*15031990', phoneNumber: other })).body).toMatch(/^END PS00373-240001 Extrait/);
    const everything = logger.lines.join('\n');
    expect(everything).not.toContain('2290166000002');
    expect(everything).not.toContain('1234567890');
    expect(everything).not.toContain('15031990');
  });
});

describe('mutual TLS with the security server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'guichet-tls-'));
  const file = (name: string) => join(dir, name);
  let tlsServer: ReturnType<typeof createHttpsServer>;
  let tlsUrl: string;

  beforeAll(async () => {
    // A test CA, a server certificate for 127.0.0.1 and a client certificate, made now with openssl.
    const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '2', '-subj', '/CN=Test CA BJ');
    writeFileSync(file('san.cnf'), 'subjectAltName=IP:127.0.0.1\n');
    for (const who of ['server', 'client']) {
      ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', file(`${who}.key`), '-out', file(`${who}.csr`), '-subj', `/CN=${who === 'server' ? '127.0.0.1' : 'GUICHET-ussd'}`);
      ssl('x509', '-req', '-in', file(`${who}.csr`), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-out', file(`${who}.pem`), '-days', '2', ...(who === 'server' ? ['-extfile', file('san.cnf')] : []));
    }
    const fake = createFakeSecurityServer(DEMO_REQUESTS);
    tlsServer = createHttpsServer(
      { key: readFileSync(file('server.key')), cert: readFileSync(file('server.pem')), ca: readFileSync(file('ca.pem')), requestCert: true, rejectUnauthorized: true },
      async (req, res) => {
        const answer = await fake.app.fetch(new Request(`https://127.0.0.1${req.url}`, { method: req.method ?? 'GET', headers: req.headers as Record<string, string> }));
        res.writeHead(answer.status, Object.fromEntries(answer.headers));
        res.end(await answer.text());
      },
    );
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    tlsUrl = `https://127.0.0.1:${(tlsServer.address() as AddressInfo).port}`;
  }, 30_000);
  afterAll(() => void tlsServer.close());

  it('calls through with the client certificate', async () => {
    const fetchWithCert = tlsFetch({ cert: file('client.pem'), key: file('client.key'), ca: file('ca.pem') })!;
    const c = new InteropClient({ securityServerUrl: tlsUrl, client: CLIENT, dialect: 'xroad-r1', logger: recordingLogger(), fetch: fetchWithCert });
    const res = await c.call(SERVICES.requestStatus, { path: '/requests/PS00373-240001' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ requestNumber: 'PS00373-240001', state: 'READY' });
  });

  it('is refused without one', async () => {
    const caOnly = tlsFetch({ ca: file('ca.pem') })!;
    const c = new InteropClient({ securityServerUrl: tlsUrl, client: CLIENT, dialect: 'xroad-r1', logger: recordingLogger(), fetch: caOnly });
    await expect(c.call(SERVICES.requestStatus, { path: '/requests/PS00373-240001' })).rejects.toMatchObject({ kind: 'unavailable' });
  });
});
