import type { Context, Hono } from 'hono';
import type { ParseResult, RawResponse, UssdDialect } from './port.js';
import { endSession, type HopHandlerDeps } from './hop-handler.js';
import { runHopPipeline } from './hop-pipeline.js';
import { errorResponse } from '../../http/errors.js';
import { secretsMatch } from '../../lib/secrets.js';
import { DEFAULT_SECRET_HEADER, normalizeIp, type UssdProviderSettings } from './provider-settings.js';
import { ussdRouteDescriptors } from './wire-doc.js';
import { describeRoutes } from '../../http/route-descriptor.js';

export interface UssdRouteDeps extends HopHandlerDeps {
  dialects: readonly UssdDialect[];
  /** Per-provider settings from configuration, by dialect name. */
  providerSettings?: Readonly<Record<string, UssdProviderSettings>>;
  /** The caller's address as the runtime sees it (Node: the socket; Workers: `cf-connecting-ip`). */
  clientIp?: (c: Context) => string | undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * `POST /ussd/:provider` (hops) and `POST /ussd/:provider/session-end` (end notifications, for
 * dialects that have a separate URL), one dialect per provider in the registry.
 */
export function registerUssdRoutes(app: Hono, deps: UssdRouteDeps): void {
  const dialects = new Map(deps.dialects.map((d) => [d.name, d]));
  describeRoutes(app, ...deps.dialects.flatMap(ussdRouteDescriptors));

  const prepare = async (c: Context): Promise<{ dialect: UssdDialect; body: string } | Response> => {
    const name = c.req.param('provider') ?? '';
    const dialect = dialects.get(name);
    if (!dialect) return errorResponse(c, 'unknown_provider', `no USSD provider named "${name}"`);
    const denied = await checkAccess(c, deps, deps.providerSettings?.[name]);
    if (denied) {
      deps.metrics.observeHop(name, 'rejected', 0);
      return denied;
    }
    try {
      return { dialect, body: utf8.decode(await c.req.arrayBuffer()) };
    } catch {
      return errorResponse(c, 'bad_encoding', 'request body is not valid UTF-8');
    }
  };

  app.post('/ussd/:provider', async (c) => {
    const prepared = await prepare(c);
    if (prepared instanceof Response) return prepared;
    const { dialect, body } = prepared;
    const parsed = dialect.parse({ contentType: c.req.header('content-type') ?? '', body });
    const outcome = await runHopPipeline(deps, dialect.name, parsed, deps.providerSettings?.[dialect.name], dialect.defaultScreenLimit);
    if (outcome.type === 'reject') return errorResponse(c, 'bad_request', outcome.reason, { status: outcome.status });
    if (outcome.type === 'acknowledge') return reply(c, acknowledgement(dialect));
    // A dropped reply still answers the HTTP request: the provider stopped listening already.
    return reply(c, dialect.render(outcome.screen, outcome.hop));
  });

  app.post('/ussd/:provider/session-end', async (c) => {
    const prepared = await prepare(c);
    if (prepared instanceof Response) return prepared;
    const { dialect, body } = prepared;
    if (!dialect.parseSessionEnd) {
      return errorResponse(c, 'not_supported', `${dialect.name} sends session ends with its hops`);
    }
    const parsed = dialect.parseSessionEnd({ contentType: c.req.header('content-type') ?? '', body });
    if (!parsed.ok) {
      return parsed.kind === 'reject' ? reject(c, deps, dialect, parsed) : errorResponse(c, 'bad_request', parsed.reason);
    }
    if (!('ended' in parsed)) return errorResponse(c, 'bad_request', 'not a session-end notification');
    try {
      await endSession(deps, dialect.name, parsed.ended.sessionId, parsed.ended.reason);
    } catch (error) {
      deps.logger.error({ provider: dialect.name, err: error instanceof Error ? error.message : String(error) }, 'session end not recorded');
      return errorResponse(c, 'unavailable', 'session store unavailable, retry later');
    }
    return reply(c, acknowledgement(dialect));
  });
}

/** 403 for an address outside the allowlist, 401 for a missing or wrong secret; sessions untouched. */
async function checkAccess(c: Context, deps: UssdRouteDeps, settings: UssdProviderSettings | undefined): Promise<Response | null> {
  if (!settings) return null;
  if (settings.allowedIps && settings.allowedIps.length > 0) {
    const ip = deps.clientIp?.(c);
    if (!ip || !settings.allowedIps.includes(normalizeIp(ip))) {
      return errorResponse(c, 'forbidden', 'source address not allowed for this provider');
    }
  }
  if (settings.secret !== undefined) {
    const given = c.req.header(settings.secretHeader ?? DEFAULT_SECRET_HEADER) ?? '';
    if (!(await secretsMatch(given, settings.secret))) return errorResponse(c, 'unauthorized', 'missing or wrong provider secret');
  }
  return null;
}

function reject(c: Context, deps: UssdRouteDeps, dialect: UssdDialect, parsed: Extract<ParseResult, { kind: 'reject' }>): Response {
  deps.metrics.observeHop(dialect.name, 'rejected', 0);
  return errorResponse(c, 'bad_request', parsed.reason, { status: parsed.status });
}

function acknowledgement(dialect: UssdDialect): RawResponse {
  return dialect.acknowledge?.() ?? { contentType: 'application/json', body: '{}' };
}

function reply(c: Context, rendered: RawResponse): Response {
  return c.body(rendered.body, 200, { 'content-type': rendered.contentType });
}
