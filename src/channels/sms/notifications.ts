import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { REQUEST_ID_HEADER, audited, auditableId, noteAudit, type AuditNote } from '../../audit/audited.js';
import type { AuditLog } from '../../audit/port.js';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { errorAnswerWithHeaders, errorResponse, validationReason, type ApiErrorBody } from '../../http/errors.js';
import { describeRoutes, jsonBody, type RouteDescriptor, type SecurityScheme } from '../../http/route-descriptor.js';
import { constantTimeEqual, hmacHex, secretDigest, secretsMatch, type SecretDigester } from '../../lib/secrets.js';
import { LANGUAGES, isLanguage } from '../../engine/languages.js';
import { normalizeMsisdn } from '../../lib/msisdn.js';
import { maskMsisdn } from '../../lib/mask.js';
import type { SmsDispatcher } from '../../sms/dispatcher.js';
import { SMS_STATUSES, type MessageStore } from '../../sms/store/port.js';
import { PermanentSmsError, SmsTooLongError } from '../../sms/port.js';
import { TEMPLATE_NAMES, renderSms } from '../../sms/templates.js';
import type { PreferenceStore } from '../../sessions/port.js';
import { silentLogger, type Logger } from '../../observability/logger.js';
import type { RateLimiter, RatePolicy } from '../../limits/rate/port.js';
import { PUSH_OUTCOMES, PUSH_PHASES } from '../../ussd-push/port.js';
import type { UssdPushService } from '../../ussd-push/push-service.js';

/** Per agency: an API key (`x-api-key`) and/or an HMAC secret (`x-guichet-signature: t=…,s=…`). */
export interface AgencyCredentials {
  apiKey?: string;
  hmacSecret?: string;
}

export interface NotificationDeps {
  dispatcher: SmsDispatcher;
  store: MessageStore;
  preferences: PreferenceStore;
  agencies: Readonly<Record<string, AgencyCredentials>>;
  /** `channel: "ussd-push"` notifications; absent: refused (400). */
  push?: UssdPushService;
  /** Every call, refused ones included, is written here with the agency; absent: not audited. */
  audit?: AuditLog;
  logger?: Logger;
  /**
   * Notifications each agency may post (`NOTIFY_RATE_PER_MINUTE`), counted where every instance
   * sees the same count (Redis on Node); absent: no limit.
   */
  rateLimit?: { limiter: RateLimiter; policy: RatePolicy; now?: () => number };
  /**
   * SHA-256 for the API-key check; default Web Crypto's. The Node gateway gives node:crypto's
   * synchronous one: Web Crypto's per-call hop through the thread pool was 15% of a notification's
   * CPU (issue 18 part 3). Same digests, same constant-time comparison.
   */
  digestSecret?: SecretDigester;
}

/** What an agency posts to `/v1/notifications`: the route validates with this schema, the OpenAPI document is made from it. */
export const NotificationRequest = z.strictObject({
  to: z.string().min(8).max(20).describe('The citizen’s Benin number, in any usual spelling (+229…, 229…, 01…).'),
  template: z.enum(TEMPLATE_NAMES).describe('Which of the gateway’s texts to send (src/sms/templates.ts).'),
  /** Default: the citizen's own choice, else French. */
  language: z.enum(LANGUAGES).optional().describe('Default: the language the citizen chose, else French.'),
  params: z
    .record(z.string(), z.union([z.string().max(200), z.number().int()]))
    .default({})
    .describe('The template’s placeholders ({{requestNumber}} …), by name.'),
  /** The same key from the same agency sends once. */
  idempotencyKey: z.string().min(8).max(128).describe('The same key from the same agency sends once: a retry answers the first notification (200).'),
  channel: z
    .enum(['sms', 'ussd-push'])
    .default('sms')
    .describe('sms (default), or ussd-push: shown on the handset’s screen (USSN) where the operator has a push route, and sent as ONE SMS when the push is refused, fails or is not confirmed in time. Neither is sent 21:00–07:00 Benin time: both wait for 07:00.'),
});

