import { measureText } from '../../src/lib/gsm7.js';
import { senderAddress } from '../smpp-sms/sms.js';
import type { UssdDeliver } from './ussd.js';

/**
 * A network-initiated USSD notification (USSN) over an SMPP link, the wire mapping only (the wait
 * for the handset is in `src/runtime/node/smpp/smpp-ussd-push.ts`). SMPP 3.4 §5.3.2.44
 * `ussd_service_op`: 3 USSN request (we send it in a `submit_sm`), 19 USSN confirm (the SMSC
 * delivers it in a `deliver_sm` once the handset has shown the text). SMPP 5.0 keeps both values.
 */
export const USSN_OP = { REQUEST: 3, CONFIRM: 19 } as const;

export interface UssnSubmit {
  service_type: 'USSD';
  source_addr: string;
  source_addr_ton: number;
  source_addr_npi: number;
  destination_addr: string;
  dest_addr_ton: 1;
  dest_addr_npi: 1;
  short_message: string;
  data_coding: 0 | 8;
  ussd_service_op: 3;
}

/**
 * The `submit_sm` for a push: to the handset as an international number (ton/npi 1/1, E.164 digits),
 * from our short code (`USSD_PUSH_FROM`, ton 3 for a short code as on the SMS links), `data_coding`
 * explicit (0 GSM-7, 8 UCS-2): the smpp package would guess.
 */
export function ussnSubmit(to: string, text: string, from: string): UssnSubmit {
  return {
    service_type: 'USSD',
    ...senderAddress(from),
    destination_addr: to.replace(/^\+/, ''),
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    short_message: text,
    data_coding: measureText(text).encoding === 'GSM-7' ? 0 : 8,
    ussd_service_op: USSN_OP.REQUEST,
  };
}

/** The E.164 number a `deliver_sm` confirms a push for, or null when it is no USSN confirm. */
export function ussnConfirmFrom(pdu: Pick<UssdDeliver, 'ussd_service_op' | 'source_addr'>): string | null {
  if (pdu.ussd_service_op !== USSN_OP.CONFIRM) return null;
  const digits = pdu.source_addr.replace(/^\+/, '');
  return /^\d{6,15}$/.test(digits) ? `+${digits}` : null;
}
