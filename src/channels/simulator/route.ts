import type { Hono } from 'hono';
import { errorResponse } from '../../http/errors.js';
import { draftsOnScreen } from '../../engine/catalog.js';
import { menuToMermaid } from '../../engine/graph.js';
import { DRAFT_UI_LANGUAGES } from '../../engine/ui-text.js';
import type { MenuRegistry } from '../../engine/menu-registry.js';
import type { SessionStore } from '../../sessions/port.js';
import type { UssdDialect } from '../ussd/port.js';
import { decodeRecord } from '../ussd/session-record.js';
import { SIMULATOR_PAGE } from './page.js';
import type { SandboxInbox } from '../../sms/sandbox-inbox.js';
import { normalizeMsisdn } from '../../lib/msisdn.js';

export interface SimulatorDeps {
  menus: MenuRegistry;
  dialects: readonly UssdDialect[];
  sessions: SessionStore;
  /** The sandbox SMS route's texts; absent where no sandbox inbox is kept (then `/simulator/sms` is 404). */
  sandboxInbox?: SandboxInbox;
  now?: () => number;
}

/**
 * `GET /simulator`: a feature phone in the browser for agency staff. It goes through the real
 * USSD routes, so it only works where those accept unauthenticated calls: turn it off
 * (`SIMULATOR=0`) and protect the routes in production.
 */
export function registerSimulator(app: Hono, deps: SimulatorDeps): void {
  // The page runs its one inline script, allowed by hash, talks only to this gateway, and cannot be
  // framed (no click-jacking of a phone that dials real routes).
  let policy: Promise<string> | undefined;
  app.get('/simulator', async (c) => {
    policy ??= contentSecurityPolicy(SIMULATOR_PAGE);
    return c.html(SIMULATOR_PAGE, 200, { 'content-security-policy': await policy, 'x-frame-options': 'DENY' });
  });

  app.get('/simulator/menus', (c) =>
    c.json({
      providers: deps.dialects.map((d) => d.name),
      menus: deps.menus.all().map((menu) => ({ id: menu.id, version: menu.version, serviceCodes: menu.serviceCodes, mermaid: menuToMermaid(menu) })),
    }),
  );

  // The SMS the sandbox route would have sent to the simulated phone (an enrolment code, a STATUT
  // reply): nothing leaves the machine on the embedded default, so the page shows them instead.
  app.get('/simulator/sms', (c) => {
    if (!deps.sandboxInbox) return errorResponse(c, 'not_found', 'no sandbox SMS route here');
    const phone = normalizeMsisdn(c.req.query('phone') ?? '');
    if (!phone.ok) return errorResponse(c, 'bad_request', `phone: ${phone.reason}`);
    const now = deps.now?.() ?? Date.now();
    return c.json({ messages: deps.sandboxInbox.recent(phone.e164, now).map((m) => ({ text: m.text, at: new Date(m.atMs).toISOString() })) });
  });

  // What the page shows beside the screen: the session's language and where it stands.
  app.get('/simulator/session', async (c) => {
    const provider = c.req.query('provider') ?? '';
    const sessionId = c.req.query('sessionId') ?? '';
    if (!sessionId.startsWith('sim-')) return errorResponse(c, 'not_found', 'only simulator sessions can be inspected');
    const stored = await deps.sessions.load(`${provider}:${sessionId}`);
    if (!stored) return errorResponse(c, 'not_found', 'no such session');
    const record = decodeRecord(stored.data);
    const menu = deps.menus.atVersion(record.e.menuId, record.e.menuVersion);
    // The screen's texts not yet reviewed by a native speaker, so staff trying a menu in Fon or
    // Yoruba know what they read is a draft (README "National languages").
    const drafts = menu ? draftsOnScreen(menu, record.e.node, record.e.language) : [];
    return c.json({
      language: record.e.language,
      node: record.e.node,
      menu: `${record.e.menuId}@${record.e.menuVersion}`,
      ended: record.x ?? null,
      drafts,
      draftNavigation: DRAFT_UI_LANGUAGES.includes(record.e.language),
    });
  });
}

/** `script-src` lists the hash of each inline script of the page, so nothing injected can run. */
async function contentSecurityPolicy(page: string): Promise<string> {
  const scripts = [...page.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? '');
  const hashes = await Promise.all(
    scripts.map(async (script) => {
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(script)));
      return `'sha256-${btoa(String.fromCharCode(...digest))}'`;
    }),
  );
  return [
    "default-src 'none'",
    `script-src ${hashes.join(' ')}`,
    // Inline style attributes on the keypad; styles cannot run code.
    "style-src 'unsafe-inline'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