/** A notification as the API shows it: the number masked, never the text. */
export const NotificationView = z.object({
  id: z.uuid().describe('Our id for the notification.'),
  to: z.string().describe('The number, masked.'),
  status: z.enum(SMS_STATUSES).describe('queued, then sending, sent (or unknown: no answer from the route) and finally delivered, failed or expired.'),
  route: z.string().describe('The SMS route that carries it.'),
  encoding: z.enum(['GSM-7', 'UCS-2']),
  segments: z.number().int().min(1),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  channel: z.enum(['sms', 'ussd-push']).describe('As asked.'),
  push: z
    .object({
      route: z.string().describe('The push route (smpp-<operator>, mtn-madapi), or none.'),
      state: z.enum(PUSH_PHASES).describe('waiting (queued, or deferred past quiet hours), pushing, confirmed (no SMS), fallback (the SMS carries it).'),
      outcome: z.enum(PUSH_OUTCOMES).optional().describe('confirmed, or why the SMS was sent instead.'),
      notBefore: z.iso.datetime().optional().describe('Deferred past quiet hours until then.'),
    })
    .optional()
    .describe('For ussd-push notifications: the push and its fallback.'),
  history: z.array(z.object({ at: z.iso.datetime(), status: z.enum(SMS_STATUSES).optional(), detail: z.string() })).describe('Every move and delivery report, oldest first.'),
});
export type NotificationView = z.infer<typeof NotificationView>;

/** A signature older or newer than this is refused: a captured request cannot be replayed later. */
const SIGNATURE_TOLERANCE_SECONDS = 300;

/** The headers of a call, as the notification API reads them, whatever carries it (Hono's `c.req`, node:http). Names in lower case. */
export interface CallHeaders {
  header(name: string): string | undefined;
}

/**
 * An answer of the notification API, before any framework writes it: the status, the JSON body as
 * an object (Hono's `c.json` and the Node listener both send `JSON.stringify` of it, with
 * `content-type: application/json`), and the headers it carries besides (`retry-after`).
 */
export interface NotificationAnswer {
  status: ContentfulStatusCode;
  body: NotificationView | ApiErrorBody;
  headers?: Readonly<Record<string, string>>;
}

/**
 * `POST /v1/notifications` without a framework: from the call's headers and raw body to its answer,
 * noting the agency and the notification into the call's audit note as it learns them. The Hono
 * route (Workers, tests, `app.request`) and the Node runtime's listener (`src/runtime/node/notification-listener.ts`,
 * which answers straight from node:http: issue 18 part 3) both call it, so an agency cannot tell
 * which path answered (`test/notification-listener.test.ts`). A class: under tsx every closure made
 * per call costs a `__name` call. What nobody planned (a store or queue away) is thrown, for the
 * caller's error handler to answer 503.
 */
export class NotificationHttp {
  constructor(private readonly deps: NotificationDeps) {}

  async post(call: CallHeaders, raw: string, note: AuditNote): Promise<NotificationAnswer> {
    const deps = this.deps;
    // POST keeps the documented `t.body`: the body names the recipient and the text, so it cannot be replayed elsewhere.
    const agency = await authenticateHeaders(call, deps.agencies, raw, deps.digestSecret);
    if (!agency) return errorAnswerWithHeaders('unauthorized', 'missing or wrong API key or signature');
    note.agency = agency;
    const refused = await overRate(deps, agency);
    if (refused) return refused;
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return errorAnswerWithHeaders('bad_request', 'body is not valid JSON');
    }
    const parsed = NotificationRequest.safeParse(body);
    if (!parsed.success) return errorAnswerWithHeaders('bad_request', validationReason(parsed.error.issues));
    const request = parsed.data;
    const number = normalizeMsisdn(request.to);
    if (!number.ok) return errorAnswerWithHeaders('bad_request', `to: ${number.reason}`);
    // The language and the opt-out in one read (one MGET on Redis), instead of the dispatcher
    // reading the opt-out after the language: the dispatcher shares this store.
    const { language: stored, optedOut } = await deps.preferences.languageAndOptOut(number.e164);
    const language = request.language ?? (isLanguage(stored) ? stored : 'fr');
    if (request.channel === 'ussd-push' && !deps.push) return errorAnswerWithHeaders('bad_request', 'channel: ussd-push is not available on this gateway');
    const sendRequest = {
      to: number.e164,
      text: renderSms(request.template, language, request.params),
      idempotencyKey: `${agency}:${request.idempotencyKey}`,
      purpose: `notification:${request.template}`,
      requestedBy: agency,
      optedOut,
    };
    try {
      const { message, created } = request.channel === 'ussd-push' && deps.push ? await deps.push.send(sendRequest) : await deps.dispatcher.send(sendRequest);
      note.target = message.id;
      return { status: created ? 202 : 200, body: view(message) };
    } catch (error) {
      if (error instanceof PermanentSmsError) return errorAnswerWithHeaders('bad_request', error.message);
      // Refused whole rather than cut downstream and reported delivered.
      if (error instanceof SmsTooLongError) return errorAnswerWithHeaders('too_long', error.message, { details: { segments: error.segments, maxSegments: error.maxSegments } });
      throw error;
    }
  }
}

