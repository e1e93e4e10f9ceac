import { serve, type ServerType } from '@hono/node-server';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandboxPaymentProvider } from '../providers/sandbox-payment/payment.js';
import { createSandboxSmsRoute } from '../providers/sandbox-sms/sms.js';
import type { AdminSummary } from '../src/channels/admin/summary.js';
import { MenuRegistry } from '../src/engine/menu-registry.js';
import { MemoryJobQueue } from '../src/jobs/memory.js';
import { CountingMessageStore, CountingPaymentStore } from '../src/observability/counting-stores.js';
import { DROP_REASONS, InProcessFunnels, type DropReason } from '../src/observability/funnels.js';
import { silentLogger } from '../src/observability/logger.js';
import { storedSessionInspector } from '../src/observability/ussd-funnel.js';
import { createEmbeddedPayments } from '../src/payments/embedded-payments.js';
import { MemoryPaymentStore } from '../src/payments/store/memory.js';
import { createDemoPortal, type DemoRequest } from '../src/portal/demo.js';
import { loadChartLibrary } from '../src/runtime/node/admin-assets.js';
import { loadCcspData, loadMenuFiles } from '../src/runtime/node/menu-files.js';
import { createPrometheusMetrics } from '../src/runtime/node/prometheus-metrics.js';
import { MemorySessionStore } from '../src/sessions/memory.js';
import { recordDeliveryReport } from '../src/sms/delivery-reports.js';
import { SmsDispatcher } from '../src/sms/dispatcher.js';
import { MemoryMessageStore } from '../src/sms/store/memory.js';
import { atHop, createTestGateway, defaultServices, MENUS_DIR, type TestGateway } from '../testkit/harness.js';
import { until } from '../testkit/until.js';

/**
 * The proof of issue 14 items 4 and 5: a scripted mix of 1,000 walks over the Africa's Talking
 * dialect, through the app in process, with known drop-offs (provider notices, expiries, a refused
 * input), gives exactly the expected funnel counts in `/metrics`, in the JSON summary and on the
 * dashboard as Debian's Chromium draws it. Payments (80 paid, 20 declined) and their SMS receipts
 * run through the real payment service and SMS dispatcher with counting stores.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TOKEN = 'proof-admin-token-0123456789';
const TTL_SECONDS = 180;

/** What the citizen sends, hop by hop (Africa's Talking's cumulative `text`), and how the session ends when no END screen does. */
interface WalkKind {
  name: string;
  count: number;
  texts: (request: string) => string[];
  /** An Africa's Talking session-end notice after the last hop (`Incomplete`, `Failed`). */
  notice?: 'Incomplete' | 'Failed';
  /** The walk needs a request of its own, payable, held by its phone; `declined`: its payer's wallet declines. */
  request?: 'own' | 'declined';
}

const KINDS: WalkKind[] = [
  { name: 'track a request to its status (END)', count: 200, request: 'own', texts: (r) => ['', '1', `1*${r}`] },
  { name: 'track with a mistyped number first', count: 100, request: 'own', texts: (r) => ['', '1', '1*ABC', `1*ABC*${r}`] },
  { name: 'find a service centre (END)', count: 150, texts: () => ['', '3', '3*2'] },
  { name: 'hang up on the home screen (Incomplete notice)', count: 120, notice: 'Incomplete', texts: () => [''] },
  { name: 'leave the request-number question unanswered (expires)', count: 130, texts: () => ['', '1'] },
  { name: 'our answer failed on the department list (Failed notice)', count: 50, notice: 'Failed', texts: () => ['', '3'] },
  { name: 'pay a fee (END), the wallet approves', count: 80, request: 'own', texts: (r) => ['', '2', `2*${r}`, `2*${r}*1`] },
  { name: 'pay a fee (END), the wallet declines', count: 20, request: 'declined', texts: (r) => ['', '2', `2*${r}`, `2*${r}*1`] },
  { name: 'cancel the payment (END)', count: 50, request: 'own', texts: (r) => ['', '2', `2*${r}`, `2*${r}*2`] },
  { name: 'switch to English, back home, then silence (expires)', count: 50, texts: () => ['', '4', '4*2'] },
  { name: 'track a request that is not theirs, then silence (expires)', count: 50, texts: () => ['', '1', '1*PS00373-999999'] },
];

type Expected = { entered: number; chose?: Record<string, number>; refused?: number; ended?: number; dropped?: Partial<Record<DropReason, number>> };

