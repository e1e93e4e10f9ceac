import type { ParseResult, RawRequest, SessionEndReason, UssdDialect } from '../../src/channels/ussd/dialect.js';
import { dialledString } from '../../src/channels/ussd/dial-string.js';
import { buildHop } from '../../src/channels/ussd/hop-builder.js';
import { json, readJsonObject, textField } from '../../src/channels/ussd/json-body.js';

/**
 * Hubtel-style programmable USSD (JSON). Each request carries only the latest input and a
 * `Sequence`, so a retransmitted request is recognised by its number. `Initiation` carries the
 * dialled string in `Message`; `Release` and `Timeout` close the session (a `Timeout` means our
 * answer came too late: Hubtel waits about 5 s).
 *
 * Request: `{Type, Mobile, SessionId, ServiceCode, Message, Operator, Sequence, ClientState, Platform}`.
 * Answer: `{Type: Response|Release, Message, ClientState, Label, DataType, FieldType}`.
 */
export const hubtelUssd: UssdDialect = {
  name: 'hubtel',
  defaultScreenLimit: 160,

  parse(request: RawRequest): ParseResult {
    const read = readJsonObject(request);
    if (!read.ok) return read;
    const body = read.body;
    const type = textField(body, 'Type');
    const sessionId = textField(body, 'SessionId');
    const message = textField(body, 'Message') ?? '';
    const ended = type ? END_TYPES[type] : undefined;
    if (ended) {
      if (!sessionId) return { ok: false, kind: 'reject', status: 400, reason: 'missing field(s): SessionId' };
      return { ok: true, ended: { sessionId, reason: ended } };
    }
    if (type !== 'Initiation' && type !== 'Response') {
      return { ok: false, kind: 'reject', status: 400, reason: `unknown Type "${type ?? ''}"` };
    }
    const isBegin = type === 'Initiation';
    return buildHop({
      sessionId,
      phoneNumber: textField(body, 'Mobile'),
      serviceCode: isBegin ? dialledString(message, textField(body, 'ServiceCode')) : undefined,
      input: { kind: 'latest', text: isBegin ? '' : message },
      isBegin,
      network: textField(body, 'Operator'),
      hopId: textField(body, 'Sequence'),
      wireNames: { sessionId: 'SessionId', serviceCode: 'ServiceCode', phoneNumber: 'Mobile' },
    });
  },

  render(screen) {
    return json({
      Type: screen.end ? 'Release' : 'Response',
      Message: screen.text,
      ClientState: '',
      Label: screen.text.split('\n')[0] ?? '',
      DataType: screen.end ? 'display' : 'input',
      FieldType: 'text',
    });
  },
};

const END_TYPES: Record<string, SessionEndReason> = {
  Release: 'user_aborted',
  Timeout: 'app_timeout',
};
