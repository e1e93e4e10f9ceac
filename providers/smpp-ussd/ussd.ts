import type { ParseResult } from '../../src/channels/ussd/port.js';
import type { Screen } from '../../src/engine/types.js';
import { dialledString } from '../../src/channels/ussd/dial-string.js';
import { buildHop } from '../../src/channels/ussd/hop-builder.js';
import { measureText } from '../../src/lib/gsm7.js';

/**
 * USSD over an operator's SMPP link (the wire mapping only; the long-lived ESME connection is in
 * `src/runtime/node/smpp/`). The SMSC delivers `deliver_sm` with the TLV `ussd_service_op`: 1 PSSR
 * indication (the citizen dialled; `short_message` holds what was dialled), 18 USSR confirm (the
 * citizen answered). We answer with `submit_sm`: 2 USSR request (continue) or 17 PSSR response
 * (close), to the address and ton/npi the `deliver_sm` came from. Samples: `fixtures.ts`.
 *
 * `its_session_info` (SMPP 3.4 §5.3.2.43): octet 1 the session number, octet 2 the sequence
 * number × 2 + the end-of-session bit. Real SMSCs differ: many echo the same value hop after hop,
 * some use both octets as one 16-bit session number. So it keys the dialogue (with the number)
 * but does not on its own say whether a hop is new, and what we send back is a per-link policy.
 */

export const USSD_OP = { PSSR_INDICATION: 1, USSR_REQUEST: 2, PSSR_RESPONSE: 17, USSR_CONFIRM: 18 } as const;

/**
 * What our `its_session_info` says: `sequence` follows SMPP 3.4 (same session number, the next
 * sequence number, the end bit when we close); `echo` sends back exactly what came, for SMSCs
 * that keep one value for the whole dialogue and refuse another.
 */
export type SessionInfoPolicy = 'echo' | 'sequence';

/**
 * How long after a hop the SMSC's copy of it can still arrive and be recognised by its content
 * alone. Copies within one bind carry the same `sequence_number` and are recognised at any time;
 * this window covers the copy an SMSC redelivers on the next bind after the link dropped before
 * our `deliver_sm_resp` reached it (our reconnect starts after 0.5 s). A citizen cannot answer
 * sooner: our reply has to reach the handset, be read and be answered, which takes seconds.
 */
export const REDELIVERY_WINDOW_MS = 4000;

/** The fields of a `deliver_sm` that matter here, with `short_message` already decoded to text. */
export interface UssdDeliver {
  service_type?: string;
  source_addr: string;
  source_addr_ton?: number;
  source_addr_npi?: number;
  destination_addr: string;
  dest_addr_ton?: number;
  dest_addr_npi?: number;
  message: string;
  ussd_service_op?: number;
  its_session_info?: Uint8Array;
  /** The SMSC's PDU number, meaningful within `bindId` only. */
  sequence_number?: number;
  /** The bind the PDU arrived on (`SmppLink`'s `DeliverContext`). */
  bindId?: string;
}

/** `submit_sm` parameters answering a hop. `data_coding` is always explicit (0 GSM-7, 8 UCS-2). */
export interface UssdSubmit {
  service_type: 'USSD';
  source_addr: string;
  source_addr_ton: number;
  source_addr_npi: number;
  destination_addr: string;
  dest_addr_ton: number;
  dest_addr_npi: number;
  short_message: string;
  data_coding: 0 | 8;
  ussd_service_op: number;
  its_session_info?: Uint8Array;
}

/** What a reply needs from the hop it answers; carried in `UssdHop.echo`. */
export type UssdEcho = Readonly<Record<string, string | number | boolean>>;

/** The SMPP member of the dialect registry (`providers/index.ts`): parse a `deliver_sm`, render a `submit_sm`. */
export interface SmppUssdDialect {
  name: 'smpp';
  defaultScreenLimit: number;
  parse(pdu: UssdDeliver): ParseResult;
  render(screen: Screen, echo: UssdEcho, policy: SessionInfoPolicy): UssdSubmit;
  /** The echo of a `deliver_sm` whose hop could not be built (a polite END still goes back). */
  echoOf(pdu: UssdDeliver): UssdEcho;
}

