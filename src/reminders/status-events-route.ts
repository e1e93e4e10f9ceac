import type { Hono } from 'hono';
import { z } from 'zod';
import { REQUEST_ID_HEADER, audited, noteAudit } from '../audit/audited.js';
import type { AuditLog } from '../audit/port.js';
import { AGENCY_SECURITY, type AgencyCredentials } from '../channels/sms/notifications.js';
import { readAgencyRequest } from '../channels/agency-request.js';
import { LANGUAGES } from '../engine/schema.js';
import { errorResponse } from '../http/errors.js';
import { describeRoutes, jsonBody, type RouteDescriptor } from '../http/route-descriptor.js';
import { normalizeMsisdn } from '../lib/msisdn.js';
import { silentLogger, type Logger } from '../observability/logger.js';
import type { ReminderService } from './reminders.js';
import { AGENCY_STATUSES, TRACKED_STATUSES } from './rules.js';

export interface StatusEventDeps {
  reminders: ReminderService;
  /** The notification API's agencies and credentials (`NOTIFY_API_KEYS`, `NOTIFY_HMAC_SECRETS`). */
  agencies: Readonly<Record<string, AgencyCredentials>>;
  audit?: AuditLog;
  logger?: Logger;
  now?: () => number;
}

/**
 * A request number as agencies write it (`PS00373-240001`): upper-case letters, digits and inner
 * hyphens. Checked before it names a key: no `{`, `}` or `:` can reach the store.
 */
export const REQUEST_NUMBER = /^[A-Z0-9](?:[A-Z0-9-]{2,30})[A-Z0-9]$/;

/** A report dated further ahead of our clock than this is refused: a wrong clock, not a status. */
const MAX_CLOCK_AHEAD_MS = 5 * 60_000;

/** What an agency posts to `/v1/requests/status-events`. */
export const StatusEventRequest = z.strictObject({
  requestNumber: z.string().regex(REQUEST_NUMBER, 'upper-case letters, digits and hyphens, 4 to 32').describe('The request, as the portal numbers it.'),
  status: z.enum(AGENCY_STATUSES).describe('Its new status; `collected` once the citizen took the document.'),
  at: z.iso.datetime({ offset: true }).describe('When the status changed at the agency: reminders count from here.'),
  to: z.string().min(8).max(20).describe('Who is reminded: the request’s holder’s Benin number, in any usual spelling.'),
  language: z.enum(LANGUAGES).optional().describe('Default: the language the citizen chose, else French.'),
  idempotencyKey: z.string().min(8).max(128).describe('The same key for the same request is the same report: a retry changes nothing and answers 200.'),
});

/** What the API answers: the request as reminders know it, and what was scheduled. Never the number. */
export const StatusEventView = z.object({
  requestNumber: z.string(),
  status: z.enum(TRACKED_STATUSES).describe('The request’s status now (a stale report leaves the newer one).'),
  since: z.iso.datetime().describe('When the request entered that status.'),
  outcome: z.enum(['changed', 'unchanged', 'stale', 'duplicate']).describe('changed: a new status (the previous status’s reminders are cancelled); unchanged: the status it already had; stale: older than the latest report, ignored; duplicate: this idempotencyKey was seen before.'),
  reminders: z.array(z.object({ rule: z.string(), at: z.iso.datetime() })).describe('Reminders this report scheduled, each with its instant (quiet hours applied).'),
});
export type StatusEventView = z.infer<typeof StatusEventView>;

/**
 * `POST /v1/requests/status-events`: an agency tells Guichet that one of its requests changed
 * status; its reminders (`menus/reminders/<agency>.yaml`) follow from it. Authenticated as the
 * notification API; each agency sees and changes only its own requests.
 */
