import type { ParseResult, RawRequest } from './port.js';

/** The JSON object of a JSON dialect's request, or the refusal a dialect returns as it is. */
export function readJsonObject(request: RawRequest): { ok: true; body: Record<string, unknown> } | Extract<ParseResult, { kind: 'reject' }> {
  if (request.contentType.split(';')[0]?.trim().toLowerCase() !== 'application/json') {
    return { ok: false, kind: 'reject', status: 415, reason: 'expected application/json' };
  }
  let body: unknown;
  try {
    body = JSON.parse(request.body);
  } catch {
    return { ok: false, kind: 'reject', status: 400, reason: 'body is not valid JSON' };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, kind: 'reject', status: 400, reason: 'body must be a JSON object' };
  return { ok: true, body: body as Record<string, unknown> };
}

/** A field as text: aggregators send numbers and booleans as strings and the other way round. */
export function textField(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

export function json(body: unknown): { contentType: string; body: string } {
  return { contentType: 'application/json', body: JSON.stringify(body) };
}
