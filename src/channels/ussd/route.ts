import type { Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { RawResponse, UssdDialect } from './port.js';
import { endSession, type HopHandlerDeps } from './hop-handler.js';
import { runHopPipeline } from './hop-pipeline.js';
import { errorAnswer, type ApiErrorCode, type ApiErrorStatus } from '../../http/errors.js';
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

/** One answer of the USSD routes, whichever transport writes it (Hono here, `node:http` in the Node runtime). */
export interface UssdHttpAnswer {
  status: ContentfulStatusCode;
  contentType: string;
  body: string;
}

/** What the USSD routes read of a request besides its path and body. */
export interface UssdHttpCaller {
  /** A request header by its lower-case name. */
  header(name: string): string | undefined;
  /** The caller's address as the runtime sees it; asked only where an allowlist is configured. */
  clientIp(): string | undefined;
}

/**
 * The USSD routes without the HTTP framework: what `POST /ussd/:provider` and
 * `POST /ussd/:provider/session-end` answer, from the provider's name, the caller and the body.
 * The Hono routes below and the Node runtime's direct hop path (`src/runtime/node/ussd-listener.ts`,
 * which spares a hop Hono's request and response adaptation) both answer through it, so they
 * cannot drift apart.
 */
export interface UssdHttp {
  /** Whether a dialect of that name is registered. */
  serves(provider: string): boolean;
  /**
   * Checks made before the body is read (a provider named, its allowlist and secret): an answer
   * refusing the request, or null when it may go on. Plain null, not a promise, where the
   * provider has nothing configured to check.
   */
  admit(provider: string, caller: UssdHttpCaller): Promise<UssdHttpAnswer | null> | UssdHttpAnswer | null;
  /** A hop of an admitted request. */
  hop(provider: string, contentType: string, body: Uint8Array): Promise<UssdHttpAnswer>;
  /** A session-end notification of an admitted request. */
  sessionEnd(provider: string, contentType: string, body: Uint8Array): Promise<UssdHttpAnswer>;
}

export function ussdHttp(deps: UssdRouteDeps): UssdHttp {
  const dialects = new Map(deps.dialects.map((d) => [d.name, d]));

  /** The body as text, or the refusal of a body that is not UTF-8. */
  const decode = (body: Uint8Array): string | UssdHttpAnswer => {
    try {
      return utf8.decode(body);
    } catch {
      return errorJson('bad_encoding', 'request body is not valid UTF-8');
    }
  };

  return {
    serves: (provider) => dialects.has(provider),

    admit(provider, caller) {
      if (!dialects.has(provider)) return errorJson('unknown_provider', `no USSD provider named "${provider}"`);
      const settings = deps.providerSettings?.[provider];
      if (!settings || (!settings.allowedIps?.length && settings.secret === undefined)) return null;
      return checkAccess(caller, settings).then((denied) => {
        if (denied) deps.metrics.observeHop(provider, 'rejected', 0);
        return denied;
      });
    },

    async hop(provider, contentType, bytes) {
      const dialect = dialects.get(provider)!;
      const body = decode(bytes);
      if (typeof body !== 'string') return body;
      const parsed = dialect.parse({ contentType, body });
      const outcome = await runHopPipeline(deps, dialect.name, parsed, deps.providerSettings?.[dialect.name], dialect.defaultScreenLimit);
      if (outcome.type === 'reject') return errorJson('bad_request', outcome.reason, outcome.status);
      if (outcome.type === 'acknowledge') return reply(acknowledgement(dialect));
      // A dropped reply still answers the HTTP request: the provider stopped listening already.
      return reply(dialect.render(outcome.screen, outcome.hop));
    },

    async sessionEnd(provider, contentType, bytes) {
      const dialect = dialects.get(provider)!;
      const body = decode(bytes);
      if (typeof body !== 'string') return body;
      if (!dialect.parseSessionEnd) return errorJson('not_supported', `${dialect.name} sends session ends with its hops`);
      const parsed = dialect.parseSessionEnd({ contentType, body });
      if (!parsed.ok) {
        if (parsed.kind === 'reject') {
          deps.metrics.observeHop(dialect.name, 'rejected', 0);
          return errorJson('bad_request', parsed.reason, parsed.status);
        }
        return errorJson('bad_request', parsed.reason);
      }
      if (!('ended' in parsed)) return errorJson('bad_request', 'not a session-end notification');
      try {
        await endSession(deps, dialect.name, parsed.ended.sessionId, parsed.ended.reason);
      } catch (error) {
        deps.logger.error({ provider: dialect.name, err: error instanceof Error ? error.message : String(error) }, 'session end not recorded');
        return errorJson('unavailable', 'session store unavailable, retry later');
      }
      return reply(acknowledgement(dialect));
    },
  };
}

/**
 * `POST /ussd/:provider` (hops) and `POST /ussd/:provider/session-end` (end notifications, for
 * dialects that have a separate URL), one dialect per provider in the registry.
 */
export function registerUssdRoutes(app: Hono, deps: UssdRouteDeps): void {
  describeRoutes(app, ...deps.dialects.flatMap(ussdRouteDescriptors));
  const http = ussdHttp(deps);
  const caller = (c: Context): UssdHttpCaller => ({ header: (name) => c.req.header(name), clientIp: () => deps.clientIp?.(c) });
  const route = (answer: (provider: string, contentType: string, body: Uint8Array) => Promise<UssdHttpAnswer>) => async (c: Context) => {
    const provider = c.req.param('provider') ?? '';
    const denied = await http.admit(provider, caller(c));
    if (denied) return send(c, denied);
    return send(c, await answer(provider, c.req.header('content-type') ?? '', new Uint8Array(await c.req.arrayBuffer())));
  };
  app.post('/ussd/:provider', route(http.hop));
  app.post('/ussd/:provider/session-end', route(http.sessionEnd));
}

function send(c: Context, answer: UssdHttpAnswer): Response {
  return c.body(answer.body, answer.status, { 'content-type': answer.contentType });
}

/** 403 for an address outside the allowlist, 401 for a missing or wrong secret; sessions untouched. */
async function checkAccess(caller: UssdHttpCaller, settings: UssdProviderSettings): Promise<UssdHttpAnswer | null> {
  if (settings.allowedIps && settings.allowedIps.length > 0) {
    const ip = caller.clientIp();
    if (!ip || !settings.allowedIps.includes(normalizeIp(ip))) return errorJson('forbidden', 'source address not allowed for this provider');
  }
  if (settings.secret !== undefined) {
    const given = caller.header(settings.secretHeader ?? DEFAULT_SECRET_HEADER) ?? '';
    if (!(await secretsMatch(given, settings.secret))) return errorJson('unauthorized', 'missing or wrong provider secret');
  }
  return null;
}

/** The error envelope of `errorResponse` (`src/http/errors.ts`), as an answer any transport writes. */
function errorJson<C extends ApiErrorCode>(code: C, reason: string, status?: ApiErrorStatus<C>): UssdHttpAnswer {
  const answer = errorAnswer(code, reason, status === undefined ? {} : { status });
  return { status: answer.status, contentType: 'application/json', body: JSON.stringify(answer.body) };
}

function acknowledgement(dialect: UssdDialect): RawResponse {
  return dialect.acknowledge?.() ?? { contentType: 'application/json', body: '{}' };
}

function reply(rendered: RawResponse): UssdHttpAnswer {
  return { status: 200, contentType: rendered.contentType, body: rendered.body };
}
