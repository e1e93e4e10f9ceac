import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { errorResponse, validationReason } from '../../http/errors.js';
import { hmacHex, secretsMatch } from '../../lib/secrets.js';
import { LANGUAGES } from '../../engine/schema.js';
import { normalizeMsisdn } from '../../lib/msisdn.js';
import { maskMsisdn } from '../../lib/mask.js';
import type { SmsDispatcher } from '../../sms/dispatcher.js';
import type { MessageStore } from '../../sms/store/port.js';
import { PermanentSmsError, SmsTooLongError } from '../../sms/port.js';
import { TEMPLATE_NAMES, renderSms } from '../../sms/templates.js';
import type { PreferenceStore } from '../../sessions/port.js';

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
}

const NotificationRequest = z.strictObject({
  to: z.string().min(8).max(20),
  template: z.enum(TEMPLATE_NAMES),
  /** Default: the citizen's own choice, else French. */
  language: z.enum(LANGUAGES).optional(),
  params: z.record(z.string(), z.union([z.string().max(200), z.number().int()])).default({}),
  /** The same key from the same agency sends once. */
  idempotencyKey: z.string().min(8).max(128),
});

/** A signature older or newer than this is refused: a captured request cannot be replayed later. */
const SIGNATURE_TOLERANCE_SECONDS = 300;

/**
 * `POST /v1/notifications` and `GET /v1/notifications/:id`: how the portal and agencies send a
 * citizen a notification and follow its delivery.
 */
export function registerNotificationRoutes(app: Hono, deps: NotificationDeps): void {
  app.post('/v1/notifications', async (c) => {
    const raw = await c.req.text();
    // POST keeps the documented `t.body`: the body names the recipient and the text, so it cannot be replayed elsewhere.
    const agency = await authenticate(c, deps.agencies, raw);
    if (!agency) return errorResponse(c, 'unauthorized', 'missing or wrong API key or signature');
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return errorResponse(c, 'bad_request', 'body is not valid JSON');
    }
    const parsed = NotificationRequest.safeParse(body);
    if (!parsed.success) return errorResponse(c, 'bad_request', validationReason(parsed.error.issues));
    const request = parsed.data;
    const number = normalizeMsisdn(request.to);
    if (!number.ok) return errorResponse(c, 'bad_request', `to: ${number.reason}`);
    const stored = await deps.preferences.getLanguage(number.e164);
    const language = request.language ?? (stored === 'en' ? 'en' : 'fr');
    try {
      const { message, created } = await deps.dispatcher.send({
        to: number.e164,
        text: renderSms(request.template, language, request.params),
        idempotencyKey: `${agency}:${request.idempotencyKey}`,
        purpose: `notification:${request.template}`,
        requestedBy: agency,
      });
      return c.json(view(message), created ? 202 : 200);
    } catch (error) {
      if (error instanceof PermanentSmsError) return errorResponse(c, 'bad_request', error.message);
      // Refused whole rather than cut downstream and reported delivered.
      if (error instanceof SmsTooLongError) return errorResponse(c, 'too_long', error.message, { details: { segments: error.segments, maxSegments: error.maxSegments } });
      throw error;
    }
  });

  app.get('/v1/notifications/:id', async (c) => {
    // A GET has no body: `t.body` would be the same for every id. Its signature covers the method
    // and path, so a captured one reads that one notification only, for 5 minutes.
    const agency = await authenticate(c, deps.agencies, getSignedPayload(c.req.path));
    if (!agency) return errorResponse(c, 'unauthorized', 'missing or wrong API key or signature');
    const message = await deps.store.get(c.req.param('id'));
    // Another agency's message is as unknown as a missing one.
    if (!message || message.requestedBy !== agency) return errorResponse(c, 'not_found', 'no such notification');
    return c.json(view(message));
  });
}

function view(message: Awaited<ReturnType<MessageStore['get']>> & object) {
  return {
    id: message.id,
    to: maskMsisdn(message.to),
    status: message.status,
    route: message.route,
    encoding: message.encoding,
    segments: message.segments,
    createdAt: message.createdAt,
    updatedAt: message.updatedAt,
    history: message.history.map((h) => ({ at: h.at, ...(h.status ? { status: h.status } : {}), detail: h.detail })),
  };
}

/** What a GET's signature covers after `t.`: `GET.<path>.` (the path as sent, the body empty). */
export function getSignedPayload(path: string): string {
  return `GET.${path}.`;
}

/** `signed` is what the signature covers after `t.`: the raw body (POST) or `getSignedPayload` (GET). */
async function authenticate(c: Context, agencies: Readonly<Record<string, AgencyCredentials>>, signed: string): Promise<string | null> {
  const apiKey = c.req.header('x-api-key');
  const signature = c.req.header('x-guichet-signature');
  for (const [agency, credentials] of Object.entries(agencies)) {
    if (apiKey !== undefined && credentials.apiKey !== undefined && (await secretsMatch(apiKey, credentials.apiKey))) return agency;
    if (signature !== undefined && credentials.hmacSecret !== undefined && c.req.header('x-agency') === agency) {
      if (await signatureValid(signature, credentials.hmacSecret, signed)) return agency;
    }
  }
  return null;
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