/**
 * `POST /v1/notifications` and `GET /v1/notifications/:id`: how the portal and agencies send a
 * citizen a notification and follow its delivery.
 */
export function registerNotificationRoutes(app: Hono, deps: NotificationDeps): void {
  const audit = audited({ audit: deps.audit, logger: deps.logger ?? silentLogger });
  const notifications = new NotificationHttp(deps);
  describeRoutes(app, ...notificationRoutes);

  app.post('/v1/notifications', audit, async (c) => {
    const answer = await notifications.post(c.req, await c.req.text(), c.get('auditNote'));
    return c.json(answer.body, answer.status, answer.headers ? { ...answer.headers } : undefined);
  });

  app.get('/v1/notifications/:id', audit, async (c) => {
    // A GET has no body: `t.body` would be the same for every id. Its signature covers the method
    // and path, so a captured one reads that one notification only, for 5 minutes.
    const target = auditableId(c.req.param('id'));
    noteAudit(c, target !== undefined ? { target } : {});
    const agency = await authenticate(c, deps.agencies, getSignedPayload(c.req.path), deps.digestSecret);
    if (!agency) return errorResponse(c, 'unauthorized', 'missing or wrong API key or signature');
    noteAudit(c, { agency });
    const message = await deps.store.get(c.req.param('id'));
    // Another agency's message is as unknown as a missing one.
    if (!message || message.requestedBy !== agency) return errorResponse(c, 'not_found', 'no such notification');
    return c.json(view(message));
  });
}

/**
 * The agency's rate, counted before the body is read: a flood costs one counter, not a parse and a
 * store lookup each. Counted once authenticated, so nobody can spend an agency's rate without its
 * key. The limiter failing (its store away) lets the notification through: the send itself then
 * meets the same store and answers for it.
 */
async function overRate(deps: NotificationDeps, agency: string): Promise<NotificationAnswer | null> {
  if (!deps.rateLimit) return null;
  const { limiter, policy, now = Date.now } = deps.rateLimit;
  let decision;
  try {
    decision = await limiter.hit(`notify:${agency}`, policy, now());
  } catch (error) {
    (deps.logger ?? silentLogger).warn({ agency, err: error instanceof Error ? error.message : String(error) }, 'notification rate not checked: limiter unavailable');
    return null;
  }
  if (decision.allowed) return null;
  const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
  return errorAnswerWithHeaders('rate_limited', `over ${policy.limit} notifications per ${policy.windowMs / 1000} s for this agency; retry in ${seconds} s`, {
    headers: { 'retry-after': String(seconds) },
    details: { limit: policy.limit, retryAfterSeconds: seconds },
  });
}

function view(message: Awaited<ReturnType<MessageStore['get']>> & object): NotificationView {
  return {
    id: message.id,
    to: maskMsisdn(message.to),
    status: message.status,
    route: message.route,
    encoding: message.encoding,
    segments: message.segments,
    createdAt: message.createdAt,
    updatedAt: message.updatedAt,
    channel: message.channel ?? 'sms',
    ...(message.push
      ? { push: { route: message.push.route, state: message.push.phase, ...(message.push.outcome ? { outcome: message.push.outcome } : {}), ...(message.push.notBefore ? { notBefore: message.push.notBefore } : {}) } }
      : {}),
    history: message.history.map((h) => ({ at: h.at, ...(h.status ? { status: h.status } : {}), detail: h.detail })),
  };
}

/** What a GET's signature covers after `t.`: `GET.<path>.` (the path as sent, the body empty). */
export function getSignedPayload(path: string): string {
  return `GET.${path}.`;
}

/**
 * The agency calling, by its API key or signature, or null. `signed` is what the signature covers
 * after `t.`: the raw body (POST) or `getSignedPayload` (GET). The survey API checks agencies the same way.
 */
export function authenticate(c: Context, agencies: Readonly<Record<string, AgencyCredentials>>, signed: string, digest: SecretDigester = secretDigest): Promise<string | null> {
  return authenticateHeaders(c.req, agencies, signed, digest);
}

