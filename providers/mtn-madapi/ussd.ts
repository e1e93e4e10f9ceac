import type { ParseResult, RawRequest, SessionEndReason, UssdDialect } from '../../src/channels/ussd/dialect.js';
import { dialledString } from '../../src/channels/ussd/dial-string.js';
import { buildHop } from '../../src/channels/ussd/hop-builder.js';
import { json, readJsonObject, textField } from '../../src/channels/ussd/json-body.js';

/**
 * MTN MADAPI USSD (JSON, operator API). `messageType`: 0 Begin (`ussdString` is what was dialled),
 * 1 Continue (`ussdString` is the latest input), 2 End, 3 Notification, 4 Cancel, 5 Timeout.
 * The answer echoes the session and carries the text with whether input is required; its exact
 * field set is inferred from public descriptions (availability in Benin is unconfirmed), so it
 * sends the text in both `ussdString` and `inboundResponse`.
 *
 * Request: `{sessionId, messageType, msisdn, serviceCode, ussdString, cellId, language, imsi}`.
 */
export const mtnMadapiUssd: UssdDialect = {
  name: 'mtn-madapi',
  defaultScreenLimit: 182,

  parse(request: RawRequest): ParseResult {
    const read = readJsonObject(request);
    if (!read.ok) return read;
    const body = read.body;
    const messageType = textField(body, 'messageType');
    const sessionId = textField(body, 'sessionId');
    const ended = messageType === undefined ? undefined : END_TYPES[messageType];
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
      sessionId: hop?.echo?.sessionId ?? '',
      messageType: screen.end ? '2' : '1',
      msisdn: hop?.echo?.msisdn ?? '',
      serviceCode: hop?.echo?.serviceCode ?? '',
      ussdString: screen.text,
      inboundResponse: screen.text,
      userInputRequired: !screen.end,
    });
  },
};

/** End (2): the network released the session before we closed it; Cancel (4): the citizen; Timeout (5): no answer in time. */
const END_TYPES: Record<string, SessionEndReason> = {
  '2': 'user_aborted',
  '4': 'user_aborted',
  '5': 'network_timeout',
};
