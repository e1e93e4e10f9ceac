import type { Logger } from '../../src/observability/logger.js';
import { maskMsisdn } from '../../src/lib/mask.js';
import { unrefTimer } from '../../src/lib/timers.js';
import type { SmsRoute } from '../../src/sms/port.js';
import type { SandboxInbox } from '../../src/sms/sandbox-inbox.js';

/**
 * The embedded default's route: nothing leaves the machine. The log says a message would have gone
 * (number masked, encoding, length) and it is reported delivered a moment later, so the whole
 * status cycle can be tried. Never the text: a reply to STATUT carries a request's number and its
 * status, which the USSD privacy rule shows only to the holder, and logs are read by others.
 */
export function createSandboxSmsRoute(logger: Logger, onDelivered: (providerMessageId: string) => void, inbox?: SandboxInbox): SmsRoute {
  let sequence = 0;
  return {
    name: 'sandbox',
    async send(sms) {
      const providerMessageId = `sandbox-${++sequence}`;
      logger.info({ id: sms.id, to: maskMsisdn(sms.to), encoding: sms.encoding, characters: sms.text.length }, 'SMS (sandbox route: not sent)');
      // The text for the web simulator's inbox only (never the log): a person trying a code flow reads it there.
      inbox?.record(sms.to, sms.text, Date.now());
      unrefTimer(setTimeout(() => onDelivered(providerMessageId), 50));
      return { providerMessageId };
    },
  };
}