/** Worked out by hand from `KINDS`: what each screen of the national menu must show. */
const EXPECTED: Record<string, Expected> = {
  home: { entered: 1050, chose: { '1': 480, '2': 150, '3': 200, '4': 50 }, dropped: { user_aborted: 120, expired: 50 } },
  'track.ask': { entered: 480, refused: 100, dropped: { expired: 130 } },
  'track.lookup': { entered: 350 },
  'track.show': { entered: 300, ended: 300 },
  'track.not_found': { entered: 50, dropped: { expired: 50 } },
  'pay.ask': { entered: 150 },
  'pay.check': { entered: 150 },
  'pay.lookup': { entered: 150 },
  'pay.show': { entered: 150, chose: { '1': 100, '2': 50 } },
  'pay.start': { entered: 100 },
  'pay.started': { entered: 100, ended: 100 },
  'pay.cancelled': { entered: 50, ended: 50 },
  'ccsp.department': { entered: 200, chose: { '2': 150 }, dropped: { error: 50 } },
  'ccsp.lookup': { entered: 150 },
  'ccsp.show': { entered: 150, ended: 150 },
  language: { entered: 50, chose: { '2': 50 } },
};
const MENU = 'service-public';
const WALKS = KINDS.reduce((n, k) => n + k.count, 0);
const HOPS = KINDS.reduce((n, k) => n + k.count * k.texts('x').length, 0);

interface Walk {
  kind: WalkKind;
  index: number;
  sessionId: string;
  phone: string;
  operator: 'MTN' | 'MOOV' | 'CELTIIS';
  request: string;
}

/** One number per walk (a language choice or a payment of one walk never touches another), the three operators in turn. */
const PREFIXES = [['MTN', '+2290197'], ['MOOV', '+2290195'], ['CELTIIS', '+2290140']] as const;
const walks: Walk[] = KINDS.flatMap((kind, k) =>
  Array.from({ length: kind.count }, (_, i) => {
    const index = k * 1000 + i;
    const [operator, prefix] = PREFIXES[index % 3]!;
    return { kind, index, sessionId: `ATUid_proof_${index}`, phone: `${prefix}${String(index).padStart(6, '0')}`, operator, request: `PS00373-${String(index).padStart(6, '0')}` };
  }),
);

let offset = 0;
const clock = () => Date.now() + offset;
let funnels: InProcessFunnels;
let gateway: TestGateway;
let jobs: MemoryJobQueue;
let dispatcher: SmsDispatcher;
let server: ServerType;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium (.ci/run does)`);
  const sessions = new MemorySessionStore(clock);
  funnels = new InProcessFunnels({ sessionTtlSeconds: TTL_SECONDS, now: clock, inspect: (key, tracked) => inspect(key, tracked) });
  const requests: DemoRequest[] = walks
    .filter((w) => w.kind.request)
    .map((w) => ({ requestNumber: w.request, serviceCode: 'PS00373', status: 'submitted', updatedAt: '2026-11-22', holderMsisdn: w.phone, holderNpi: '1234567890', holderBirthDate: '15031990', amountXof: 1900, paid: false }));
  const portal = createDemoPortal(requests);
  jobs = new MemoryJobQueue();
  const smsStore = new CountingMessageStore(new MemoryMessageStore(), funnels);
  const route = createSandboxSmsRoute(silentLogger, (providerMessageId) => void recordDeliveryReport(smsStore, { route: 'sandbox', providerMessageId, status: 'delivered', raw: 'DELIVRD' }, silentLogger));
  dispatcher = new SmsDispatcher({ store: smsStore, preferences: sessions, queue: jobs, routes: { sandbox: route }, routing: { default: 'sandbox' }, transliterate: true, logger: silentLogger });
  dispatcher.start();
  const declined = walks.filter((w) => w.kind.request === 'declined').map((w) => w.phone);
  const payments = createEmbeddedPayments(portal, {
    provider: createSandboxPaymentProvider({ approveAfterMs: 0, declineMsisdns: declined }),
    pollIntervalMs: 20,
    jobs,
    sms: dispatcher,
    store: new CountingPaymentStore(new MemoryPaymentStore(), funnels),
  });
  payments.start();
  const ccsp = await loadCcspData(MENUS_DIR);
  // The embedded default's services (careers, appointments, the access log…) over this test's portal and payments.
  const services = await defaultServices({ portal, ccsp, payments });
  const menus = new MenuRegistry(await loadMenuFiles(MENUS_DIR, services));
  const inspect = storedSessionInspector(sessions, menus);
  gateway = await createTestGateway({
    services,
    menus,
    store: sessions,
    funnels,
    metrics: createPrometheusMetrics({ funnels }),
    admin: { token: TOKEN, funnels, menus, chartLibrary: loadChartLibrary(), payments: payments.store, now: clock },
  });

  // The walks, fifty at a time; each walk's hops in order, as a handset sends them.
  for (let i = 0; i < walks.length; i += 50) {
    await Promise.all(
      walks.slice(i, i + 50).map(async (walk) => {
        for (const text of walk.kind.texts(walk.request)) {
          const answer = await atHop(gateway.app, { sessionId: walk.sessionId, text, phoneNumber: walk.phone });
          if (answer.status !== 200 || !/^(CON|END) /.test(answer.body)) throw new Error(`${walk.kind.name}: ${answer.status} ${answer.body}`);
        }
        if (walk.kind.notice) {
          const res = await gateway.app.request('/ussd/africastalking/session-end', {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ sessionId: walk.sessionId, phoneNumber: walk.phone, serviceCode: '*123#', networkCode: '61602', status: walk.kind.notice, duration: '12' }).toString(),
          });
          if (res.status !== 200) throw new Error(`notice refused: ${res.status}`);
        }
      }),
    );
  }
  // Then nobody types anything for nearly the session time to live: the silent sessions are due.
  offset = TTL_SECONDS * 1000 - 2000;
  await funnels.sweep();
  // Receipts go out once the payments settle.
  await until(() => funnels.snapshot().sms.find((m) => m.status === 'delivered')?.count === 100, 'the 100 payment receipts delivered', 30_000);

  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: gateway.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ httpCredentials: { username: 'admin', password: TOKEN }, viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on('console', (message) => void (message.type() === 'error' && !message.location().url.endsWith('/favicon.ico') && consoleErrors.push(message.text())));
  page.on('pageerror', (error) => void consoleErrors.push(error.message));
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/admin`);
  await page.waitForSelector('body[data-ready="yes"]');
}, 120_000);

