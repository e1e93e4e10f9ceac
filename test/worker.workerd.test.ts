import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unstable_startWorker } from 'wrangler';
import { loadConfig } from '../src/config.js';
import { createFakeSecurityServer } from '../src/interop/demo-security-server.js';
import { silentLogger } from '../src/observability/logger.js';
import { DEMO_REQUESTS } from '../src/portal/demo.js';
import { createNodeGateway, type Gateway } from '../src/runtime/node/gateway.js';
import { WIRE_DIALECTS, walkRequests, type WireDialect } from '../testkit/dialects.js';
import { FAKE_FEDAPAY_SECRET_KEY, FAKE_FEDAPAY_WEBHOOK_SECRET, startFakeFedapay, type FakeFedapay } from '../testkit/fakes/fedapay.js';
import { serveOnLoopback, type LoopbackServer } from '../testkit/loopback-server.js';
import { until } from '../testkit/until.js';

/**
 * Issue 15, part 4: the Worker (src/runtime/worker/main.ts, as wrangler.toml declares it) in local
 * workerd, started by wrangler's own `unstable_startWorker` on a free loopback port with a temporary
 * persist directory, against the Node gateway built from the same variables. Both reach the same
 * loopback fakes: an X-Road security server (the portal, which counts every payment notice it is
 * told) and FedaPay (signed webhooks). What each case proves is in its name.
 */

const MSISDN = '2290197000001';
const NOTIFY_KEYS = { portail: 'k-portail-worker-0001', anip: 'k-anip-worker-00001' };

let fedapay: FakeFedapay;
let securityServer: LoopbackServer;
let control: ReturnType<typeof createFakeSecurityServer>['control'];
let node: Gateway;
let worker: Awaited<ReturnType<typeof unstable_startWorker>>;
let workerUrl: URL;
let persist: string;
/** What the Worker printed (its console, through wrangler): checked for personal data by the run's log audit. */
const workerLines: string[] = [];

function environment(): Record<string, string> {
  return {
    PORTAL: 'xroad',
    XROAD_SECURITY_SERVER_URL: securityServer.baseUrl,
    PAYMENT_PROVIDER: 'fedapay',
    FEDAPAY_BASE_URL: fedapay.baseUrl,
    FEDAPAY_SECRET_KEY: FAKE_FEDAPAY_SECRET_KEY,
    FEDAPAY_WEBHOOK_SECRET: FAKE_FEDAPAY_WEBHOOK_SECRET,
    NOTIFY_API_KEYS: `portail:${NOTIFY_KEYS.portail},anip:${NOTIFY_KEYS.anip}`,
    MENUS_WATCH: '0',
    // Every walk dials from the holder's one number, far past the per-number flood guard in a minute; the guard's
    // Durable Object runs in the rate limiter conformance suite (src/limits/rate/rate.test.ts).
    USSD_HOP_RATE_PER_MINUTE: '0',
    // Walks that stop on a CON and the next dial from the same number would be offered "1.Reprendre": the same on
    // both (seen), but the pay walk must start afresh. Resume on the Durable Object store: src/sessions/sessions.test.ts.
    RESUME_WINDOW_SECONDS: '0',
  };
}

beforeAll(async () => {
  fedapay = await startFakeFedapay();
  const fake = createFakeSecurityServer(DEMO_REQUESTS);
  control = fake.control;
  securityServer = await serveOnLoopback(fake.app);
  node = await createNodeGateway(loadConfig(environment()), silentLogger);
  persist = mkdtempSync(join(tmpdir(), 'guichet-workerd-'));
  captureWorkerConsole();
  worker = await unstable_startWorker({
    config: join(import.meta.dirname, '..', 'wrangler.toml'),
    bindings: Object.fromEntries(Object.entries(environment()).map(([name, value]) => [name, { type: 'plain_text' as const, value }])),
    dev: { server: { hostname: '127.0.0.1', port: 0 }, inspector: false, persist, watch: false, logLevel: 'log' },
    sendMetrics: false,
  });
  workerUrl = await worker.url;
}, 60_000);

afterAll(async () => {
  // Whatever failed above: workerd is stopped, the fakes closed, the persist directory removed.
  await worker?.dispose().catch(() => {});
  releaseWorkerConsole();
  await node?.close().catch(() => {});
  await securityServer?.close();
  await fedapay?.close();
  if (persist) rmSync(persist, { recursive: true, force: true });
  const file = process.env.GUICHET_LOG_AUDIT;
  if (file) for (const line of workerLines) appendFileSync(file, `${JSON.stringify({ level: 'worker', message: line })}\n`);
}, 30_000);

