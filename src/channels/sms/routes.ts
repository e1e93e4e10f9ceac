import type { Context, Hono } from 'hono';
import { checkSmsCallback, ownStatus, type SmsCallbackRoute, type SmsCallbackSettings } from './callback-auth.js';
import { errorResponse } from '../../http/errors.js';
import { AT_DLR_STATUSES } from '../../../providers/africastalking/sms.js';
import { AtDeliveryReportForm, AtInboundSmsForm, africasTalkingSmsRoutes } from '../../../providers/africastalking/openapi.js';
import { KannelDeliveryReportQuery, kannelSmsRoutes } from '../../../providers/kannel/openapi.js';
import { readForm } from '../../http/form.js';
import { describeRoutes } from '../../http/route-descriptor.js';
import { parseKannelInbound } from '../../../providers/kannel/inbound.js';
import { KANNEL_DLR_TYPES } from '../../../providers/kannel/sms.js';
import type { Logger } from '../../observability/logger.js';
import { recordDeliveryReport } from '../../sms/delivery-reports.js';
import { handleInboundSms, type InboundDeps } from '../../sms/inbound.js';
import type { MessageStore } from '../../sms/store/port.js';

export interface SmsRouteDeps extends InboundDeps {
  store: MessageStore;
  logger: Logger;
  /** Per route, the secret and/or allowlist its callbacks must show; a route absent here is open. */
  callbacks?: SmsCallbackSettings;
  /** The caller's address (behind TRUST_PROXY), for the allowlists. */
  clientIp?: (c: Context) => string | undefined;
}

/**
 * Callbacks from the SMS routes: inbound messages and delivery reports, for Africa's Talking (form
 * POSTs) and Kannel (`get-url` or `post-url`, and `dlr-url`). Each answers 200 quickly with an
 * empty body: Kannel would send any body back to the citizen as a reply. Every callback is checked
 * against its route's secret and allowlist before anything is read or changed.
 */
export function registerSmsRoutes(app: Hono, routeDeps: SmsRouteDeps): void {
  const deps: SmsRouteDeps = { claims: routeDeps.store, ...routeDeps };
  const form = async (c: Context) => new URLSearchParams(await c.req.text());
  const guard = (route: SmsCallbackRoute, c: Context) => checkSmsCallback(c, routeDeps.callbacks?.[route], routeDeps.clientIp);
  describeRoutes(app, ...africasTalkingSmsRoutes, ...kannelSmsRoutes);

  app.post('/sms/africastalking/inbound', async (c) => {
    const refused = await guard('africastalking', c);
    if (refused) return refused;
    const fields = readForm(AtInboundSmsForm, await form(c));
    if (!fields) return errorResponse(c, 'bad_request', 'from, text and id are required');
    const { from, to, text, id } = fields;
    await handleInboundSms(deps, { route: 'africastalking', id, from, text, ...(to ? { to } : {}) });
    return c.body(null, 200);
  });

  app.post('/sms/africastalking/dlr', async (c) => {
    const refused = await guard('africastalking', c);
    if (refused) return refused;
    const fields = readForm(AtDeliveryReportForm, await form(c));
    if (!fields) return errorResponse(c, 'bad_request', 'id and status are required');
    const { id, status, failureReason: failure } = fields;
    await recordDeliveryReport(deps.store, { route: 'africastalking', providerMessageId: id, status: ownStatus(AT_DLR_STATUSES, status), raw: failure ? `${status} (${failure})` : status }, deps.logger);
    return c.body(null, 200);
  });

  const kannelInbound = async (c: Context) => {
    const refused = await guard('kannel', c);
    if (refused) return refused;
    const url = c.req.url;
    const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
    const method = c.req.method === 'POST' ? 'POST' : 'GET';
    const body = method === 'POST' ? new Uint8Array(await c.req.arrayBuffer()) : new Uint8Array();
    const parsed = parseKannelInbound({ method, rawQuery: query, header: (name) => c.req.header(name), body });
    if (!parsed.ok) return errorResponse(c, 'bad_request', parsed.reason);
    await handleInboundSms(deps, { route: 'kannel', id: parsed.id, from: parsed.from, text: parsed.text, ...(parsed.to ? { to: parsed.to } : {}) });
    return c.body('', 200);
  };
  app.get('/sms/kannel/inbound', kannelInbound);
  app.post('/sms/kannel/inbound', kannelInbound);

  app.get('/sms/kannel/dlr', async (c) => {
    const refused = await guard('kannel', c);
    if (refused) return refused;
    const query = KannelDeliveryReportQuery.safeParse(c.req.query());
    if (!query.success) return errorResponse(c, 'bad_request', 'id and type are required');
    const { id, type, reply } = query.data;
    await recordDeliveryReport(deps.store, { route: 'kannel', messageId: id, status: ownStatus(KANNEL_DLR_TYPES, type), raw: `type ${type} ${reply ?? ''}`.trim() }, deps.logger);
    return c.body('', 200);
  });
}