/** `authenticate` from the call's headers alone (no Hono context): the Node listener's way in. */
export async function authenticateHeaders(call: CallHeaders, agencies: Readonly<Record<string, AgencyCredentials>>, signed: string, digest: SecretDigester = secretDigest): Promise<string | null> {
  const apiKey = call.header('x-api-key');
  const signature = call.header('x-guichet-signature');
  // The presented key is digested once, each agency's key once per process (`keyDigest`): two
  // digests per agency per call were a tenth of a notification's CPU (issue 18 part 3).
  const given = apiKey !== undefined ? digest(apiKey) : undefined;
  for (const [agency, credentials] of Object.entries(agencies)) {
    if (given !== undefined && credentials.apiKey !== undefined && constantTimeEqual(await given, await keyDigest(credentials.apiKey, digest))) return agency;
    if (signature !== undefined && credentials.hmacSecret !== undefined && call.header('x-agency') === agency) {
      if (await signatureValid(signature, credentials.hmacSecret, signed)) return agency;
    }
  }
  return null;
}

/** Each configured API key's digest, made once: the keys are few and live as long as the process (config). */
const keyDigests = new Map<string, Uint8Array | Promise<Uint8Array>>();
function keyDigest(key: string, digest: SecretDigester): Uint8Array | Promise<Uint8Array> {
  let made = keyDigests.get(key);
  if (!made) {
    // Every digester gives SHA-256, so one cache serves them all.
    made = digest(key);
    keyDigests.set(key, made);
  }
  return made;
}

/**
 * `t=<unix seconds>,s=<hex HMAC-SHA256(secret, "<t>.<signed>")>`, within the tolerance; `signed` is
 * the raw body for POST, `GET.<path>.` for GET.
 */
export async function signatureValid(header: string, secret: string, signed: string, now = Date.now()): Promise<boolean> {
  const parts = Object.fromEntries(header.split(',').map((p) => p.trim().split('=') as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(now / 1000 - t) > SIGNATURE_TOLERANCE_SECONDS || !parts.s) return false;
  return secretsMatch(parts.s.toLowerCase(), await hmacHex(secret, `${t}.${signed}`));
}

/** `NOTIFY_API_KEYS`: one key per agency, in `x-api-key`. */
export const agencyApiKey: SecurityScheme = {
  name: 'agencyApiKey',
  scheme: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'The agency’s key from NOTIFY_API_KEYS (agency:key pairs).' },
};

/** `NOTIFY_HMAC_SECRETS`: the agency signs instead, naming itself in `x-agency`. */
export const agencySignature: SecurityScheme = {
  name: 'agencySignature',
  scheme: {
    type: 'apiKey',
    in: 'header',
    name: 'x-guichet-signature',
    description: `t=<unix seconds>,s=<hex HMAC-SHA256(secret, "<t>.<signed>")>, where <signed> is the raw body for a POST and GET.<path>. for a GET, with the agency's secret from NOTIFY_HMAC_SECRETS; refused more than ${SIGNATURE_TOLERANCE_SECONDS} s away from our clock. Goes with x-agency.`,
  },
};

export const agencyName: SecurityScheme = {
  name: 'agencyName',
  scheme: { type: 'apiKey', in: 'header', name: 'x-agency', description: 'The agency whose secret signed x-guichet-signature.' },
};

export const AGENCY_SECURITY = [[agencyApiKey], [agencySignature, agencyName]] as const;

const queuedExample: NotificationView = {
  id: '6f1c2b7e-3d4a-4c5b-9e8f-0a1b2c3d4e5f',
  to: '+2290197****01',
  status: 'queued',
  route: 'kannel',
  encoding: 'GSM-7',
  segments: 1,
  createdAt: '2026-12-02T09:15:04.120Z',
  updatedAt: '2026-12-02T09:15:04.120Z',
  channel: 'sms',
  history: [{ at: '2026-12-02T09:15:04.120Z', status: 'queued', detail: 'queued on kannel' }],
};

const deliveredExample: NotificationView = {
  ...queuedExample,
  status: 'delivered',
  updatedAt: '2026-12-02T09:15:09.873Z',
  history: [
    ...queuedExample.history,
    { at: '2026-12-02T09:15:04.981Z', status: 'sending', detail: 'submitting to kannel (attempt 1)' },
    { at: '2026-12-02T09:15:05.002Z', status: 'sent', detail: 'accepted by kannel' },
    { at: '2026-12-02T09:15:09.873Z', status: 'delivered', detail: 'kannel report: type 1' },
  ],
};

