import type { Hono } from 'hono';
import { z } from 'zod';
import { REQUEST_ID_HEADER, audited, noteAudit } from '../../audit/audited.js';
import type { AuditLog } from '../../audit/port.js';
import { LANGUAGES } from '../../engine/schema.js';
import { errorResponse, validationReason } from '../../http/errors.js';
import { describeRoutes, jsonBody, type RouteDescriptor } from '../../http/route-descriptor.js';
import { normalizeMsisdn } from '../../lib/msisdn.js';
import { silentLogger, type Logger } from '../../observability/logger.js';
import { csvRow } from '../../payments/csv.js';
import { MONTH_PATTERN, SURVEY_ID_PATTERN, SURVEY_RATINGS, type SurveyResultRow, type SurveyStore } from '../../surveys/port.js';
import { surveyMonth, type SurveyService } from '../../surveys/survey-service.js';
import { SmsTooLongError } from '../../sms/port.js';
import { AGENCY_SECURITY, authenticate, getSignedPayload, type AgencyCredentials } from '../sms/notifications.js';
import { readAgencyRequest } from '../agency-request.js';

export interface SurveyRouteDeps {
  surveys: SurveyService;
  store: SurveyStore;
  agencies: Readonly<Record<string, AgencyCredentials>>;
  audit?: AuditLog;
  logger?: Logger;
  now?: () => number;
}

const SurveyId = z.string().regex(SURVEY_ID_PATTERN, 'letters, digits, . _ - only, at most 64');

/** What an agency posts to `/v1/surveys` once a citizen has collected a request. */
export const SurveyRequest = z.strictObject({
  to: z.string().min(8).max(20).describe('The citizen’s Benin number, in any usual spelling (+229…, 229…, 01…).'),
  service: SurveyId.describe('The service the survey is about (the portal’s code, PS00373 …): results are counted under it.'),
  ccsp: SurveyId.optional().describe('The CCSP (citizens’ service centre) where the request was collected; results are counted under it ("-" when absent).'),
  language: z.enum(LANGUAGES).optional().describe('Default: the language the citizen chose, else French.'),
  idempotencyKey: z.string().min(8).max(128).describe('The same key from the same agency asks once: a retry answers the first survey (200).'),
});

export const SurveySent = z.object({
  status: z.enum(['sent', 'not_sent']).describe('sent: the question is on its way and waits for the answer; not_sent: see reason.'),
  reason: z.enum(['recently_surveyed', 'opted_out']).optional().describe('recently_surveyed: this number had a survey within the last 7 days (from any agency); opted_out: the citizen sent STOP.'),
  messageId: z.string().optional().describe('The SMS carrying the question.'),
});
type SurveySent = z.infer<typeof SurveySent>;

const ResultsQuery = z.strictObject({
  month: z.string().regex(MONTH_PATTERN, 'YYYY-MM').optional().describe('YYYY-MM, Benin time; default: this month.'),
  format: z.enum(['json', 'csv']).default('json').describe('json (default) or csv.'),
});

const ResultRow = z.object({
  month: z.string(),
  agency: z.string(),
  service: z.string(),
  ccsp: z.string(),
  ratings: z.object({ 1: z.number().int(), 2: z.number().int(), 3: z.number().int(), 4: z.number().int(), 5: z.number().int() }).describe('Answers per rating.'),
  answers: z.number().int(),
  mean: z.number().nullable().describe('Mean rating, two decimals.'),
  words: z.record(z.string(), z.number().int()).describe('The words citizens added, with how many times each.'),
});
export const SurveyResults = z.object({ month: z.string(), agency: z.string(), rows: z.array(ResultRow) });

export const RESULTS_CSV_HEADER = 'month,agency,service,ccsp,rating_1,rating_2,rating_3,rating_4,rating_5,answers,mean,words';

/** One line per row; words as `word:count` separated by spaces, most frequent first. */
export function resultsCsv(rows: readonly SurveyResultRow[]): string {
  const lines = [RESULTS_CSV_HEADER];
  for (const row of rows) {
    const words = Object.entries(row.words).sort(([a, x], [b, y]) => y - x || a.localeCompare(b)).map(([word, count]) => `${word}:${count}`).join(' ');
    lines.push(csvRow([row.month, row.agency, row.service, row.ccsp, ...SURVEY_RATINGS.map((r) => row.ratings[`${r}`]), row.answers, row.mean === null ? '' : row.mean.toFixed(2), words]));
  }
  return lines.join('\n') + '\n';
}

/**
 * `POST /v1/surveys` (ask a citizen for a rating) and `GET /v1/surveys/results` (the agency's own
 * anonymous tallies). Same agency credentials as the notification API.
 */
