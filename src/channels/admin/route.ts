import type { Hono } from 'hono';
import type { MenuRegistry } from '../../engine/menu-registry.js';
import type { FunnelSource } from '../../observability/funnels.js';
import type { PaymentStore } from '../../payments/store/port.js';
import type { SurveyStore } from '../../surveys/port.js';
import { adminAuth } from './auth.js';
import { DASHBOARD_PAGE, DASHBOARD_SCRIPT, DASHBOARD_STYLE, SUMMARY_SLOT } from './page.js';
import { createSummary, type AdminProbes } from './summary.js';
import { errorResponse } from '../../http/errors.js';

export interface AdminDeps extends AdminProbes {
  /** `ADMIN_TOKEN`: Bearer, or HTTP Basic `admin:<token>`. */
  token: string;
  funnels: FunnelSource;
  menus: MenuRegistry;
  /**
   * uPlot as published on npm (`uplot/dist/uPlot.iife.min.js` and `uPlot.min.css`), handed in by
   * the runtime: this module reads no files, and the page loads nothing from elsewhere.
   */
  chartLibrary: { script: string; style: string };
  /** For the `needsReconciliation` list; absent: empty. */
  payments?: PaymentStore;
  /** This month's survey results; absent: none shown. */
  surveys?: SurveyStore;
  now?: () => number;
}

/**
 * The page runs only its own scripts and styles, talks only to this gateway, and cannot be framed.
 * uPlot styles its elements through the DOM (`element.style`), which a style-src policy allows.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * `GET /admin`: the operator's dashboard, and `GET /admin/api/summary`, the same numbers as JSON
 * (this instance's view: see `AdminSummary.note`). Every path under `/admin` needs the admin token;
 * without one configured nothing here is served.
 */
export function registerAdmin(app: Hono, deps: AdminDeps): void {
  const summary = createSummary(deps);
  const auth = adminAuth(deps.token);
  app.use('/admin', auth);
  app.use('/admin/*', auth);

  app.get('/admin', async (c) => {
    // Inside a data block only `</script` could end it early: every `<` is written as its JSON escape.
    const json = JSON.stringify(await summary()).replace(/</g, '\\u003c');
    return c.html(DASHBOARD_PAGE.replace(SUMMARY_SLOT, () => json), 200, { 'content-security-policy': CONTENT_SECURITY_POLICY, 'x-frame-options': 'DENY' });
  });
  app.get('/admin/api/summary', async (c) => c.json(await summary()));

  const assets: Record<string, { type: string; body: string }> = {
    'uPlot.iife.min.js': { type: 'text/javascript; charset=utf-8', body: deps.chartLibrary.script },
    'uPlot.min.css': { type: 'text/css; charset=utf-8', body: deps.chartLibrary.style },
    'dashboard.js': { type: 'text/javascript; charset=utf-8', body: DASHBOARD_SCRIPT },
    'dashboard.css': { type: 'text/css; charset=utf-8', body: DASHBOARD_STYLE },
  };
  app.get('/admin/assets/:name', (c) => {
    const asset = Object.hasOwn(assets, c.req.param('name')) ? assets[c.req.param('name')] : undefined;
    if (!asset) return errorResponse(c, 'not_found', 'no such asset');
    return c.body(asset.body, 200, { 'content-type': asset.type });
  });
}
