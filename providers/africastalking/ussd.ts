import type { ParseResult, RawRequest, SessionEndReason, UssdDialect } from '../../src/channels/ussd/port.js';
import { buildHop } from '../../src/channels/ussd/hop-builder.js';
import { africasTalkingUssdWire } from './openapi.js';

/**
 * Africa's Talking USSD: a form POST per hop (`sessionId, serviceCode, phoneNumber, networkCode,
 * text`), answered in `text/plain` with `CON …` (wait for input) or `END …` (close).
 * `text` is empty on the first hop, then every input so far joined by `*`.
 * A separate notification URL receives the session's end (`status`: Success, Incomplete, Failed).
 *
 * @see https://developers.africastalking.com/docs/ussd/handle_sessions
 */
export const africasTalkingUssd: UssdDialect = {
  name: 'africastalking',
  defaultScreenLimit: 160,
  wire: africasTalkingUssdWire,

  parse(request: RawRequest): ParseResult {
    if (!isForm(request.contentType)) {
      return { ok: false, kind: 'reject', status: 415, reason: 'expected application/x-www-form-urlencoded' };
    }
    const form = new URLSearchParams(request.body);
    const text = form.get('text') ?? '';
    return buildHop({
      sessionId: form.get('sessionId') ?? undefined,
      phoneNumber: form.get('phoneNumber') ?? undefined,
      serviceCode: form.get('serviceCode') ?? undefined,
      input: { kind: 'cumulative', text },
      isBegin: text === '',
      network: form.get('networkCode') ?? undefined,
      serviceCodeOnEveryHop: true,
      wireNames: { sessionId: 'sessionId', serviceCode: 'serviceCode', phoneNumber: 'phoneNumber' },
    });
  },

  render(screen) {
    return { contentType: 'text/plain; charset=utf-8', body: `${screen.end ? 'END' : 'CON'} ${screen.text}` };
  },

  acknowledge() {
    return { contentType: 'text/plain; charset=utf-8', body: 'OK' };
  },

  parseSessionEnd(request: RawRequest): ParseResult {
    if (!isForm(request.contentType)) {
      return { ok: false, kind: 'reject', status: 415, reason: 'expected application/x-www-form-urlencoded' };
    }
    const form = new URLSearchParams(request.body);
    const sessionId = form.get('sessionId');
    const status = form.get('status') ?? '';
    if (!sessionId) return { ok: false, kind: 'reject', status: 400, reason: 'missing field(s): sessionId' };
    const reason = END_STATUS[status];
    if (!reason) return { ok: false, kind: 'reject', status: 400, reason: `unknown session status "${status}"` };
    return { ok: true, ended: { sessionId, reason } };
  },
};

/**
 * `Incomplete`: the session closed while a menu waited for input (the citizen hung up or let it
 * time out; AT does not say which, so it counts as the citizen's abort). `Failed`: our answer was
 * an error or too late.
 */
const END_STATUS: Record<string, SessionEndReason> = {
  Success: 'completed',
  Incomplete: 'user_aborted',
  Failed: 'error',
};

function isForm(contentType: string): boolean {
  return contentType.split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}
