import type { Context, MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { z } from 'zod';
import type { Logger } from '../observability/logger.js';
import { UNKNOWN_AGENCY, type AuditLog } from './port.js';

/** What an audited route learns as it goes: whose credentials passed, and what the call is about. */
export interface AuditNote {
  agency?: string;
  target?: string;
}

declare module 'hono' {
  interface ContextVariableMap {
    /** Filled by an audited route (`noteAudit`), read by `audited` once the answer is made. */
    auditNote: AuditNote;
  }
}

export interface AuditDeps {
  audit?: AuditLog | undefined;
  logger: Logger;
}

/**
 * The middleware of an audited route: `app.post(path, audited(deps), handler)`. Once the route
 * has answered (or failed, answered by `onError`), one entry: the agency the route noted (else
 * `unknown`: refused before its credentials passed), the method and the route's pattern, the
 * target it noted, the status, and the request id, which the answer carries in `x-request-id`.
 * The answer leaves after its entry is written; an entry that cannot be written is logged as
 * such (without the entry's target) and the answer still leaves. The dashboard's guard notes
 * `ADMIN_AGENCY` once its token passed.
 */
export function audited(deps: AuditDeps): MiddlewareHandler {
  return async function auditedRoute(c, next) {
    // The pattern this middleware was registered with, which is its route's.
    const action = `${c.req.method} ${routePath(c)}`;
    const requestId = crypto.randomUUID();
    c.set('auditNote', {});
    c.header('x-request-id', requestId);
    await next();
    if (!c.res.headers.has('x-request-id')) c.res.headers.set('x-request-id', requestId);
    await writeAuditEntry(deps, action, c.get('auditNote'), c.res.status, requestId);
  };
}

/**
 * The entry of one audited call, as `audited` writes it once the answer is made: the agency noted
 * (else `unknown`), the action (`POST /v1/notifications`), the target noted, the status answered,
 * the request id the answer carries. An entry that cannot be written is logged as such (without
 * its target) and resolves: the answer still leaves. Shared with the Node runtime's notification
 * listener (`src/runtime/node/notification-listener.ts`), so both paths write the same entries.
 */
export async function writeAuditEntry(deps: AuditDeps, action: string, note: AuditNote, outcome: number, requestId: string): Promise<void> {
  if (!deps.audit) return;
  try {
    await deps.audit.record({ time: new Date().toISOString(), agency: note.agency ?? UNKNOWN_AGENCY, action, ...(note.target !== undefined ? { target: note.target } : {}), outcome, requestId });
  } catch (error) {
    deps.logger.error({ action, requestId, err: error instanceof Error ? error.message : String(error) }, 'audit entry not written');
  }
}

/** Called by an audited route as it learns who calls (once the credentials passed) and about what. */
export function noteAudit(c: Context, note: AuditNote): void {
  const current = c.get('auditNote') as AuditNote | undefined;
  // Outside `audited` (a route registered without it) there is nothing to note into.
  if (current) Object.assign(current, note);
}

/** Notification ids are ours (UUIDs): anything else a caller puts in the path is not written down. */
export function auditableId(id: string): string | undefined {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id) ? id.toLowerCase() : undefined;
}

/** How an audited route's answer names its entry, for the OpenAPI document. */
export const REQUEST_ID_HEADER = {
  'x-request-id': { description: 'The id of this call’s audit entry, to quote when asking about it.', schema: z.uuid() },
} as const;
