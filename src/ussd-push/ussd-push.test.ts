import { Hono } from 'hono';
import smpp from 'smpp';
import type { Pdu } from 'smpp';
import { ERROR_EXAMPLE, OUTBOUND_RESPONSE_EXAMPLE } from '../../providers/mtn-madapi/fixtures.js';
import { createMadapiPushRoute } from '../../providers/mtn-madapi/push.js';
import { USSN_OP } from '../../providers/smpp-ussd/push.js';
import { messageText } from '../runtime/node/smpp/message-text.js';
import { createSmppUssdPushRoute } from '../runtime/node/smpp/smpp-ussd-push.js';
import { serveOnLoopback } from '../../testkit/loopback-server.js';
import { boundSmppLink } from '../../testkit/smsc.js';
import { ussdPushRouteConformance, type PeerBehaviour } from './conformance.js';

// The SMPP route against a loopback SMSC: confirm = a deliver_sm with ussd_service_op 19 from the
// handset; refuse = an error submit_sm_resp; take-silently = accepted, no confirm (time-out injected);
// down = a link whose SMSC stopped.
ussdPushRouteConformance('SMPP link (loopback SMSC)', async () => {
  const bound = await boundSmppLink({ responseTimeoutMs: 1000, reconnectInitialMs: 60_000 });
  const route = createSmppUssdPushRoute('smpp-mtn', bound.link, { from: '123', confirmTimeoutMs: 300 });
  let closed = false;
  return {
    route,
    behave(behaviour: PeerBehaviour) {
      bound.smsc.refuseWith = behaviour === 'refuse' ? smpp.ESME_RSYSERR : undefined;
      bound.smsc.onAccepted =
        behaviour === 'confirm'
          ? (pdu: Pdu) => bound.smsc.deliverSm({ service_type: 'USSD', source_addr: pdu.destination_addr, destination_addr: pdu.source_addr, short_message: '', data_coding: 0, ussd_service_op: USSN_OP.CONFIRM })
          : undefined;
      if (behaviour === 'down') bound.smsc.dropLink();
    },
    received: () => bound.smsc.submitsReceived.map((pdu) => ({ to: `+${String(pdu.destination_addr)}`, text: messageText(pdu.short_message) })),
    async close() {
      if (closed) return;
      closed = true;
      await bound.close();
    },
  };
});

// MADAPI against a loopback server answering the swagger's samples (api-evangelist/mtn-group
// openapi/_original/mtn-group-ussd.yml): confirm = 201 OutboundResponse; refuse = 400 Error;
// take-silently = an answer that never comes (the route's time-out); down = nothing listening.
ussdPushRouteConformance('MTN MADAPI outbound USSD (loopback server)', async () => {
  let behaviour: PeerBehaviour = 'confirm';
  const received: { to: string; text: string }[] = [];
  const app = new Hono().post('/v1/messages/ussd/outbound', async (c) => {
    const body = (await c.req.json()) as { msisdn: string; ussdString: string };
    received.push({ to: `+${body.msisdn}`, text: body.ussdString });
    if (behaviour === 'refuse') return c.json(ERROR_EXAMPLE, 400);
    if (behaviour === 'take-silently') await new Promise((resolve) => setTimeout(resolve, 1500));
    return c.json(OUTBOUND_RESPONSE_EXAMPLE, 201);
  });
  const server = await serveOnLoopback(app);
  const live = createMadapiPushRoute({ baseUrl: `${server.baseUrl}/v1`, apiKey: 'k', serviceCode: '123', timeoutMs: 500 });
  const down = createMadapiPushRoute({ baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'k', serviceCode: '123', timeoutMs: 500 });
  return {
    route: { name: 'mtn-madapi', push: (request) => (behaviour === 'down' ? down : live).push(request) },
    behave: (next: PeerBehaviour) => void (behaviour = next),
    received: () => received,
    close: () => server.close(),
  };
});
