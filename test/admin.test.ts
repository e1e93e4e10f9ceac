import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { MemoryPaymentStore } from '../src/payments/store/memory.js';
import { InProcessFunnels } from '../src/observability/funnels.js';
import { loadChartLibrary } from '../src/runtime/node/admin-assets.js';
import type { AdminSummary } from '../src/channels/admin/summary.js';
import { atHop, createTestGateway, MENUS_DIR } from '../testkit/harness.js';

/** The operator's dashboard over HTTP: who gets in, what it serves, and what it never shows. */

const TOKEN = 'admin-token-0123456789';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** The test gateway with the dashboard on, its menus those of the gateway. */
async function withAdmin() {
  const funnels = new InProcessFunnels({ sessionTtlSeconds: 180 });
  const payments = new MemoryPaymentStore();
  const base = await createTestGateway({ funnels });
  const gw = await createTestGateway({
    funnels,
    menus: base.menus,
    store: base.store,
    admin: {
      token: TOKEN,
      funnels,
      menus: base.menus,
      chartLibrary: loadChartLibrary(),
      payments,
      smppLinks: () => [{ link: 'smpp-mtn', bound: false }],
      breakers: () => [{ service: 'portal.requestStatus', state: 'open' }],
    },
  });
  return { ...gw, funnels, payments };
}

describe('operator dashboard: access', () => {
  it('is not served at all without ADMIN_TOKEN', async () => {
    const { app } = await createTestGateway({ funnels: new InProcessFunnels({ sessionTtlSeconds: 180 }) });
    for (const path of ['/admin', '/admin/api/summary', '/admin/assets/uPlot.iife.min.js']) {
      const res = await app.request(path, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status, path).toBe(404);
    }
  });

  const refused: { name: string; authorization?: string }[] = [
    { name: 'no credentials' },
    { name: 'a wrong bearer token', authorization: 'Bearer admin-token-0123456788' },
    { name: 'the token with a suffix', authorization: `Bearer ${TOKEN}x` },
    { name: 'Basic with another user name', authorization: basic('root', TOKEN) },
    { name: 'Basic with a wrong password', authorization: basic('admin', 'guess') },
    { name: 'Basic that is not base64', authorization: 'Basic %%%' },
    { name: 'the token without a scheme', authorization: TOKEN },
    { name: 'another scheme', authorization: `Token ${TOKEN}` },
  ];
  it.each(refused)('refuses $name with a 401 a browser answers with a login prompt', async ({ authorization }) => {
    const { app } = await withAdmin();
    for (const path of ['/admin', '/admin/api/summary', '/admin/assets/dashboard.js']) {
      const res = await app.request(path, authorization ? { headers: { authorization } } : {});
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="Guichet admin"/);
      expect(await res.json()).toEqual({ error: 'unauthorized', reason: 'the admin token is required' });
    }
  });

  const allowed: { name: string; authorization: string }[] = [
    { name: 'Bearer', authorization: `Bearer ${TOKEN}` },
    { name: 'HTTP Basic admin:<token>', authorization: basic('admin', TOKEN) },
    { name: 'schemes in any case', authorization: `bearer ${TOKEN}` },
  ];
  it.each(allowed)('lets in $name', async ({ authorization }) => {
    const { app } = await withAdmin();
    const res = await app.request('/admin', { headers: { authorization } });
    expect(res.status).toBe(200);
  });

  it('refuses a token shorter than 16 characters at start', () => {
    expect(() => loadConfig({ MENUS_DIR, ADMIN_TOKEN: 'short' })).toThrow(/ADMIN_TOKEN: want at least 16 characters/);
    expect(loadConfig({ MENUS_DIR, ADMIN_TOKEN: TOKEN }).adminToken).toBe(TOKEN);
    expect(loadConfig({ MENUS_DIR }).adminToken).toBeUndefined();
  });
});

