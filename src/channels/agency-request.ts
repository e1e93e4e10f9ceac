import type { Context } from 'hono';
import type { z } from 'zod';
import { noteAudit } from '../audit/audited.js';
import { errorResponse, validationReason } from '../http/errors.js';
import { authenticate, type AgencyCredentials } from './sms/notifications.js';

export type AgencyRequest<T> = { ok: true; agency: string; data: T } | { ok: false; response: Response };

/**
 * What every agency `POST` does before its own work, in this order: the caller authenticated on
 * the raw body (API key, or the HMAC signature over exactly those bytes), noted in the audit entry,
 * optionally checked against the agencies allowed on this route, then the body parsed as JSON and
 * checked against the route's schema. Each refusal is the error envelope's answer: 401, 403, 400.
 */
export async function readAgencyRequest<Schema extends z.ZodType>(
  c: Context,
  agencies: Readonly<Record<string, AgencyCredentials>>,
  schema: Schema,
  allowed?: { agencies: readonly string[]; reason: string },
): Promise<AgencyRequest<z.infer<Schema>>> {
  const raw = await c.req.text();
  const agency = await authenticate(c, agencies, raw);
  if (!agency) return { ok: false, response: errorResponse(c, 'unauthorized', 'missing or wrong API key or signature') };
  noteAudit(c, { agency });
  if (allowed && !allowed.agencies.includes(agency)) return { ok: false, response: errorResponse(c, 'forbidden', allowed.reason) };
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return { ok: false, response: errorResponse(c, 'bad_request', 'body is not valid JSON') };
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) return { ok: false, response: errorResponse(c, 'bad_request', validationReason(parsed.error.issues)) };
  return { ok: true, agency, data: parsed.data };
}
