import type { Logger } from '../../src/observability/logger.js';
import { maskMsisdn } from '../../src/privacy/mask.js';
import type { SmsRoute } from '../../src/sms/sms-route.js';

/**
 * The embedded default's route: nothing leaves the machine. The message goes to the log (number
 * masked) and is reported delivered a moment later, so the whole status cycle can be tried.
 */
export function createSandboxSmsRoute(logger: Logger, onDelivered: (providerMessageId: string) => void): SmsRoute {
  let sequence = 0;
  return {
    name: 'sandbox',
    async send(sms) {
      const providerMessageId = `sandbox-${++sequence}`;
      logger.info({ to: maskMsisdn(sms.to), encoding: sms.encoding, text: sms.text }, 'SMS (sandbox route: not sent)');
      setTimeout(() => onDelivered(providerMessageId), 50).unref?.();
      return { providerMessageId };
    },
  };
}
