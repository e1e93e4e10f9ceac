import type { Context, Hono } from 'hono';
import { AT_DLR_STATUSES } from '../../../providers/africastalking/sms.js';
import { KANNEL_DLR_TYPES } from '../../../providers/kannel/sms.js';
import type { Logger } from '../../observability/logger.js';
import { recordDeliveryReport } from '../../sms/delivery-reports.js';
import { handleInboundSms, type InboundDeps } from '../../sms/inbound.js';
import type { MessageStore } from '../../sms/message-store.js';

export interface SmsRouteDeps extends InboundDeps {
  store: MessageStore;
  logger: Logger;
}

/**
 * Callbacks from the SMS routes: inbound messages and delivery reports, for Africa's Talking (form
 * POSTs) and Kannel (`get-url` and `dlr-url`, GET with query parameters). Each answers 200 quickly
 * with an empty body: Kannel would send any body back to the citizen as a reply.
 */
export function registerSmsRoutes(app: Hono, deps: SmsRouteDeps): void {
  const form = async (c: Context) => new URLSearchParams(await c.req.text());

  app.post('/sms/africastalking/inbound', async (c) => {
    const f = await form(c);
    const [from, text, id] = [f.get('from'), f.get('text'), f.get('id')];
    if (!from || text === null || !id) return c.json({ error: 'bad_request', reason: 'from, text and id are required' }, 400);
    await handleInboundSms(deps, { route: 'africastalking', id, from, text });
    return c.body(null, 200);
  });

  app.post('/sms/africastalking/dlr', async (c) => {
    const f = await form(c);
    const [id, status] = [f.get('id'), f.get('status')];
    if (!id || !status) return c.json({ error: 'bad_request', reason: 'id and status are required' }, 400);
    const failure = f.get('failureReason');
    await recordDeliveryReport(deps.store, { route: 'africastalking', providerMessageId: id, status: AT_DLR_STATUSES[status], raw: failure ? `${status} (${failure})` : status }, deps.logger);
    return c.body(null, 200);
  });

  app.get('/sms/kannel/inbound', async (c) => {
    const [from, text, id] = [c.req.query('from'), c.req.query('text'), c.req.query('id')];
    if (!from || text === undefined || !id) return c.json({ error: 'bad_request', reason: 'from, text and id are required' }, 400);
    await handleInboundSms(deps, { route: 'kannel', id, from, text });
    return c.body('', 200);
  });

  app.get('/sms/kannel/dlr', async (c) => {
    const [id, type] = [c.req.query('id'), c.req.query('type')];
    if (!id || !type) return c.json({ error: 'bad_request', reason: 'id and type are required' }, 400);
    await recordDeliveryReport(deps.store, { route: 'kannel', messageId: id, status: KANNEL_DLR_TYPES[type], raw: `type ${type} ${c.req.query('reply') ?? ''}`.trim() }, deps.logger);
    return c.body('', 200);
  });
}