afterAll(async () => {
  await browser?.close();
  server?.close();
  dispatcher?.stop();
  await jobs?.close();
});

/** Every non-zero funnel series the expectation implies, by Prometheus series name. */
function expectedSeries(): Map<string, number> {
  const series = new Map<string, number>([[`guichet_funnel_sessions_started_total{menu="${MENU}"}`, WALKS]]);
  for (const [node, e] of Object.entries(EXPECTED)) {
    const at = `menu="${MENU}",node="${node}"`;
    series.set(`guichet_funnel_node_entered_total{${at}}`, e.entered);
    for (const [option, n] of Object.entries(e.chose ?? {})) series.set(`guichet_funnel_option_chosen_total{${at},option="${option}"}`, n);
    if (e.refused) series.set(`guichet_funnel_input_refused_total{${at}}`, e.refused);
    if (e.ended) series.set(`guichet_funnel_sessions_ended_total{${at}}`, e.ended);
    for (const [reason, n] of Object.entries(e.dropped ?? {})) series.set(`guichet_funnel_sessions_dropped_total{${at},reason="${reason}"}`, n);
  }
  return series;
}

function perOperator(): Map<string, { sessions: number; hops: number }> {
  const stats = new Map<string, { sessions: number; hops: number }>();
  for (const walk of walks) {
    const s = stats.get(walk.operator) ?? { sessions: 0, hops: 0 };
    s.sessions++;
    s.hops += walk.kind.texts(walk.request).length;
    stats.set(walk.operator, s);
  }
  return stats;
}

