import type { Pdu } from 'smpp';
import { readReceipt, submitParts } from '../../../providers/smpp-sms/sms.js';
import type { DeliveryReport } from '../../sms/delivery-reports.js';
import type { InboundSms } from '../../sms/inbound.js';
import { PermanentSmsError, ThrottledSmsError, type SmsRoute } from '../../sms/sms-route.js';
import { messageText } from './message-text.js';
import { SmppSubmitError, type SmppLink } from './smpp-link.js';

/** SMPP `command_status` values that say the message itself is wrong: retrying sends it wrong again. */
const PERMANENT_STATUSES = new Set([0x0b /* invalid destination */, 0x0a /* invalid source */, 0x01 /* invalid length */, 0x45 /* submit failed */]);

/**
 * SMS over an operator's SMPP link: `submit_sm` with explicit `data_coding`, long texts as
 * UDH-concatenated parts, `registered_delivery` for receipts. The link's `deliver_sm` carry both
 * delivery receipts (`esm_class` bit 0x04) and messages from citizens.
 */
export function createSmppSmsRoute(
  name: string,
  link: SmppLink,
  from: string,
  handlers: { onReport: (report: DeliveryReport) => Promise<unknown>; onInbound: (sms: InboundSms) => Promise<void> },
): SmsRoute {
  let reference = 0;
  link.onDeliver(async (pdu: Pdu) => {
    if (pdu.command !== 'deliver_sm' || typeof pdu.ussd_service_op === 'number') return;
    const text = messageText(pdu.short_message);
    if ((Number(pdu.esm_class) & 0x04) !== 0) {
      const receipt = readReceipt({ receipted_message_id: pdu.receipted_message_id, text });
      if (receipt) await handlers.onReport({ route: name, providerMessageId: receipt.providerMessageId, status: receipt.status, raw: `stat:${receipt.state}` });
      return;
    }
    await handlers.onInbound({ route: name, id: `${String(pdu.source_addr)}:${pdu.sequence_number}:${text}`, from: String(pdu.source_addr ?? ''), text });
  });

  return {
    name,
    async send(sms) {
      reference = (reference + 1) & 0xff;
      const parts = submitParts(sms, from, reference);
      let first: string | undefined;
      try {
        for (const part of parts) {
          const response = await link.submit(part);
          first ??= String(response.message_id ?? '');
        }
      } catch (error) {
        if (error instanceof SmppSubmitError && error.commandStatus !== undefined) {
          if (PERMANENT_STATUSES.has(error.commandStatus)) throw new PermanentSmsError(error.message);
          if (error.commandStatus === 0x58 || error.commandStatus === 0x14) throw new ThrottledSmsError(error.message);
        }
        throw error;
      }
      if (!first) throw new Error(`${name}: submit_sm_resp without message_id`);
      return { providerMessageId: first };
    },
  };
}