export function registerSurveyRoutes(app: Hono, deps: SurveyRouteDeps): void {
  const audit = audited({ audit: deps.audit, logger: deps.logger ?? silentLogger });
  const now = deps.now ?? Date.now;
  describeRoutes(app, ...surveyRoutes);

  app.post('/v1/surveys', audit, async (c) => {
    const read = await readAgencyRequest(c, deps.agencies, SurveyRequest);
    if (!read.ok) return read.response;
    const { agency, data: request } = read;
    const number = normalizeMsisdn(request.to);
    if (!number.ok) return errorResponse(c, 'bad_request', `to: ${number.reason}`);
    try {
      const result = await deps.surveys.offer({
        to: number.e164,
        agency,
        service: request.service,
        ccsp: request.ccsp ?? '-',
        ...(request.language ? { language: request.language } : {}),
        offerKey: `${agency}:${request.idempotencyKey}`,
      });
      const answer: SurveySent = result.status === 'sent' ? { status: 'sent', messageId: result.messageId } : { status: 'not_sent', reason: result.reason };
      return c.json(answer, result.status === 'sent' && !result.replay ? 202 : 200);
    } catch (error) {
      // Our own question is one segment in both languages; a longer one is a bug in the templates, not the agency's fault.
      if (error instanceof SmsTooLongError) return errorResponse(c, 'unavailable', 'survey question not sendable');
      throw error;
    }
  });

  app.get('/v1/surveys/results', audit, async (c) => {
    const agency = await authenticate(c, deps.agencies, getSignedPayload(c.req.path));
    if (!agency) return errorResponse(c, 'unauthorized', 'missing or wrong API key or signature');
    noteAudit(c, { agency });
    const query = ResultsQuery.safeParse(c.req.query());
    if (!query.success) return errorResponse(c, 'bad_request', validationReason(query.error.issues));
    const month = query.data.month ?? surveyMonth(now());
    noteAudit(c, { target: month });
    // An agency sees the services it surveyed, never another agency's.
    const rows = (await deps.store.results(month)).filter((row) => row.agency === agency);
    if (query.data.format === 'csv') {
      return c.body(resultsCsv(rows), 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="guichet-surveys-${agency}-${month}.csv"` });
    }
    return c.json({ month, agency, rows });
  });
}

const resultsExample: z.infer<typeof SurveyResults> = {
  month: '2026-12',
  agency: 'anip',
  rows: [{ month: '2026-12', agency: 'anip', service: 'PS00200', ccsp: 'CCSP-COTONOU-1', ratings: { 1: 0, 2: 1, 3: 0, 4: 3, 5: 6 }, answers: 10, mean: 4.4, words: { merci: 4, lent: 1 } }],
};

/** The survey API as the OpenAPI document shows it. */
export const surveyRoutes: readonly RouteDescriptor[] = [
  {
    method: 'POST',
    path: '/v1/surveys',
    operationId: 'sendSurvey',
    tag: 'surveys',
    summary: 'Ask a citizen to rate a service, by SMS',
    description:
      'Sends one SMS asking for a 1–5 rating (and a word if they like), in the citizen’s language. Their reply is counted under this agency, the service, the CCSP and the month, never under their number. A number is asked at most once in 7 days, whichever agency asks, and never after STOP. The same idempotencyKey from the same agency answers the first survey again (200).',
    security: AGENCY_SECURITY,
    request: {
      body: jsonBody(SurveyRequest, {
        collected: { summary: 'A passport collected at a CCSP', value: { to: '+2290197000001', service: 'PS00200', ccsp: 'CCSP-COTONOU-1', idempotencyKey: 'anip-PS00200-240005-survey' } },
      }),
    },
    responses: {
      202: { description: 'Sent: the question is queued and waits for the answer.', body: jsonBody(SurveySent, { sent: { summary: 'Sent', value: { status: 'sent', messageId: '6f1c2b7e-3d4a-4c5b-9e8f-0a1b2c3d4e5f' } } }), headers: REQUEST_ID_HEADER },
      200: {
        description: 'Not sent (recently surveyed, opted out), or the same idempotencyKey again.',
        body: jsonBody(SurveySent, { recent: { summary: 'Asked within the week', value: { status: 'not_sent', reason: 'recently_surveyed' } } }),
        headers: REQUEST_ID_HEADER,
      },
    },
    errors: ['bad_request', 'unauthorized', 'payload_too_large', 'unavailable'],
    audited: true,
  },
  {
    method: 'GET',
    path: '/v1/surveys/results',
    operationId: 'getSurveyResults',
    tag: 'surveys',
    summary: 'Read the survey results of a month',
    description: 'Per service and CCSP: answers per rating, their number, the mean and the words given. Only the calling agency’s own services; nothing identifies a citizen.',
    security: AGENCY_SECURITY,
    request: { query: ResultsQuery },
    responses: {
      200: {
        description: 'The month’s rows (JSON), or the same as CSV with format=csv.',
        body: jsonBody(SurveyResults, { month: { summary: 'One service at one CCSP', value: resultsExample } }),
        headers: REQUEST_ID_HEADER,
      },
    },
    errors: ['bad_request', 'unauthorized', 'unavailable'],
    audited: true,
  },
];
