import { createHash } from 'node:crypto';
import type { Pdu } from 'smpp';
import { concatenationOf, readReceipt, SMPP_SUBMIT_STATUSES, submitParts } from '../../../../providers/smpp-sms/sms.js';
import type { DeliveryReport } from '../../../sms/delivery-reports.js';
import type { InboundSms } from '../../../sms/inbound.js';
import { sendError, SmsFateUnknownError, type SmsRoute } from '../../../sms/port.js';
import { messageText } from './message-text.js';
import { SmppSubmitError, type SmppLink } from './smpp-link.js';

/**
 * An SMSC redelivers a `deliver_sm` it did not see acknowledged, typically after a rebind, within
 * minutes. The same sender, receiver and text inside this window is taken for that redelivery.
 */
export const INBOUND_REDELIVERY_WINDOW_SECONDS = 900;

/** Parts of a concatenated inbound SMS wait this long for the rest. */
const INBOUND_PARTS_WAIT_MS = 120_000;

/**
 * SMS over an operator's SMPP link: `submit_sm` with explicit `data_coding`, long texts as
 * UDH-concatenated parts, `registered_delivery` for receipts. The link's `deliver_sm` carry both
 * delivery receipts (`esm_class` bit 0x04) and messages from citizens (possibly in parts).
 */
export function createSmppSmsRoute(
  name: string,
  link: SmppLink,
  from: string,
  handlers: { onReport: (report: DeliveryReport) => Promise<unknown>; onInbound: (sms: InboundSms) => Promise<void> },
): SmsRoute {
  let reference = 0;
  const pendingParts = new Map<string, { texts: string[]; received: number; timer: ReturnType<typeof setTimeout> }>();

  const inbound = async (source: string, destination: string, text: string) => {
    // deliver_sm has no message id, and its sequence_number restarts with every bind: the
    // content is the only thing a redelivery shares with the original.
    const id = createHash('sha256').update(`${source}\n${destination}\n${text}`).digest('hex').slice(0, 32);
    await handlers.onInbound({ route: name, id, from: source, to: destination, text, redeliveryWindowSeconds: INBOUND_REDELIVERY_WINDOW_SECONDS });
  };

  link.onDeliver(async (pdu: Pdu) => {
    if (pdu.command !== 'deliver_sm' || typeof pdu.ussd_service_op === 'number') return;
    const text = messageText(pdu.short_message);
    if ((Number(pdu.esm_class) & 0x04) !== 0) {
      const receipt = readReceipt({ receipted_message_id: pdu.receipted_message_id, message_state: pdu.message_state, text });
      if (receipt) await handlers.onReport({ route: name, providerMessageId: receipt.providerMessageId, status: receipt.status, raw: `stat:${receipt.state}` });
      return;
    }
    const source = String(pdu.source_addr ?? '');
    const destination = String(pdu.destination_addr ?? '');
    const part = (Number(pdu.esm_class) & 0x40) !== 0 ? concatenationOf((pdu.short_message as { udh?: unknown } | undefined)?.udh) : null;
    if (!part || part.total <= 1) return inbound(source, destination, text);
    if (part.index < 1 || part.index > part.total) return;
    const key = `${source}\n${destination}\n${part.reference}\n${part.total}`;
    let pending = pendingParts.get(key);
    if (!pending) {
      const timer = setTimeout(() => pendingParts.delete(key), INBOUND_PARTS_WAIT_MS);
      timer.unref?.();
      pending = { texts: new Array<string>(part.total), received: 0, timer };
      pendingParts.set(key, pending);
    }
    // A redelivered part replaces itself; the message is answered once all parts are in.
    if (pending.texts[part.index - 1] === undefined) pending.received++;
    pending.texts[part.index - 1] = text;
    if (pending.received < part.total) return;
    clearTimeout(pending.timer);
    pendingParts.delete(key);
    await inbound(source, destination, pending.texts.join(''));
  });

  return {
    name,
    async send(sms, hooks) {
      reference = (reference + 1) & 0xff;
      const parts = submitParts(sms, from, reference);
      let first: string | undefined;
      try {
        for (const [index, part] of parts.entries()) {
          const response = await link.submit(part);
          const providerMessageId = String(response.message_id ?? '');
          if (!providerMessageId) throw new Error(`${name}: submit_sm_resp without message_id`);
          first ??= providerMessageId;
          // Recorded before the next part goes: its receipt can come at once.
          await hooks?.onPartAccepted?.({ providerMessageId, index, count: parts.length });
        }
      } catch (error) {
        // The submit_sm left and no answer came (SMSC stalled, link cut): the SMSC may have taken it.
        // The link says so only in its message (smpp-link.ts `request`); everything else it
        // refuses with (queue full, expired before sending, link stopped) never reached the wire.
        if (error instanceof SmppSubmitError && error.commandStatus === undefined && /^no submit_sm_resp within/.test(error.message)) {
          throw new SmsFateUnknownError(`${name}: ${error.message}`);
        }
        // A retry sends every part again under a new reference: the handset drops the orphans.
        if (error instanceof SmppSubmitError && error.commandStatus !== undefined) {
          const known = SMPP_SUBMIT_STATUSES[error.commandStatus];
          throw sendError(known && known.outcome !== 'accepted' ? known.outcome : 'transient', `${name}: ${error.message}${known ? ` (${known.name})` : ' (unmapped command_status)'}`);
        }
        throw error;
      }
      if (!first) throw new Error(`${name}: nothing to submit`);
      return { providerMessageId: first };
    },
  };
}
