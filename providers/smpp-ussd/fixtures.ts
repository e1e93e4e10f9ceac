/**
 * USSD `deliver_sm` samples for two kinds of SMSC. No operator publishes its PDUs, so every
 * sample is inferred from the specification and marked so:
 * - field meanings: SMPP 3.4 (issue 1.2) §5.3.2.44 `ussd_service_op` (1 PSSR indication, 2 USSR
 *   request, 17 PSSR response, 18 USSR confirm) and §5.3.2.43 `its_session_info` (octet 1 session
 *   number, octet 2 sequence × 2 + end-of-session bit);
 * - SMSCs keeping one `its_session_info` for the whole dialogue: /work/shared/reference/protocols.md
 *   ("Checked against published sources"), and praekeltfoundation/vumi's SMPP USSD helper
 *   `update_ussd_pdu`, which echoes the SMSC's value and only adds the end bit;
 * - ton/npi 1/1 (international, E.164) for the handset: SMPP 3.4 §5.2.5–5.2.6.
 */
export interface SmscHop {
  ussd_service_op: number;
  short_message: string;
  its_session_info: readonly number[];
}

export interface SmscStyle {
  name: string;
  inferred: string;
  /** The three hops of the national walk: dial `*123#`, answer `1`, answer `PS00373-240001`. */
  walk: readonly SmscHop[];
}

export const SMSC_STYLES = {
  sequence: {
    name: 'SMPP 3.4 SMSC (sequence number advances by one per message, ×2 in octet 2)',
    inferred: 'values chosen per §5.3.2.43: our replies take sequence 1 and 3, the handset 0, 2, 4',
    walk: [
      { ussd_service_op: 1, short_message: '*123#', its_session_info: [7, 0] },
      { ussd_service_op: 18, short_message: '1', its_session_info: [7, 4] },
      { ussd_service_op: 18, short_message: 'PS00373-240001', its_session_info: [7, 8] },
    ],
  },
  constant: {
    name: 'SMSC echoing one its_session_info for the whole dialogue',
    inferred: 'a 16-bit session reference 0x1234, unchanged hop after hop',
    walk: [
      { ussd_service_op: 1, short_message: '*123#', its_session_info: [0x12, 0x34] },
      { ussd_service_op: 18, short_message: '1', its_session_info: [0x12, 0x34] },
      { ussd_service_op: 18, short_message: 'PS00373-240001', its_session_info: [0x12, 0x34] },
    ],
  },
} satisfies Record<string, SmscStyle>;

/** Addressing of the samples: the handset international (ton 1, npi 1), the short code unknown/unknown. */
export const SMSC_ADDRESSING = { source_addr_ton: 1, source_addr_npi: 1, dest_addr_ton: 0, dest_addr_npi: 0 } as const;
