import type { ParseResult, RawRequest, UssdDialect } from '../../src/channels/ussd/port.js';
import { dialledString } from '../../src/channels/ussd/dial-string.js';
import { buildHop } from '../../src/channels/ussd/hop-builder.js';
import { json, readJsonObject, textField } from '../../src/channels/ussd/json-body.js';
import { naloUssdWire } from './openapi.js';

/**
 * Nalo Solutions USSD (JSON). `MSGTYPE: true` opens a session (then `USERDATA` is the dialled
 * string), `false` continues it with the latest input in `USERDATA`. Nalo sends no session id of
 * its own in every setup; a handset holds one USSD session at a time, so the phone number keys
 * the session when `SESSIONID` is absent. No end notification: the session simply expires.
 * The two kinds of key live apart (`id:<SESSIONID>`, `tel:<E.164>`), so a request cannot name a
 * phone-keyed session through `SESSIONID`; the channel also refuses a hop from any number other
 * than the session's. Community client (not Nalo's own): nunyakata's Nalo USSD notes show
 * `SESSIONID` sent with every hop (`{"USERID","MSISDN","USERDATA","MSGTYPE","NETWORK","SESSIONID"}`).
 *
 * Request: `{USERID, MSISDN, USERDATA, MSGTYPE, NETWORK[, SESSIONID]}`.
 * Answer: `{USERID, MSISDN, MSG, MSGTYPE}` (`MSGTYPE: false` closes).
 */
export const naloUssd: UssdDialect = {
  name: 'nalo',
  defaultScreenLimit: 160,
  wire: naloUssdWire,

  parse(request: RawRequest): ParseResult {
    const read = readJsonObject(request);
    if (!read.ok) return read;
    const body = read.body;
    const msgType = body.MSGTYPE;
    if (typeof msgType !== 'boolean' && msgType !== 'true' && msgType !== 'false') {
      return { ok: false, kind: 'reject', status: 400, reason: 'MSGTYPE must be true (new session) or false' };
    }
    const isBegin = msgType === true || msgType === 'true';
    const msisdn = textField(body, 'MSISDN');
    const userData = textField(body, 'USERDATA') ?? '';
    const userId = textField(body, 'USERID') ?? '';
    const naloSessionId = textField(body, 'SESSIONID');
    const built = buildHop({
      sessionId: naloSessionId ?? msisdn,
      phoneNumber: msisdn,
      serviceCode: isBegin ? dialledString(userData, undefined) : undefined,
      input: { kind: 'latest', text: isBegin ? '' : userData },
      isBegin,
      network: textField(body, 'NETWORK'),
      echo: { USERID: userId, MSISDN: msisdn ?? '' },
      wireNames: { sessionId: 'SESSIONID or MSISDN', serviceCode: 'USERDATA (dialled string)', phoneNumber: 'MSISDN' },
    });
    if (!built.ok || !('hop' in built)) return built;
    // Keyed by the normalised number, so `0197…`, `229…` and `+229…` are one handset.
    built.hop.sessionId = naloSessionId !== undefined ? `id:${naloSessionId}` : `tel:${built.hop.msisdn}`;
    return built;
  },

  render(screen, hop) {
    return json({ USERID: hop?.echo?.USERID ?? '', MSISDN: hop?.echo?.MSISDN ?? '', MSG: screen.text, MSGTYPE: !screen.end });
  },
};
