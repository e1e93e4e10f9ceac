import type { Logger } from '../observability/logger.js';
import type { MessageStore, SmsStatus } from './message-store.js';

export interface DeliveryReport {
  route: string;
  /** Guichet's id where the route carries it (Kannel), else the provider's. */
  messageId?: string;
  providerMessageId?: string;
  /** Mapped status, or undefined for a status we do not know (recorded, never final). */
  status: SmsStatus | undefined;
  /** The provider's own words, for the history. */
  raw: string;
}

/** Applies a delivery report; repeated, late or unknown reports change nothing final. */
export async function recordDeliveryReport(store: MessageStore, report: DeliveryReport, logger: Logger, waitMs = 1000): Promise<'applied' | 'unknown_message'> {
  let id = report.messageId ?? null;
  // An SMSC may send the receipt right behind its submit_sm_resp, before we have recorded the
  // provider's id for the message: give the submit a moment to be recorded.
  for (const deadline = Date.now() + waitMs; !id && report.providerMessageId; ) {
    id = await store.findByProviderId(report.route, report.providerMessageId);
    if (id || Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  const message = id ? await store.transition(id, { ...(report.status ? { status: report.status } : {}), detail: `${report.route} report: ${report.raw}` }) : null;
  if (!message) {
    logger.warn({ route: report.route, providerMessageId: report.providerMessageId, messageId: report.messageId }, 'delivery report for an unknown message');
    return 'unknown_message';
  }
  return 'applied';
}
