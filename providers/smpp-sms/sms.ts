import type { SmsStatus } from '../../src/sms/store/port.js';
import { splitSegments } from '../../src/sms/text.js';
import type { OutgoingSms, SendOutcome, StatusMapping } from '../../src/sms/port.js';

/**
 * SMS over a direct SMPP link: the `submit_sm` parameters of a message (split into UDH-concatenated
 * parts when it is long), the reading of delivery receipts and of concatenated inbound parts. The
 * link itself is `src/runtime/node/smpp/smpp-link.ts`. `data_coding` is always explicit: 0 GSM-7, 8 UCS-2.
 *
 * @see SMPP v3.4 Issue 1.2: §5.2.5 (TON), §5.2.12 (esm_class), §5.3.2.35 (message_state), Appendix B (receipt text)
 */

/**
 * `source_addr_ton`/`_npi` follow the sender (SMPP 3.4 §5.2.5): an alphanumeric name is 5 (NPI 0),
 * a full number 1 international (NPI 1 E.164, without `+`), a short code 3 network specific (NPI 0).
 * An SMSC checks the TON against the address and refuses or rewrites a mismatch.
 */
export function senderAddress(from: string): { source_addr: string; source_addr_ton: number; source_addr_npi: number } {
  if (/^\+?\d{7,15}$/.test(from)) return { source_addr: from.replace(/^\+/, ''), source_addr_ton: 1, source_addr_npi: 1 };
  if (/^\d{1,6}$/.test(from)) return { source_addr: from, source_addr_ton: 3, source_addr_npi: 0 };
  return { source_addr: from, source_addr_ton: 5, source_addr_npi: 0 };
}

export function submitParts(sms: OutgoingSms, from: string, reference: number): Record<string, unknown>[] {
  const dataCoding = sms.encoding === 'GSM-7' ? 0 : 8;
  const parts = splitSegments(sms.text, sms.encoding);
  const base = { ...senderAddress(sms.from ?? from), destination_addr: sms.to.replace(/^\+/, ''), dest_addr_ton: 1, dest_addr_npi: 1, data_coding: dataCoding, registered_delivery: 1 };
  if (parts.length === 1) return [{ ...base, short_message: sms.text }];
  // Concatenation IE (0x00): length 3, reference, total parts, this part's number.
  return parts.map((part, i) => ({ ...base, esm_class: 0x40, short_message: { udh: Uint8Array.from([0x05, 0x00, 0x03, reference & 0xff, parts.length, i + 1]), message: part } }));
}

/**
 * `submit_sm_resp` `command_status` → what it means for the message (SMPP 3.4 §5.1.3). A status
 * not listed is explicit: transient, with its number in the reason.
 */
export const SMPP_SUBMIT_STATUSES: Readonly<Record<number, { name: string; outcome: SendOutcome }>> = {
  0x01: { name: 'ESME_RINVMSGLEN', outcome: 'permanent' },
  // Our sender address or its TON/NPI: configuration, not the citizen's number.
  0x0a: { name: 'ESME_RINVSRCADR', outcome: 'configuration' },
  0x48: { name: 'ESME_RINVSRCTON', outcome: 'configuration' },
  0x49: { name: 'ESME_RINVSRCNPI', outcome: 'configuration' },
  0x0b: { name: 'ESME_RINVDSTADR', outcome: 'permanent' },
  0x50: { name: 'ESME_RINVDSTTON', outcome: 'permanent' },
  0x51: { name: 'ESME_RINVDSTNPI', outcome: 'permanent' },
  0x45: { name: 'ESME_RSUBMITFAIL', outcome: 'permanent' },
  0x14: { name: 'ESME_RMSGQFUL', outcome: 'throttled' },
  0x58: { name: 'ESME_RTHROTTLED', outcome: 'throttled' },
};

/** `stat:` of an SMPP delivery receipt (appendix B of SMPP 3.4). ENROUTE/ACCEPTD: still on its way; UNKNOWN: noted only. */
export const SMPP_RECEIPT_STATES: StatusMapping = {
  DELIVRD: 'delivered',
  UNDELIV: 'failed',
  REJECTD: 'failed',
  DELETED: 'failed',
  EXPIRED: 'expired',
  ACCEPTD: 'sent',
  ENROUTE: 'sent',
};

/** The `message_state` TLV (SMPP 3.4 §5.3.2.35) under the receipt text's names. */
const MESSAGE_STATES: Readonly<Record<number, string>> = { 1: 'ENROUTE', 2: 'DELIVRD', 3: 'EXPIRED', 4: 'DELETED', 5: 'UNDELIV', 6: 'ACCEPTD', 7: 'UNKNOWN', 8: 'REJECTD' };

/** The id and state of a receipt: from the TLVs when present, else from the `id:… stat:…` text. */
export function readReceipt(fields: { receipted_message_id?: unknown; message_state?: unknown; text: string }): { providerMessageId: string; state: string; status: SmsStatus | undefined } | null {
  const id = typeof fields.receipted_message_id === 'string' && fields.receipted_message_id ? fields.receipted_message_id : /(?:^|\s)id:(\S+)/i.exec(fields.text)?.[1];
  const state = (typeof fields.message_state === 'number' ? MESSAGE_STATES[fields.message_state] : undefined) ?? /(?:^|\s)stat:(\S+)/i.exec(fields.text)?.[1]?.toUpperCase() ?? '';
  if (!id) return null;
  return { providerMessageId: id, state, status: SMPP_RECEIPT_STATES[state] };
}

/**
 * The concatenation of an inbound part, from its UDH information elements as the smpp package
 * decodes them (one Buffer per IE): 0x00 with an 8-bit reference, 0x08 with a 16-bit one.
 */
export function concatenationOf(udh: unknown): { reference: number; total: number; index: number } | null {
  if (!Array.isArray(udh)) return null;
  for (const ie of udh) {
    if (!(ie instanceof Uint8Array)) continue;
    if (ie[0] === 0x00 && ie[1] === 3 && ie.length >= 5) return { reference: ie[2]!, total: ie[3]!, index: ie[4]! };
    if (ie[0] === 0x08 && ie[1] === 4 && ie.length >= 6) return { reference: (ie[2]! << 8) | ie[3]!, total: ie[4]!, index: ie[5]! };
  }
  return null;
}
