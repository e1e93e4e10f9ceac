import type { ParseResult } from '../../src/channels/ussd/dialect.js';
import type { Screen } from '../../src/engine/types.js';
import { dialledString } from '../../src/channels/ussd/dial-string.js';
import { buildHop } from '../../src/channels/ussd/hop-builder.js';
import { measureText } from '../../src/text/gsm7.js';

/**
 * USSD over an operator's SMPP link (the wire mapping only; the long-lived ESME connection is in
 * `src/node/smpp/`). The SMSC delivers `deliver_sm` with the TLV `ussd_service_op`: 1 PSSR
 * indication (the citizen dialled; `short_message` holds what was dialled), 18 USSR confirm (the
 * citizen answered). We answer with `submit_sm`: 2 USSR request (continue) or 17 PSSR response
 * (close). `its_session_info` (2 octets: session number; sequence number × 2 + end-of-session bit)
 * ties a dialogue together and is echoed back.
 */

export const USSD_OP = { PSSR_INDICATION: 1, USSR_REQUEST: 2, PSSR_RESPONSE: 17, USSR_CONFIRM: 18 } as const;

/** The fields of a `deliver_sm` that matter here, with `short_message` already decoded to text. */
export interface UssdDeliver {
  service_type?: string;
  source_addr: string;
  destination_addr: string;
  message: string;
  ussd_service_op?: number;
  its_session_info?: Uint8Array;
}

/** `submit_sm` parameters answering a hop. `data_coding` is always explicit (0 GSM-7, 8 UCS-2). */
export interface UssdSubmit {
  service_type: 'USSD';
  source_addr: string;
  destination_addr: string;
  short_message: string;
  data_coding: 0 | 8;
  ussd_service_op: number;
  its_session_info?: Uint8Array;
}

export function parseUssdDeliver(pdu: UssdDeliver): ParseResult {
  const info = pdu.its_session_info;
  const sessionNumber = info && info.length >= 1 ? info[0]! : undefined;
  // A handset holds one USSD dialogue at a time: the number (plus the SMSC's session number) keys it.
  const sessionId = sessionNumber === undefined ? pdu.source_addr : `${pdu.source_addr}:${sessionNumber}`;
  const endBit = info && info.length >= 2 ? (info[1]! & 0x01) === 1 : false;
  const op = pdu.ussd_service_op;
  if (op !== USSD_OP.PSSR_INDICATION && op !== USSD_OP.USSR_CONFIRM) {
    if (endBit) return { ok: true, ended: { sessionId, reason: 'user_aborted' } };
    return { ok: true, notice: `ussd_service_op ${op ?? 'absent'}` };
  }
  const isBegin = op === USSD_OP.PSSR_INDICATION;
  return buildHop({
    sessionId,
    phoneNumber: pdu.source_addr,
    serviceCode: isBegin ? dialledString(pdu.message, pdu.destination_addr) : undefined,
    input: { kind: 'latest', text: isBegin ? '' : pdu.message },
    isBegin,
    hopId: info ? Buffer.from(info).toString('hex') : undefined,
    echo: {
      source_addr: pdu.source_addr,
      destination_addr: pdu.destination_addr,
      ...(info ? { its_session_info: Buffer.from(info).toString('hex') } : {}),
    },
    wireNames: { sessionId: 'source_addr', serviceCode: 'short_message (dialled string)', phoneNumber: 'source_addr' },
  });
}

export function renderUssdSubmit(screen: Screen, echo: Readonly<Record<string, string | number | boolean>>): UssdSubmit {
  const submit: UssdSubmit = {
    service_type: 'USSD',
    source_addr: String(echo.destination_addr ?? ''),
    destination_addr: String(echo.source_addr ?? ''),
    short_message: screen.text,
    data_coding: measureText(screen.text).encoding === 'GSM-7' ? 0 : 8,
    ussd_service_op: screen.end ? USSD_OP.PSSR_RESPONSE : USSD_OP.USSR_REQUEST,
  };
  const info = typeof echo.its_session_info === 'string' ? Buffer.from(echo.its_session_info, 'hex') : undefined;
  if (info && info.length >= 2) {
    // Same session number; next sequence number; end bit set when we close the dialogue.
    const sequence = ((info[1]! >> 1) + 1) & 0x7f;
    // A Buffer, not a bare Uint8Array: the smpp package copies TLV values with Buffer#copy.
    submit.its_session_info = Buffer.from([info[0]!, (sequence << 1) | (screen.end ? 1 : 0)]);
  }
  return submit;
}