/** A push the handset never confirmed, carried by its one SMS. */
const pushFellBackExample: NotificationView = {
  ...queuedExample,
  id: '0b7d4c1e-8a2f-4e6b-9c3d-5f1a2b3c4d5e',
  status: 'sent',
  channel: 'ussd-push',
  push: { route: 'smpp-mtn', state: 'fallback', outcome: 'unanswered' },
  updatedAt: '2026-12-02T09:15:25.310Z',
  history: [
    { at: '2026-12-02T09:15:04.120Z', status: 'queued', detail: 'held for a USSD push on smpp-mtn; kannel sends the SMS if the push falls back' },
    { at: '2026-12-02T09:15:04.200Z', detail: 'pushing on smpp-mtn' },
    { at: '2026-12-02T09:15:24.260Z', detail: 'USSD push unanswered on smpp-mtn: no USSN confirm within 20000 ms; sent by SMS' },
    { at: '2026-12-02T09:15:24.990Z', status: 'sending', detail: 'submitting to kannel (attempt 1)' },
    { at: '2026-12-02T09:15:25.310Z', status: 'sent', detail: 'accepted by kannel' },
  ],
};

/** The notification API as the OpenAPI document shows it. */
export const notificationRoutes: readonly RouteDescriptor[] = [
  {
    method: 'POST',
    path: '/v1/notifications',
    operationId: 'sendNotification',
    tag: 'notifications',
    summary: 'Send a citizen a notification by SMS, or as a USSD push with one SMS as the fallback',
    description:
      'Renders the template in the citizen’s language and queues it on the SMS route for their operator. A text needing more segments than SMS_MAX_SEGMENTS is refused whole (422), never cut. The same idempotencyKey from the same agency answers the first notification again (200) instead of sending twice. Each agency may post NOTIFY_RATE_PER_MINUTE notifications a minute (sliding window, over every instance); past it, 429 rate_limited with Retry-After in seconds.',
    security: AGENCY_SECURITY,
    request: {
      body: jsonBody(NotificationRequest, {
        requestReady: {
          summary: 'A request ready to collect',
          value: { to: '+2290197000001', template: 'request_ready', params: { requestNumber: 'PS00373-240001', service: 'Casier judiciaire', collectAt: 'Tribunal de Cotonou' }, idempotencyKey: 'portail-PS00373-240001-ready' },
        },
        readyAsPush: {
          summary: 'Pushed on the handset’s screen, SMS if the push falls back',
          value: { to: '+2290197000001', template: 'request_ready', params: { requestNumber: 'PS00373-240001', service: 'Casier judiciaire', collectAt: 'Tribunal de Cotonou' }, idempotencyKey: 'portail-PS00373-240001-ready-push', channel: 'ussd-push' },
        },
        feeDueInEnglish: {
          summary: 'A fee due, in English',
          value: { to: '0197000001', template: 'fee_due', language: 'en', params: { requestNumber: 'PS00373-240001', amountXof: 1900 }, idempotencyKey: 'portail-PS00373-240001-fee' },
        },
      }),
    },
    responses: {
      202: { description: 'Queued: a new notification.', body: jsonBody(NotificationView, { queued: { summary: 'Just queued', value: queuedExample } }), headers: REQUEST_ID_HEADER },
      200: { description: 'The same idempotencyKey again: the first notification, as it stands.', body: jsonBody(NotificationView, { delivered: { summary: 'Already delivered', value: deliveredExample } }), headers: REQUEST_ID_HEADER },
    },
    errors: ['bad_request', 'unauthorized', 'payload_too_large', 'too_long', 'rate_limited', 'unavailable'],
    audited: true,
  },
  {
    method: 'GET',
    path: '/v1/notifications/:id',
    operationId: 'getNotification',
    tag: 'notifications',
    summary: 'Follow a notification’s delivery',
    description: 'Its status and history, delivery reports included. Another agency’s notification is as unknown as a missing one (404).',
    security: AGENCY_SECURITY,
    request: { path: z.object({ id: z.string().describe('The id the POST answered.') }) },
    responses: {
      200: {
        description: 'The notification.',
        body: jsonBody(NotificationView, { delivered: { summary: 'Delivered', value: deliveredExample }, pushFellBack: { summary: 'A USSD push not confirmed in time, sent by SMS', value: pushFellBackExample } }),
        headers: REQUEST_ID_HEADER,
      },
    },
    errors: ['unauthorized', 'not_found', 'unavailable'],
    audited: true,
  },
];
