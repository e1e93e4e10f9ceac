import type { Pdu } from 'smpp';
import { smppUssd, type SessionInfoPolicy, type UssdDeliver } from '../../../../providers/smpp-ussd/ussd.js';
import type { HopHandlerDeps } from '../../../channels/ussd/hop-handler.js';
import { sessionForLog } from '../../../channels/ussd/log-fields.js';
import { runHopPipeline } from '../../../channels/ussd/hop-pipeline.js';
import type { UssdProviderSettings } from '../../../channels/ussd/provider-settings.js';
import { messageText } from './message-text.js';
import type { DeliverContext, SmppLink } from './smpp-link.js';

/** A USSD reply that cannot reach the handset within this time is not worth sending. */
const REPLY_TTL_MS = 20_000;

export interface SmppUssdOptions {
  /** Sessions, metrics and `USSD_<PROVIDER>_*` settings are filed under this name (`smpp-<operator>`). */
  provider: string;
  /** The link's screen limit (`SMPP_USSD_<OP>_SCREEN_LIMIT`); `USSD_<PROVIDER>_SCREEN_LIMIT` wins. */
  screenLimit: number;
  /** What our `its_session_info` says (`SMPP_USSD_<OP>_SESSION_INFO`); default SMPP 3.4 `sequence`. */
  sessionInfo?: SessionInfoPolicy;
  /** The provider's short codes, encoding and screen limit, as for HTTP providers. */
  settings?: UssdProviderSettings;
}

/**
 * Serves USSD dialogues arriving on an SMPP link: each `deliver_sm` carrying `ussd_service_op`
 * goes through the same hop pipeline as the HTTP dialects (short codes, screen limit, GSM-7-only
 * routes) and is answered with a `submit_sm`. A reply the session no longer wants (timed out,
 * aborted) is dropped, not sent.
 */
export function serveUssdOverSmpp(deps: HopHandlerDeps, link: SmppLink, options: SmppUssdOptions): void {
  const { provider } = options;
  const policy = options.sessionInfo ?? 'sequence';
  link.onDeliver(async (pdu, context) => {
    const deliver = toUssdDeliver(pdu, context);
    if (!deliver) return; // an ordinary SMS on a shared link: not ours
    const outcome = await runHopPipeline(deps, provider, smppUssd.parse(deliver), options.settings, options.screenLimit);
    if (outcome.type === 'reject') {
      deps.logger.warn({ provider, reason: outcome.reason }, 'unusable USSD deliver_sm');
      return;
    }
    if (outcome.type === 'acknowledge') return;
    if (!outcome.deliver) {
      deps.logger.info({ provider, session: outcome.hop ? sessionForLog(outcome.hop.sessionId) : undefined }, 'late USSD reply dropped: the session ended meanwhile');
      return;
    }
    await link.submit(smppUssd.render(outcome.screen, outcome.hop?.echo ?? smppUssd.echoOf(deliver), policy), REPLY_TTL_MS);
  });
}

/** The USSD fields of a `deliver_sm`, or null when it is not a USSD message. */
function toUssdDeliver(pdu: Pdu, context: DeliverContext): UssdDeliver | null {
  if (pdu.command !== 'deliver_sm') return null;
  const op = typeof pdu.ussd_service_op === 'number' ? pdu.ussd_service_op : undefined;
  if (op === undefined && pdu.service_type !== 'USSD') return null;
  const info = pdu.its_session_info;
  const deliver: UssdDeliver = {
    service_type: typeof pdu.service_type === 'string' ? pdu.service_type : undefined,
    source_addr: String(pdu.source_addr ?? ''),
    destination_addr: String(pdu.destination_addr ?? ''),
    message: messageText(pdu.short_message) || messageText(pdu.message_payload),
    ussd_service_op: op,
    its_session_info: info instanceof Uint8Array ? info : undefined,
    bindId: context.bindId,
  };
  if (typeof pdu.sequence_number === 'number') deliver.sequence_number = pdu.sequence_number;
  for (const field of ['source_addr_ton', 'source_addr_npi', 'dest_addr_ton', 'dest_addr_npi'] as const) {
    const value = pdu[field];
    if (typeof value === 'number') deliver[field] = value;
  }
  return deliver;
}
