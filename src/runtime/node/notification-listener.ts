import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { writeAuditEntry, type AuditDeps, type AuditNote } from '../../audit/audited.js';
import type { CallHeaders, NotificationHttp } from '../../channels/sms/notifications.js';
import { bodyWithinLimit, errorJson, headerOf, jsonAnswer, writeAnswer, type DirectAnswer } from './direct-answer.js';

export interface NotificationListenerOptions {
  /** `MAX_BODY_BYTES` of the app: a larger body is refused (413) as the app's body limit does. */
  maxBodyBytes: number;
  /** The audit log and logger the app's `audited` middleware writes with. */
  audit: AuditDeps;
}

/** The route's pattern, as `audited` names the action of its entries. */
const ACTION = 'POST /v1/notifications';

/** The path Hono routes to the POST route as it is; anything else (a trailing slash, an escape) is Hono's to answer. */
function isNotificationPath(url: string | undefined): boolean {
  if (url === undefined || !url.startsWith('/v1/notifications')) return false;
  return url.length === 17 || url.charCodeAt(17) === 0x3f; // '?'
}

/** As `c.req.text()` decodes a body: UTF-8, a leading BOM dropped, invalid bytes replaced. */
const utf8 = new TextDecoder();

/**
 * The Node server's request listener: `POST /v1/notifications` answered straight from `node:http`,
 * everything else by `fallback` (the USSD listener, then Hono). Profiling put @hono/node-server's
 * Request and Response adaptation and Hono's context and middleware at about a sixth of a
 * notification's CPU (issue 18 part 3). The answer comes from the same `NotificationHttp` the Hono
 * route calls (authentication, rate, JSON, schema, the number, opt-out, idempotency, queueing),
 * and what the app adds around it is redone here: the body limit (declared or streamed, 413), the
 * security headers, `x-request-id` and the audit entry written before the answer leaves (the same
 * `writeAuditEntry` as `audited`), and `onError`'s 503 and its log line. An agency cannot tell
 * which path answered: `test/notification-listener.test.ts` sends every request through both.
 */
export function notificationsFirst(notifications: NotificationHttp, fallback: RequestListener, options: NotificationListenerOptions): RequestListener {
  return (req, res) => {
    if (req.method !== 'POST' || !isNotificationPath(req.url)) {
      fallback(req, res);
      return;
    }
    answerNotification(req, res, notifications, options).catch((error: unknown) => {
      options.audit.logger.error({ path: '/v1/notifications', err: error instanceof Error ? error.message : String(error) }, 'unhandled error');
      writeAnswer(res, errorJson('unavailable', 'temporarily unavailable, retry later'), { 'retry-after': '5' });
    });
  };
}

async function answerNotification(req: IncomingMessage, res: ServerResponse, notifications: NotificationHttp, options: NotificationListenerOptions): Promise<void> {
  // The app's body limit runs before `audited`: a body refused for its size is not audited.
  const body = await bodyWithinLimit(req, res, options.maxBodyBytes);
  if (body === null) return;
  const requestId = crypto.randomUUID();
  const note: AuditNote = {};
  let answer: DirectAnswer;
  let extra: Readonly<Record<string, string>> | undefined;
  if (body === 'aborted') {
    // As the app's `onError` for a client that hung up: nothing was read, nothing changed.
    options.audit.logger.info({ path: '/v1/notifications' }, 'request aborted by the client');
    answer = errorJson('bad_request', 'request aborted');
  } else {
    try {
      const made = await notifications.post(new NodeCallHeaders(req), utf8.decode(body), note);
      answer = jsonAnswer(made.status, made.body);
      extra = made.headers;
    } catch (error) {
      // What the app's `onError` does with what nobody planned: logged, and a 503 with a retry hint.
      options.audit.logger.error({ path: '/v1/notifications', err: error instanceof Error ? error.message : String(error) }, 'unhandled error');
      answer = errorJson('unavailable', 'temporarily unavailable, retry later');
      extra = { 'retry-after': '5' };
    }
  }
  // As `audited`: the answer leaves once its entry is written (or its failure logged).
  await writeAuditEntry(options.audit, ACTION, note, answer.status, requestId);
  writeAnswer(res, answer, extra ? { ...extra, 'x-request-id': requestId } : { 'x-request-id': requestId });
}

/** The call's headers as `NotificationHttp` reads them. A class: no closures made per request. */
class NodeCallHeaders implements CallHeaders {
  constructor(private readonly req: IncomingMessage) {}

  header(name: string): string | undefined {
    return headerOf(this.req, name);
  }
}