// wrangler prints what the Worker logs through the process's console; kept for the log audit.
const original = { log: console.log, info: console.info, warn: console.warn, error: console.error, debug: console.debug };
function captureWorkerConsole(): void {
  for (const level of Object.keys(original) as (keyof typeof original)[]) {
    console[level] = (...args: unknown[]) => void workerLines.push(args.map(String).join(' '));
  }
}
function releaseWorkerConsole(): void {
  Object.assign(console, original);
}

/** One hop to the Worker over HTTP, or to the Node app: status and body. */
async function toWorker(path: string, init: RequestInit): Promise<{ status: number; body: string }> {
  const res = await fetch(new URL(path, workerUrl), init);
  return { status: res.status, body: await res.text() };
}
async function toNode(path: string, init: RequestInit): Promise<{ status: number; body: string }> {
  const res = await node.app.request(path, init);
  return { status: res.status, body: await res.text() };
}

/** A walk's screens through one dialect, hop after hop. */
async function walk(send: typeof toWorker, dialect: WireDialect, sessionId: string, inputs: string[], dialled: string, msisdn = MSISDN) {
  const screens: { status: number; text: string; end: boolean }[] = [];
  for (const request of walkRequests(dialect, sessionId, msisdn, dialled, inputs)) {
    const res = await send(`/ussd/${dialect.name}`, { method: 'POST', headers: { 'content-type': request.contentType }, body: request.body });
    screens.push({ status: res.status, ...(res.status === 200 ? dialect.screen(res.body) : { text: res.body, end: true }) });
  }
  return screens;
}

/** The short references of the payments the Worker's pay walks started (first 8 characters of the id). */
const workerPaymentReferences: string[] = [];

/** A payment's short reference (its id's first 8 characters) is random: the only part allowed to differ. */
const withoutPaymentReference = (text: string) => text.replace(/\b[0-9A-F]{8}\b/g, '<ref>');

// The walks of the cross-dialect suite (test/ussd-dialects.test.ts) and the pay path to its END.
const WALKS: { name: string; dialled: string; inputs: string[]; viaDialString?: boolean; msisdn?: string }[] = [
  { name: 'tracks a ready request', dialled: '*123#', inputs: ['1', 'PS00373-240001'] },
  { name: 'pages the CCSPs of Littoral and goes back', dialled: '*123#', inputs: ['3', '8', '98', '0'] },
  { name: "refuses another holder's request neutrally", dialled: '*123#', inputs: ['1', 'PS00200-240005'] },
  // Another number: a language is remembered per number, and the other walks stay in French.
  { name: 'switches the language', dialled: '*123#', inputs: ['4', '2'], msisdn: '2290197000009' },
  { name: 'reaches the second agency menu (ANIP)', dialled: '*123*5#', inputs: [], viaDialString: true },
  { name: 'pays a fee up to the END (FedaPay)', dialled: '*123#', inputs: ['2', 'PS00373-240002', '1'] },
];

describe('the Worker in local workerd answers as the Node gateway', () => {
  describe.each(WIRE_DIALECTS.map((dialect) => ({ name: dialect.name, dialect })))('over $name', ({ dialect }) => {
    for (const w of WALKS) {
      if (w.viaDialString && !dialect.carriesDialString) continue;
      it(w.name, async () => {
        const id = `${dialect.name}-${w.name.replace(/\W+/g, '-')}`;
        const fromNode = await walk(toNode, dialect, `n-${id}`, w.inputs, w.dialled, w.msisdn);
        const fromWorker = await walk(toWorker, dialect, `w-${id}`, w.inputs, w.dialled, w.msisdn);
        expect(fromNode.every((s) => s.status === 200)).toBe(true);
        // The pay path's END names the payment: kept to follow it below.
        const paid = /Paiement ([0-9A-F]{8}):/.exec(fromWorker.at(-1)?.text ?? '');
        if (paid) workerPaymentReferences.push(paid[1]!);
        expect(fromWorker.map((s) => ({ ...s, text: withoutPaymentReference(s.text) }))).toEqual(fromNode.map((s) => ({ ...s, text: withoutPaymentReference(s.text) })));
      });
    }
  });
});