export const smppUssd: SmppUssdDialect = {
  name: 'smpp',
  defaultScreenLimit: 160,
  parse: parseUssdDeliver,
  render: renderUssdSubmit,
  echoOf,
};

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
  const infoHex = info ? hex(info) : '';
  const parsed = buildHop({
    sessionId,
    phoneNumber: pdu.source_addr,
    serviceCode: isBegin ? dialledString(pdu.message, pdu.destination_addr) : undefined,
    input: { kind: 'latest', text: isBegin ? '' : pdu.message },
    isBegin,
    // The same PDU number on the same bind is the SMSC resending that PDU (our resp was lost or
    // late). Without a bind (a bare mapping in tests) nothing else identifies the PDU itself.
    hopId: pdu.sequence_number !== undefined && pdu.bindId ? `${pdu.bindId}:${pdu.sequence_number}` : undefined,
    echo: echoOf(pdu),
    wireNames: { sessionId: 'source_addr', serviceCode: 'short_message (dialled string)', phoneNumber: 'source_addr' },
  });
  // What a copy redelivered on another bind repeats: the operation, the session info and the
  // text. `its_session_info` alone is not enough: SMSCs that leave it unchanged would make every
  // hop of a dialogue look like the first one.
  if (parsed.ok && 'hop' in parsed) parsed.hop.resend = { key: `${op}:${infoHex}:${pdu.message}`, withinMs: REDELIVERY_WINDOW_MS };
  return parsed;
}

export function renderUssdSubmit(screen: Screen, echo: UssdEcho, policy: SessionInfoPolicy = 'sequence'): UssdSubmit {
  const submit: UssdSubmit = {
    service_type: 'USSD',
    // Back to where the deliver_sm came from, with the ton/npi it came with (an SMSC may refuse
    // or misroute an international number sent back as unknown/unknown).
    source_addr: String(echo.destination_addr ?? ''),
    source_addr_ton: numberOr(echo.dest_addr_ton, 0),
    source_addr_npi: numberOr(echo.dest_addr_npi, 0),
    destination_addr: String(echo.source_addr ?? ''),
    dest_addr_ton: numberOr(echo.source_addr_ton, 0),
    dest_addr_npi: numberOr(echo.source_addr_npi, 0),
    short_message: screen.text,
    data_coding: measureText(screen.text).encoding === 'GSM-7' ? 0 : 8,
    ussd_service_op: screen.end ? USSD_OP.PSSR_RESPONSE : USSD_OP.USSR_REQUEST,
  };
  const info = typeof echo.its_session_info === 'string' ? fromHex(echo.its_session_info) : undefined;
  if (!info || info.length === 0) return submit;
  if (policy === 'echo' || info.length < 2) {
    // A Uint8Array, as everywhere in the core (Workers have no Buffer): the SMPP link turns PDU
    // bytes into the Buffers the smpp package copies them with.
    submit.its_session_info = info;
    return submit;
  }
  // Same session number; the next sequence number; the end bit when we close the dialogue.
  const sequence = ((info[1]! >> 1) + 1) & 0x7f;
  submit.its_session_info = Uint8Array.from([info[0]!, (sequence << 1) | (screen.end ? 1 : 0)]);
  return submit;
}

function echoOf(pdu: UssdDeliver): UssdEcho {
  const echo: Record<string, string | number> = { source_addr: pdu.source_addr, destination_addr: pdu.destination_addr };
  if (pdu.source_addr_ton !== undefined) echo.source_addr_ton = pdu.source_addr_ton;
  if (pdu.source_addr_npi !== undefined) echo.source_addr_npi = pdu.source_addr_npi;
  if (pdu.dest_addr_ton !== undefined) echo.dest_addr_ton = pdu.dest_addr_ton;
  if (pdu.dest_addr_npi !== undefined) echo.dest_addr_npi = pdu.dest_addr_npi;
  if (pdu.its_session_info) echo.its_session_info = hex(pdu.its_session_info);
  return echo;
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' ? value : fallback;
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function fromHex(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length >> 1);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}
