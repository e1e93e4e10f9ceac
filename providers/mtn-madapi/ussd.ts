import type { ParseResult, RawRequest, SessionEndReason, UssdDialect } from '../../src/channels/ussd/port.js';
import { dialledString } from '../../src/channels/ussd/dial-string.js';
import { buildHop } from '../../src/channels/ussd/hop-builder.js';
import { json, readJsonObject, textField } from '../../src/channels/ussd/json-body.js';
import { mtnMadapiUssdWire } from './openapi.js';

/**
 * MTN MADAPI USSD (JSON, operator API; swagger: api-evangelist/mtn-group
 * `openapi/_original/mtn-group-ussd.yml`, samples in `fixtures.ts`). The USSD gateway posts an
 * `InboundRequest` `{sessionId, messageType, msisdn, serviceCode, ussdString, cellId, language,
 * imsi}`; `messageType` (a string in the swagger, an integer from some gateways: both accepted):
 * 0 Begin (`ussdString` is what was dialled), 1 Continue (the latest input), 2 End,
 * 3 Notification, 4 Cancel (abort), 5 Timeout. We answer with the `InboundResponse` envelope
 * `{statusCode, statusMessage, transactionId, data: {inboundResponse, userInputRequired,
 * messageType (integer), serviceCode, msisdn}, _link}`. Subscribing the callback URL is
 * `subscription.ts` (`guichet madapi subscribe`).
 */
export const mtnMadapiUssd: UssdDialect = {
  name: 'mtn-madapi',
  defaultScreenLimit: 182,
  wire: mtnMadapiUssdWire,

  parse(request: RawRequest): ParseResult {
    const read = readJsonObject(request);
    if (!read.ok) return read;
    const body = read.body;
    const messageType = textField(body, 'messageType');
    const sessionId = textField(body, 'sessionId');
    const ended = messageType === undefined ? undefined : END_TYPES.get(messageType);
    if (ended) {
      if (!sessionId) return { ok: false, kind: 'reject', status: 400, reason: 'missing field(s): sessionId' };
      return { ok: true, ended: { sessionId, reason: ended } };
    }
    if (messageType === '3') return { ok: true, notice: 'notification' };
    if (messageType !== '0' && messageType !== '1') {
      return { ok: false, kind: 'reject', status: 400, reason: `unknown messageType "${messageType ?? ''}"` };
    }
    const isBegin = messageType === '0';
    const ussdString = textField(body, 'ussdString') ?? '';
    const msisdn = textField(body, 'msisdn');
    const serviceCode = textField(body, 'serviceCode');
    return buildHop({
      sessionId,
      phoneNumber: msisdn,
      serviceCode: isBegin ? dialledString(ussdString, serviceCode) : undefined,
      input: { kind: 'latest', text: isBegin ? '' : ussdString },
      isBegin,
      echo: { sessionId: sessionId ?? '', msisdn: msisdn ?? '', serviceCode: serviceCode ?? '' },
      wireNames: { sessionId: 'sessionId', serviceCode: 'serviceCode', phoneNumber: 'msisdn' },
    });
  },

  render(screen, hop) {
    return json({
      statusCode: SUCCESS,
      statusMessage: '',
      // Inferred: the swagger's example is empty; the session id lets both sides trace a hop.
      transactionId: hop?.echo?.sessionId ?? '',
      data: {
        inboundResponse: screen.text,
        userInputRequired: !screen.end,
        // The response's messageType is an integer (InboundResponse.data.messageType): 1 Continue, 2 End.
        messageType: screen.end ? 2 : 1,
        serviceCode: hop?.echo?.serviceCode ?? '',
        msisdn: hop?.echo?.msisdn ?? '',
      },
      // Required by InboundResponse; its href names the resource answered (inferred).
      _link: { self: { href: '/v1/messages/ussd/inbound' } },
    });
  },
};

/** MADAPI's canonical success code (`statusCode`, 4 characters, not the HTTP status). */
const SUCCESS = '0000';

/** End (2): the network released the session before we closed it; Cancel (4): the citizen; Timeout (5): no answer in time. */
const END_TYPES: ReadonlyMap<string, SessionEndReason> = new Map([
  ['2', 'user_aborted'],
  ['4', 'user_aborted'],
  ['5', 'network_timeout'],
]);