describe('appointments on the Worker', () => {
  it('the menu answers "Service momentanément indisponible" rather than booking in one isolate (no shared book there yet)', async () => {
    const dialect = WIRE_DIALECTS.find((d) => d.name === 'africastalking')!;
    const screens = await walk(toWorker, dialect, 'w-appointments', ['1', '8'], '*123*8#');
    expect(screens[0]!.text).toContain('Rendez-vous dans un CCSP');
    expect(screens.at(-1)).toMatchObject({ status: 200, end: true });
    expect(screens.at(-1)!.text).toContain('Service momentanément indisponible');
  });
});

describe('payments on the Worker', () => {
  it('a FedaPay success whose signed callback arrives twice is applied once and told to the portal once; a forged one is refused', async () => {
    expect(workerPaymentReferences.length).toBeGreaterThan(0);
    const reference = workerPaymentReferences[0]!;
    const paymentIdOf = () =>
      [...fedapay.transactions.values()].map((t) => String(t.custom_metadata.payment_id ?? '')).find((id) => id.slice(0, 8).toUpperCase() === reference);
    // The collect job ran on the Worker (Cloudflare Queues): FedaPay got this payment's transaction and its push.
    const pushed = (id: string | undefined) => id !== undefined && [...fedapay.transactions.values()].some((t) => t.custom_metadata.payment_id === id && fedapay.sends.some((send) => send.body.token === `tok-${t.id}`));
    await until(() => pushed(paymentIdOf()), 'the Worker to ask FedaPay for the collection and push it', 20_000);
    const paymentId = paymentIdOf()!;
    // Someone claiming the payment succeeded, signed with a secret that is not FedaPay's: refused, nothing moves.
    const forged = fedapay.forgedCallbackFor(paymentId, Date.now());
    const refused = await toWorker(forged.path, { method: forged.method, headers: forged.headers, body: forged.body });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toMatchObject({ error: 'rejected' });
    fedapay.settle(paymentId, { status: 'succeeded' });
    const callback = fedapay.callbackFor(paymentId, Date.now());
    const post = () => toWorker(callback.path, { method: callback.method, headers: callback.headers, body: callback.body });
    const first = await post();
    const replay = await post();
    expect(first).toEqual({ status: 200, body: JSON.stringify({ paymentId, state: 'succeeded' }) });
    expect(replay).toEqual({ status: 200, body: JSON.stringify({ paymentId, state: 'succeeded' }) });
    await until(() => control.payments.has(paymentId), 'the portal to be told of the payment', 15_000);
    expect(control.calls.filter((call) => call.service === 'payments')).toHaveLength(1);
    expect(control.payments.get(paymentId)).toMatchObject({ paymentId, requestNumber: 'PS00373-240002', amountXof: 1900, provider: 'fedapay' });
  });
});

describe('notifications on the Worker', () => {
  const notify = (key: string, body: unknown) => toWorker('/v1/notifications', { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify(body) });
  const read = (key: string, id: string) => toWorker(`/v1/notifications/${id}`, { headers: { 'x-api-key': key } });

  it('is accepted, sent through the sandbox route, and readable by its agency only', async () => {
    const accepted = await notify(NOTIFY_KEYS.portail, {
      to: '+2290197000001',
      template: 'request_ready',
      params: { requestNumber: 'PS00373-240001', service: 'Extrait de casier', collectAt: 'CCSP Cotonou 1' },
      idempotencyKey: 'worker-notify-000001',
    });
    expect(accepted.status).toBe(202);
    const { id } = JSON.parse(accepted.body) as { id: string };
    // Sent by the SMS job on Cloudflare Queues. The sandbox's pretend receipt (a 50 ms timer after the
    // send, providers/sandbox-sms/sms.ts) does not fire on Workers: the consumer's invocation has
    // ended by then, so the message stays `sent` there (on Node it becomes `delivered`).
    let seen = '';
    await until(async () => (seen = (await read(NOTIFY_KEYS.portail, id)).body).includes('"status":"sent"'), () => `the notification to be sent (last seen: ${seen})`, 15_000);
    const view = await read(NOTIFY_KEYS.portail, id);
    expect(view.status).toBe(200);
    expect(JSON.parse(view.body)).toMatchObject({ id, status: 'sent', route: 'sandbox' });
    expect(view.body).not.toContain('0197000001');
    // Another agency, with its own valid key, is told there is no such notification.
    const other = await read(NOTIFY_KEYS.anip, id);
    expect(other.status).toBe(404);
    const nobody = await read('not-a-key-at-all', id);
    expect(nobody.status).toBe(401);
  });
});
