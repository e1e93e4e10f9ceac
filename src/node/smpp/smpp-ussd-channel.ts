import type { Pdu } from 'smpp';
import { parseUssdDeliver, renderUssdSubmit, type UssdDeliver } from '../../../providers/smpp-ussd/ussd.js';
import { channelScreen, endSession, handleHop, type HopHandlerDeps } from '../../channels/ussd/hop-handler.js';
import { messageText } from './message-text.js';
import type { SmppLink } from './smpp-link.js';

/** A USSD reply that cannot reach the handset within this time is not worth sending. */
const REPLY_TTL_MS = 20_000;

/**
 * Serves USSD dialogues arriving on an SMPP link: each `deliver_sm` carrying `ussd_service_op`
 * is one hop for the same hop handler as the HTTP dialects, answered with a `submit_sm`.
 * A reply the session no longer wants (timed out, aborted) is dropped, not sent.
 */
export function serveUssdOverSmpp(deps: HopHandlerDeps, link: SmppLink, provider: string, screenLimit: number): void {
  link.onDeliver(async (pdu) => {
    const deliver = toUssdDeliver(pdu);
    if (!deliver) return; // an ordinary SMS on a shared link: not ours
    const echo = {
      source_addr: deliver.source_addr,
      destination_addr: deliver.destination_addr,
      ...(deliver.its_session_info ? { its_session_info: Buffer.from(deliver.its_session_info).toString('hex') } : {}),
    };
    const parsed = parseUssdDeliver(deliver);
    if (!parsed.ok) {
      if (parsed.kind === 'end') await link.submit(renderUssdSubmit(channelScreen(parsed.reason, 'fr'), echo), REPLY_TTL_MS);
      else deps.logger.warn({ provider, reason: parsed.reason }, 'unusable USSD deliver_sm');
      return;
    }
    if ('notice' in parsed) return;
    if ('ended' in parsed) {
      await endSession(deps, provider, parsed.ended.sessionId, parsed.ended.reason);
      return;
    }
    const started = performance.now();
    let answer;
    try {
      answer = await handleHop(deps, provider, parsed.hop, screenLimit);
    } catch (error) {
      deps.logger.error({ provider, err: error instanceof Error ? error.message : String(error) }, 'hop failed');
      deps.metrics.observeHop(provider, 'failed', (performance.now() - started) / 1000);
      answer = { screen: channelScreen('unavailable', 'fr'), deliver: true };
    }
    if (!answer.deliver) {
      deps.logger.info({ provider, session: parsed.hop.sessionId }, 'late USSD reply dropped: the session ended meanwhile');
      return;
    }
    deps.metrics.observeHop(provider, answer.screen.end ? 'end' : 'continue', (performance.now() - started) / 1000);
    await link.submit(renderUssdSubmit(answer.screen, parsed.hop.echo ?? echo), REPLY_TTL_MS);
  });
}

/** The USSD fields of a `deliver_sm`, or null when it is not a USSD message. */
function toUssdDeliver(pdu: Pdu): UssdDeliver | null {
  if (pdu.command !== 'deliver_sm') return null;
  const op = typeof pdu.ussd_service_op === 'number' ? pdu.ussd_service_op : undefined;
  if (op === undefined && pdu.service_type !== 'USSD') return null;
  const info = pdu.its_session_info;
  return {
    service_type: typeof pdu.service_type === 'string' ? pdu.service_type : undefined,
    source_addr: String(pdu.source_addr ?? ''),
    destination_addr: String(pdu.destination_addr ?? ''),
    message: messageText(pdu.short_message) || messageText(pdu.message_payload),
    ussd_service_op: op,
    its_session_info: info instanceof Uint8Array ? info : undefined,
  };
}
