import type { Context, Hono } from 'hono';
import { smsCallbackEndpoints } from '../../../providers/index.js';
import type { SmsCallbackRequest } from '../../../providers/manifest.js';
import { checkSmsCallback, type SmsCallbackSettings } from './callback-auth.js';
import { errorResponse } from '../../http/errors.js';
import { africasTalkingSmsRoutes } from '../../../providers/africastalking/openapi.js';
import { kannelSmsRoutes } from '../../../providers/kannel/openapi.js';
import { describeRoutes } from '../../http/route-descriptor.js';
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
 * Callbacks from the SMS routes, as their manifests declare them (`providers/<name>/callbacks.ts`):
 * inbound messages and delivery reports. Each answers 200 quickly with an empty body. Every callback
 * is checked against its route's secret and allowlist before anything is read or changed; then the
 * provider's parser says what it carries, and it is filed under the route's name.
 */
export function registerSmsRoutes(app: Hono, routeDeps: SmsRouteDeps): void {
  const deps: SmsRouteDeps = { claims: routeDeps.store, ...routeDeps };
  describeRoutes(app, ...africasTalkingSmsRoutes, ...kannelSmsRoutes);
  for (const { route, endpoint } of smsCallbackEndpoints) {
    app.on([...endpoint.methods], endpoint.path, async (c) => {
      const refused = await checkSmsCallback(c, routeDeps.callbacks?.[route], routeDeps.clientIp);
      if (refused) return refused;
      const event = await endpoint.parse(callbackRequest(c));
      if (event.kind === 'bad_request') return errorResponse(c, 'bad_request', event.reason);
      if (event.kind === 'inbound') await handleInboundSms(deps, { route, ...event.sms });
      else await recordDeliveryReport(deps.store, { route, ...event.report }, deps.logger);
      return endpoint.okBody === undefined ? c.body(null, 200) : c.body(endpoint.okBody, 200);
    });
  }
}

function callbackRequest(c: Context): SmsCallbackRequest {
  const url = c.req.url;
  return {
    method: c.req.method === 'POST' ? 'POST' : 'GET',
    rawQuery: url.includes('?') ? url.slice(url.indexOf('?') + 1) : '',
    query: (name) => c.req.query(name),
    header: (name) => c.req.header(name),
    bytes: async () => new Uint8Array(await c.req.arrayBuffer()),
    text: () => c.req.text(),
  };
}
