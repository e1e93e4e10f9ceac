import type { ParseResult, RawRequest, SessionEndReason, UssdDialect } from '../../src/channels/ussd/port.js';
import { dialledString } from '../../src/channels/ussd/dial-string.js';
import { buildHop } from '../../src/channels/ussd/hop-builder.js';
import { json, readJsonObject, textField } from '../../src/channels/ussd/json-body.js';
import { hubtelUssdWire } from './openapi.js';

/**
 * Hubtel-style programmable USSD (JSON). Each request carries only the latest input and a
 * `Sequence`, so a retransmitted request is recognised by its number. `initiation` carries the
 * dialled string in `Message`; `release` and `timeout` close the session (a `timeout` means our
 * answer came too late: Hubtel waits about 5 s). Hubtel writes `Type` in lowercase in its
 * reference and samples while older integrations write `Initiation`; its SDK lowercases before
 * matching (ProgrammableServiceRequestExtensions.cs), and so do we. Samples: `fixtures.ts`.
 *
 * Request: `{Type, Mobile, SessionId, ServiceCode, Message, Operator, Sequence, ClientState, Platform}`.
 * Answer: `{Type: Response|Release, Message, ClientState, Label, DataType, FieldType}`.
 */
export const hubtelUssd: UssdDialect = {
  name: 'hubtel',
  defaultScreenLimit: 160,
  wire: hubtelUssdWire,

  parse(request: RawRequest): ParseResult {
    const read = readJsonObject(request);
    if (!read.ok) return read;
    const body = read.body;
    const typeAsSent = textField(body, 'Type');
    const type = typeAsSent?.toLowerCase();
    const sessionId = textField(body, 'SessionId');
    const message = textField(body, 'Message') ?? '';
    const ended = type === undefined ? undefined : END_TYPES.get(type);
    if (ended) {
      if (!sessionId) return { ok: false, kind: 'reject', status: 400, reason: 'missing field(s): SessionId' };
      return { ok: true, ended: { sessionId, reason: ended } };
    }
    if (type !== 'initiation' && type !== 'response') {
      return { ok: false, kind: 'reject', status: 400, reason: `unknown Type "${typeAsSent ?? ''}"` };
    }
    const isBegin = type === 'initiation';
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

/** By lowercased `Type` (a Map: a `Type` such as `constructor` must not find anything). */
const END_TYPES: ReadonlyMap<string, SessionEndReason> = new Map([
  ['release', 'user_aborted'],
  ['timeout', 'app_timeout'],
]);
