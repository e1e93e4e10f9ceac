import type { ParseResult, RawRequest, UssdDialect } from '../../src/channels/ussd/port.js';
import { dialledString } from '../../src/channels/ussd/dial-string.js';
import { buildHop } from '../../src/channels/ussd/hop-builder.js';
import { json, readJsonObject, textField } from '../../src/channels/ussd/json-body.js';
import { arkeselUssdWire } from './openapi.js';

/**
 * Arkesel USSD (JSON). `newSession: true` opens (then `userData` is the dialled string), later
 * requests carry the latest input in `userData`. No end notification.
 *
 * Request: `{sessionID, userID, newSession, msisdn, userData, network}`.
 * Answer: `{sessionID, userID, msisdn, message, continueSession}`.
 */
export const arkeselUssd: UssdDialect = {
  name: 'arkesel',
  defaultScreenLimit: 160,
  wire: arkeselUssdWire,

  parse(request: RawRequest): ParseResult {
    const read = readJsonObject(request);
    if (!read.ok) return read;
    const body = read.body;
    const newSession = body.newSession;
    if (typeof newSession !== 'boolean') return { ok: false, kind: 'reject', status: 400, reason: 'newSession must be a boolean' };
    const userData = textField(body, 'userData') ?? '';
    const sessionId = textField(body, 'sessionID');
    const msisdn = textField(body, 'msisdn');
    return buildHop({
      sessionId,
      phoneNumber: msisdn,
      serviceCode: newSession ? dialledString(userData, undefined) : undefined,
      input: { kind: 'latest', text: newSession ? '' : userData },
      isBegin: newSession,
      network: textField(body, 'network'),
      echo: { sessionID: sessionId ?? '', userID: textField(body, 'userID') ?? '', msisdn: msisdn ?? '' },
      wireNames: { sessionId: 'sessionID', serviceCode: 'userData (dialled string)', phoneNumber: 'msisdn' },
    });
  },

  render(screen, hop) {
    return json({
      sessionID: hop?.echo?.sessionID ?? '',
      userID: hop?.echo?.userID ?? '',
      msisdn: hop?.echo?.msisdn ?? '',
      message: screen.text,
      continueSession: !screen.end,
    });
  },
};
