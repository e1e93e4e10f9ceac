import type { SmsStatus } from '../../src/sms/message-store.js';
import { splitSegments } from '../../src/sms/sms-text.js';
import type { OutgoingSms, StatusMapping } from '../../src/sms/sms-route.js';

/**
 * SMS over a direct SMPP link: the `submit_sm` parameters of a message (split into UDH-concatenated
 * parts when it is long) and the reading of delivery receipts. The link itself is
 * `src/node/smpp/smpp-link.ts`. `data_coding` is always explicit: 0 GSM-7, 8 UCS-2.
 */
export function submitParts(sms: OutgoingSms, from: string, reference: number): Record<string, unknown>[] {
  const dataCoding = sms.encoding === 'GSM-7' ? 0 : 8;
  const parts = splitSegments(sms.text, sms.encoding);
  const base = { source_addr: from, source_addr_ton: 5, source_addr_npi: 0, destination_addr: sms.to.replace(/^\+/, ''), dest_addr_ton: 1, dest_addr_npi: 1, data_coding: dataCoding, registered_delivery: 1 };
  if (parts.length === 1) return [{ ...base, short_message: sms.text }];
  // Concatenation IE (0x00): length 3, reference, total parts, this part's number.
  return parts.map((part, i) => ({ ...base, esm_class: 0x40, short_message: { udh: Buffer.from([0x05, 0x00, 0x03, reference & 0xff, parts.length, i + 1]), message: part } }));
}

/** `stat:` of an SMPP delivery receipt (appendix B of SMPP 3.4). ENROUTE/ACCEPTD: still on its way. */
export const SMPP_RECEIPT_STATES: StatusMapping = {
  DELIVRD: 'delivered',
  UNDELIV: 'failed',
  REJECTD: 'failed',
  DELETED: 'failed',
  EXPIRED: 'expired',
  ACCEPTD: 'sent',
  ENROUTE: 'sent',
};

/** The id and state of a receipt: from the TLVs when present, else from the `id:… stat:…` text. */
export function readReceipt(fields: { receipted_message_id?: unknown; message_state?: unknown; text: string }): { providerMessageId: string; state: string; status: SmsStatus | undefined } | null {
  const id = typeof fields.receipted_message_id === 'string' ? fields.receipted_message_id : /(?:^|\s)id:(\S+)/.exec(fields.text)?.[1];
  const state = /(?:^|\s)stat:(\S+)/.exec(fields.text)?.[1] ?? '';
  if (!id) return null;
  return { providerMessageId: id, state, status: SMPP_RECEIPT_STATES[state] };
}