describe(`${WALKS} scripted walks with known drop-offs`, () => {
  it('add up: every session ended on an END screen or was dropped, none is left open', () => {
    expect(WALKS).toBe(1000);
    const ended = Object.values(EXPECTED).reduce((n, e) => n + (e.ended ?? 0), 0);
    const dropped = Object.values(EXPECTED).reduce((n, e) => n + Object.values(e.dropped ?? {}).reduce((a, b) => a + b, 0), 0);
    expect(ended + dropped).toBe(WALKS);
    expect(funnels.snapshot().sessions.live).toBe(0);
  });

  it('gives exactly those counts in /metrics, and no other funnel series', async () => {
    const exposition = await (await gateway.app.request('/metrics')).text();
    const found = new Map(
      exposition
        .split('\n')
        .filter((line) => line.startsWith('guichet_funnel_'))
        .map((line) => [line.slice(0, line.lastIndexOf(' ')), Number(line.slice(line.lastIndexOf(' ') + 1))] as const),
    );
    expect(Object.fromEntries(found)).toEqual(Object.fromEntries(expectedSeries()));

    const value = (series: string) => Number(exposition.split('\n').find((line) => line.startsWith(`${series} `))?.split(' ')[1]);
    for (const [operator, { sessions, hops }] of perOperator()) {
      expect(value(`guichet_ussd_session_hops_count{dialect="africastalking",operator="${operator}"}`), operator).toBe(sessions);
      expect(value(`guichet_ussd_session_hops_sum{dialect="africastalking",operator="${operator}"}`), operator).toBe(hops);
      expect(value(`guichet_ussd_session_duration_seconds_count{dialect="africastalking",operator="${operator}"}`), operator).toBe(sessions);
    }
    expect(value('guichet_payments_total{provider="sandbox",state="created"}')).toBe(100);
    expect(value('guichet_payments_total{provider="sandbox",state="pending"}')).toBe(80);
    expect(value('guichet_payments_total{provider="sandbox",state="succeeded"}')).toBe(80);
    expect(value('guichet_payments_total{provider="sandbox",state="failed"}')).toBe(20);
    for (const status of ['queued', 'sent', 'delivered']) expect(value(`guichet_sms_total{route="sandbox",status="${status}"}`), status).toBe(100);
    // Bounded labels: nothing a citizen sent, no number, no session id.
    for (const secret of ['ATUid_proof', '+22901', '2290197', 'PS00373-', 'ABC']) expect(exposition).not.toContain(secret);
  });

  it('gives exactly those counts in the JSON summary, said to be this instance’s view', async () => {
    const summary = (await (await gateway.app.request('/admin/api/summary', { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as AdminSummary;
    expect(summary.scope).toBe('instance');
    const menu = summary.funnels.find((f) => f.menu === MENU)!;
    expect(menu.started).toBe(WALKS);
    const counted = menu.nodes.filter((n) => n.entered + n.dropped + n.ended + n.refused > 0);
    expect(Object.fromEntries(counted.map((n) => [n.node, n]))).toEqual(
      Object.fromEntries(
        Object.entries(EXPECTED).map(([node, e]) => {
          const droppedBy = Object.fromEntries(DROP_REASONS.map((r) => [r, e.dropped?.[r] ?? 0]));
          const dropped = Object.values(droppedBy).reduce((a, b) => a + b, 0);
          return [node, { node, type: expect.any(String), entered: e.entered, refused: e.refused ?? 0, ended: e.ended ?? 0, dropped, droppedBy, chose: e.chose ?? {} }];
        }),
      ),
    );
    expect(summary.sessions.hopsPerMinute.reduce((n, m) => n + m.hops, 0)).toBe(HOPS);
    expect(summary.sessions.live).toBe(0);
    for (const [operator, { sessions }] of perOperator()) {
      expect(summary.sessions.perDialect.find((d) => d.operator === operator)?.sessions, operator).toBe(sessions);
    }
    expect(summary.payments).toEqual([{ provider: 'sandbox', counts: { created: 100, pending: 80, succeeded: 80, failed: 20, expired: 0 }, flagged: 0, successRate: 0.8 }]);
    expect(summary.sms).toEqual([{ route: 'sandbox', counts: { queued: 100, sending: 0, unknown: 0, sent: 100, delivered: 100, failed: 0, expired: 0 }, deliveryRate: 1 }]);
  });

  it('shows exactly those counts on the dashboard in Chromium, under its policy, with a chart per menu', async () => {
    expect(consoleErrors).toEqual([]);
    const rows = page.locator(`[data-testid="funnel-row"][data-menu="${MENU}"]`);
    const cell = (node: string, field: string) => rows.and(page.locator(`[data-node="${node}"]`)).locator(`[data-field="${field}"]`).textContent();
    for (const [node, e] of Object.entries(EXPECTED)) {
      const dropped = Object.values(e.dropped ?? {}).reduce((a, b) => a + b, 0);
      expect(await cell(node, 'entered'), node).toBe(String(e.entered));
      expect(await cell(node, 'refused'), node).toBe(String(e.refused ?? 0));
      expect(await cell(node, 'ended'), node).toBe(String(e.ended ?? 0));
      expect(await cell(node, 'dropped'), node).toBe(String(dropped));
      const choices = Object.entries(e.chose ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k}: ${n}`).join(', ');
      expect(await cell(node, 'chose'), node).toBe(choices);
    }
    expect(await cell('home', 'dropped-by')).toBe('abandon 120, expirée 50');
    expect(await cell('track.ask', 'drop-rate')).toBe('27.1 %');
    expect(await page.getByTestId('live-sessions').textContent()).toBe('0');
    expect(await page.getByTestId('payment-success').textContent()).toBe('80 %');
    expect(await page.getByTestId('sms-delivery').textContent()).toBe('100 %');
    expect(await page.locator('[data-testid="payments"] [data-provider="sandbox"] [data-field="succeeded"]').textContent()).toBe('80');
    expect(await page.getByTestId('scope').textContent()).toMatch(/^Vue de cette instance/);
    // uPlot drew: one canvas for hops per minute, one per menu with sessions.
    await expect.poll(() => page.locator(`[data-testid="funnel"][data-menu="${MENU}"] canvas`).count()).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="hops-chart"] canvas').count()).toBeGreaterThan(0);
  });

  it('takes a screenshot of the dashboard', async () => {
    const png = await page.screenshot({ fullPage: true, ...(process.env.DASHBOARD_SCREENSHOT ? { path: process.env.DASHBOARD_SCREENSHOT } : {}) });
    expect(png.length).toBeGreaterThan(10_000);
  });
});
