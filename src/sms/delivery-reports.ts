import type { Logger } from '../observability/logger.js';
import type { AcceptedPart } from './port.js';
import type { MessageStore, ParkedReport, SmsStatus } from './store/port.js';

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

/**
 * Applies a delivery report; repeated, late or unknown reports change nothing final.
 *
 * A receipt can beat our own bookkeeping: an SMSC may send it right behind (or even before) the
 * `submit_sm_resp` whose id we have not recorded yet. Such a report is parked under its provider
 * id, and `recordAcceptedPart` applies it once the id is known. Whoever finds both the id and the
 * parked report takes it (atomically), so it is applied once, whichever side comes second.
 */
export async function recordDeliveryReport(store: MessageStore, report: DeliveryReport, logger: Logger): Promise<'applied' | 'parked' | 'unknown_message'> {
  if (report.messageId) {
    const message = await store.transition(report.messageId, { ...(report.status ? { status: report.status } : {}), detail: `${report.route} report: ${report.raw}` });
    if (message) return 'applied';
    logger.warn({ route: report.route, messageId: report.messageId }, 'delivery report for an unknown message');
    return 'unknown_message';
  }
  if (!report.providerMessageId) return 'unknown_message';
  const providerMessageId = report.providerMessageId;
  const parked: ParkedReport = { ...(report.status ? { status: report.status } : {}), raw: report.raw };
  const id = await store.findByProviderId(report.route, providerMessageId);
  if (id) {
    await applyParked(store, id, report.route, providerMessageId, [parked]);
    return 'applied';
  }
  await store.parkReport(report.route, providerMessageId, parked);
  // The id may have been recorded between our look-up and the parking: then take it back ourselves.
  const late = await store.findByProviderId(report.route, providerMessageId);
  if (late) await applyParked(store, late, report.route, providerMessageId, await store.takeParkedReports(report.route, providerMessageId));
  else logger.info({ route: report.route, providerMessageId }, 'delivery report parked until its message id is recorded');
  return late ? 'applied' : 'parked';
}

/**
 * Records a part the route accepted, then applies any report that arrived for it first. `sent`: it
 * was the message's last part to be accepted, and the same update records the message `sent` (one
 * compare-and-set where the acceptance and the `sent` were two).
 */
export async function recordAcceptedPart(store: MessageStore, messageId: string, route: string, part: AcceptedPart, detail: string, sent = false): Promise<void> {
  await store.transition(messageId, { acceptedPart: part, ...(part.index === 0 ? { providerMessageId: part.providerMessageId } : {}), ...(sent ? { status: 'sent' as const } : {}), detail });
  await applyParked(store, messageId, route, part.providerMessageId, await store.takeParkedReports(route, part.providerMessageId));
}

async function applyParked(store: MessageStore, id: string, route: string, providerMessageId: string, reports: ParkedReport[]): Promise<void> {
  for (const report of reports) {
    await store.transition(id, { ...(report.status ? { status: report.status } : {}), reportedPart: providerMessageId, detail: `${route} report: ${report.raw}` });
  }
}