describe('operator dashboard: what it serves', () => {
  const auth = { headers: { authorization: `Bearer ${TOKEN}` } };

  it('serves the page under a policy allowing only its own scripts and styles, never framed', async () => {
    const { app } = await withAdmin();
    const res = await app.request('/admin', auth);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const policy = res.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("style-src 'self'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toContain('unsafe');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    // Everything it loads comes from this gateway.
    expect([...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1])).toEqual([
      '/admin/assets/uPlot.min.css',
      '/admin/assets/dashboard.css',
      '/admin/assets/uPlot.iife.min.js',
      '/admin/assets/dashboard.js',
    ]);
  });

  it('serves uPlot from npm and its own script and style', async () => {
    const { app } = await withAdmin();
    const library = loadChartLibrary();
    const cases = [
      { path: '/admin/assets/uPlot.iife.min.js', type: /^text\/javascript/, body: library.script },
      { path: '/admin/assets/uPlot.min.css', type: /^text\/css/, body: library.style },
    ];
    for (const { path, type, body } of cases) {
      const res = await app.request(path, auth);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toMatch(type);
      expect(await res.text(), path).toBe(body);
    }
    expect(library.script).toContain('uPlot');
    expect((await app.request('/admin/assets/dashboard.js', auth)).status).toBe(200);
    expect((await app.request('/admin/assets/constructor', auth)).status).toBe(404);
    expect((await app.request('/admin/assets/..%2Fpage.ts', auth)).status).toBe(404);
  });

  it('answers the JSON summary as this instance’s view, with probes and the menus it serves', async () => {
    const { app } = await withAdmin();
    await atHop(app, { sessionId: 'adm-1', text: '' });
    await atHop(app, { sessionId: 'adm-1', text: '1' });
    const summary = (await (await app.request('/admin/api/summary', auth)).json()) as AdminSummary;
    expect(summary.scope).toBe('instance');
    expect(summary.note).toMatch(/instance/);
    expect(summary.sessions.live).toBe(1);
    expect(summary.breakers).toEqual([{ service: 'portal.requestStatus', state: 'open' }]);
    expect(summary.smppLinks).toEqual([{ link: 'smpp-mtn', bound: false }]);
    const menu = summary.funnels.find((f) => f.menu === 'service-public');
    expect(menu?.started).toBe(1);
    // Walk order: the start, then what it leads to.
    expect(menu?.nodes.slice(0, 5).map((n) => n.node)).toEqual(['home', 'track.ask', 'pay.ask', 'ccsp.department', 'language']);
    expect(menu?.nodes.find((n) => n.node === 'home')).toMatchObject({ type: 'choice', entered: 1, chose: { '1': 1 } });
    expect(menu?.nodes.find((n) => n.node === 'track.ask')).toMatchObject({ type: 'input', entered: 1, dropped: 0 });
    expect(summary.funnels.map((f) => f.menu)).toContain('anip');
  });

  it('lists payments to reconcile with ids and amounts only', async () => {
    const { app, payments } = await withAdmin();
    const now = new Date().toISOString();
    const base = { requestNumber: 'PS00373-240009', amountXof: 1900, payerMsisdn: '+2290196123456', operator: 'MTN', provider: 'mtn-momo', createdAt: now, expiresAt: now };
    await payments.create({ ...base, id: 'pay-late' });
    await payments.transition('pay-late', { to: 'expired', at: now, reason: 'expired', code: 'expired_unanswered' });
    await payments.transition('pay-late', { to: 'succeeded', at: now, reason: 'late success', code: 'late_success' });
    await payments.create({ ...base, id: 'pay-fine', requestNumber: 'PS00373-240010' });
    const summary = (await (await app.request('/admin/api/summary', auth)).json()) as AdminSummary;
    expect(summary.reconciliation).toEqual([{ id: 'pay-late', amountXof: 1900, provider: 'mtn-momo', state: 'expired', why: 'success_after_expiry', createdAt: now }]);
    const page = await (await app.request('/admin', auth)).text();
    expect(page).toContain('pay-late');
    expect(page).not.toContain('2290196123456');
    expect(page).not.toContain('PS00373-240009');
  });

  it('never shows a phone number, a session id or what a citizen typed', async () => {
    const { app } = await withAdmin();
    await atHop(app, { sessionId: 'secret-session-id', text: '', phoneNumber: '+2290195123456' });
    await atHop(app, { sessionId: 'secret-session-id', text: '1', phoneNumber: '+2290195123456' });
    await atHop(app, { sessionId: 'secret-session-id', text: '1*PS00373-777777', phoneNumber: '+2290195123456' });
    for (const path of ['/admin', '/admin/api/summary']) {
      const body = await (await app.request(path, auth)).text();
      for (const secret of ['2290195123456', '0195123456', 'secret-session-id', 'PS00373-777777']) expect(body, `${path} ${secret}`).not.toContain(secret);
    }
  });

  it('writes the summary into the page as data that cannot close its script element', async () => {
    const { app, funnels } = await withAdmin();
    funnels.payment('</script><script>alert(1)</script>', 'created');
    const page = await (await app.request('/admin', auth)).text();
    expect(page).not.toContain('</script><script>alert(1)');
    expect(page).toContain('\\u003c/script>\\u003cscript>alert(1)\\u003c/script>');
  });
});
