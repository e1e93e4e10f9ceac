import type { Hono } from 'hono';
import { z } from 'zod';
import { REQUEST_ID_HEADER, audited } from '../audit/audited.js';
import type { AuditLog } from '../audit/port.js';
import { AGENCY_SECURITY, type AgencyCredentials } from '../channels/sms/notifications.js';
import { readAgencyRequest } from '../channels/agency-request.js';
import { errorResponse } from '../http/errors.js';
import { describeRoutes, jsonBody, type RouteDescriptor } from '../http/route-descriptor.js';
import { normalizeMsisdn } from '../lib/msisdn.js';
import { silentLogger, type Logger } from '../observability/logger.js';
import { toJsonLines, verifyChain, type ChainVerdict } from './chain.js';
import type { AccessLogStore } from './port.js';
import { accessLogHolderKey } from './recorder.js';

export interface AccessLogExportDeps {
  store: AccessLogStore;
  /** The notification API's agencies and credentials (`NOTIFY_API_KEYS`, `NOTIFY_HMAC_SECRETS`). */
  agencies: Readonly<Record<string, AgencyCredentials>>;
  /** `ACCESS_LOG_EXPORT_AGENCIES`: which of them may export a holder's log; the others get 403. */
  exportAgencies: readonly string[];
  /** `PII_HASH_KEY`, as the recorder keys holders with. */
  piiHashKey: string;
  audit?: AuditLog;
  logger?: Logger;
}

/** What an agency posts to `/v1/access-log/export`: the holder, in the body so no number sits in a URL or a proxy's log. */
export const AccessLogExportRequest = z.strictObject({
  holder: z.string().min(8).max(20).describe('The holder’s Benin number (the one their requests were filed with), in any usual spelling.'),
});

/**
 * The chain's verdict in headers, the entries as the body: the body stays the exact JSON-lines
 * file `guichet access-log verify` reads. `ok`, or `broken; index=<0-based line>; reason=<why>`.
 */
export function chainHeaders(verdict: ChainVerdict, entries: number): Record<string, string> {
  return { 'x-access-log-chain': verdict.ok ? 'ok' : `broken; index=${verdict.index}; reason=${verdict.reason}`, 'x-access-log-entries': String(entries) };
}

/**
 * `POST /v1/access-log/export`: a holder's whole kept access log as JSON lines, oldest first, with
 * the chain's verification. Authenticated as the notification API, and only for the agencies
 * `ACCESS_LOG_EXPORT_AGENCIES` names (the data-protection authority, a court clerk): a log says
 * who looked at a citizen's file, it is not for every agency that sends SMS. Audited.
 */
export function registerAccessLogExportRoute(app: Hono, deps: AccessLogExportDeps): void {
  const audit = audited({ audit: deps.audit, logger: deps.logger ?? silentLogger });
  describeRoutes(app, ...accessLogRoutes);

  app.post('/v1/access-log/export', audit, async (c) => {
    const read = await readAgencyRequest(c, deps.agencies, AccessLogExportRequest, {
      agencies: deps.exportAgencies,
      reason: 'this agency may not export access logs (ACCESS_LOG_EXPORT_AGENCIES)',
    });
    if (!read.ok) return read.response;
    const { data: request } = read;
    const number = normalizeMsisdn(request.holder);
    if (!number.ok) return errorResponse(c, 'bad_request', `holder: ${number.reason}`);
    const entries = await deps.store.list(await accessLogHolderKey(deps.piiHashKey, number.e164));
    const verdict = await verifyChain(entries);
    return c.body(toJsonLines(entries), 200, { 'content-type': 'application/x-ndjson; charset=utf-8', ...chainHeaders(verdict, entries.length) });
  });
}

/** Two real entries chained by `chainEntry` (test/access-log-export.test.ts verifies them): a body as sent. */
export const EXAMPLE_LINES = [
  '{"channel":"ussd","caller":"+2290197****01","agency":"PS00373","at":"2026-12-03T14:05:11.204Z","subject":"PS00373-240001","seq":1,"prev":"0000000000000000000000000000000000000000000000000000000000000000","hash":"0eac4958e5d61ccbf1b64956b6ed93e0251b42f73e58214a130f2be73639d04e"}',
  '{"channel":"sms","caller":"+2290166****02","agency":"PS00373","at":"2026-12-03T15:40:02.918Z","subject":"PS00373-240002","seq":2,"prev":"0eac4958e5d61ccbf1b64956b6ed93e0251b42f73e58214a130f2be73639d04e","hash":"7943ba5da25fd0beba18900bb79ad7c8fd8955907c6bdac68073e7a4850605c1"}',
  '',
].join('\n');

/** The export as the OpenAPI document shows it. */
export const accessLogRoutes: readonly RouteDescriptor[] = [
  {
    method: 'POST',
    path: '/v1/access-log/export',
    operationId: 'exportAccessLog',
    tag: 'access-log',
    summary: 'Who looked at a citizen’s file: their access log as JSON lines, with the chain verified',
    description:
      'Every lookup of the holder’s requests through Guichet (USSD, SMS), oldest first, one JSON object per line with its hash chain (seq, prev, hash: SHA-256). x-access-log-chain says whether the chain verifies: ok, or broken with the first bad line (0-based) and why (entry edited, broken link, sequence gap or reorder, bad first link). Only agencies named in ACCESS_LOG_EXPORT_AGENCIES (403 otherwise). An unknown holder is an empty log, not a 404: whether someone has requests is not told.',
    security: AGENCY_SECURITY,
    request: { body: jsonBody(AccessLogExportRequest, { holder: { summary: 'A holder, by the number their requests were filed with', value: { holder: '+2290197000001' } } }) },
    responses: {
      200: {
        description: 'The kept entries (at most 200 per holder, a year), oldest first.',
        body: { contentType: 'application/x-ndjson', schema: z.string(), examples: { twoLookups: { summary: 'Two lookups, the second by another number', value: EXAMPLE_LINES } } },
        headers: {
          ...REQUEST_ID_HEADER,
          'x-access-log-chain': { description: 'ok, or broken; index=<0-based line>; reason=<why>.', schema: z.string().regex(/^(ok|broken; index=\d+; reason=[a-z ]+)$/) },
          'x-access-log-entries': { description: 'How many lines the body has.', schema: z.string().regex(/^\d+$/) },
        },
      },
    },
    errors: ['bad_request', 'unauthorized', 'forbidden', 'payload_too_large', 'unavailable'],
    audited: true,
  },
];