export function registerStatusEventRoutes(app: Hono, deps: StatusEventDeps): void {
  const audit = audited({ audit: deps.audit, logger: deps.logger ?? silentLogger });
  const now = deps.now ?? Date.now;
  describeRoutes(app, ...statusEventRoutes);

  app.post('/v1/requests/status-events', audit, async (c) => {
    const read = await readAgencyRequest(c, deps.agencies, StatusEventRequest);
    if (!read.ok) return read.response;
    const { agency, data: report } = read;
    // The request number is what the call is about; it passed its pattern, so it can go in an entry.
    noteAudit(c, { target: report.requestNumber });
    const number = normalizeMsisdn(report.to);
    if (!number.ok) return errorResponse(c, 'bad_request', `to: ${number.reason}`);
    const atMs = Date.parse(report.at);
    if (atMs > now() + MAX_CLOCK_AHEAD_MS) return errorResponse(c, 'bad_request', 'at: in the future (check the sender’s clock)');
    const recorded = await deps.reminders.report({
      agency,
      requestNumber: report.requestNumber,
      status: report.status,
      atMs,
      to: number.e164,
      ...(report.language ? { language: report.language } : {}),
      idempotencyKey: report.idempotencyKey,
    });
    const view: StatusEventView = {
      requestNumber: recorded.state.requestNumber,
      status: recorded.state.status,
      since: new Date(recorded.state.sinceMs).toISOString(),
      outcome: recorded.outcome,
      reminders: recorded.scheduled.map((s) => ({ rule: s.ruleId, at: new Date(s.fireAtMs).toISOString() })),
    };
    return c.json(view, recorded.outcome === 'changed' ? 202 : 200);
  });
}

const readyExample: StatusEventView = {
  requestNumber: 'PS00373-240001',
  status: 'ready',
  since: '2026-03-02T14:00:00.000Z',
  outcome: 'changed',
  reminders: [{ rule: 'ready-not-collected', at: '2026-03-09T14:00:00.000Z' }],
};

/** The status-event API as the OpenAPI document shows it. */
export const statusEventRoutes: readonly RouteDescriptor[] = [
  {
    method: 'POST',
    path: '/v1/requests/status-events',
    operationId: 'reportRequestStatus',
    tag: 'notifications',
    summary: 'Tell Guichet a request changed status (reminders follow)',
    description:
      'Records the request’s new status and schedules the agency’s reminders for it (menus/reminders/<agency>.yaml), each at its delay after `at`, moved out of 21:00–07:00 Benin time; the previous status’s reminders are cancelled. A reminder is sent only if the request is still in that status when it falls due, the number has not sent STOP and has not had its share of reminders. The same idempotencyKey again, the status it already has, or a report older than the latest answer 200 and change nothing.',
    security: AGENCY_SECURITY,
    request: {
      body: jsonBody(StatusEventRequest, {
        ready: {
          summary: 'A request ready to collect',
          value: { requestNumber: 'PS00373-240001', status: 'ready', at: '2026-03-02T15:00:00+01:00', to: '+2290197000001', idempotencyKey: 'portail-PS00373-240001-ready' },
        },
        infoRequestedInEnglish: {
          summary: 'More information requested, in English',
          value: { requestNumber: 'PS00150-240004', status: 'info_requested', at: '2026-03-02T10:30:00+01:00', to: '0197000001', language: 'en', idempotencyKey: 'portail-PS00150-240004-info' },
        },
      }),
    },
    responses: {
      202: { description: 'A new status: recorded, its reminders scheduled.', body: jsonBody(StatusEventView, { ready: { summary: 'Ready, one reminder scheduled', value: readyExample } }), headers: REQUEST_ID_HEADER },
      200: {
        description: 'Nothing new: a duplicate, the status it already had, or a stale report.',
        body: jsonBody(StatusEventView, { duplicate: { summary: 'The same report again', value: { ...readyExample, outcome: 'duplicate', reminders: [] } } }),
        headers: REQUEST_ID_HEADER,
      },
    },
    errors: ['bad_request', 'unauthorized', 'payload_too_large', 'unavailable'],
    audited: true,
  },
];
