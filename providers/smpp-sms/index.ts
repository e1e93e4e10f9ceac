import type { ProviderManifest } from '../manifest.js';
import { smppSmsLinksEnv } from '../smpp-ussd/links.js';

/** `SMPP_SMS_MOOV_URL`: the variable configuring the route `smpp-moov`. */
const urlVariable = (route: string) => `SMPP_SMS_${route.slice('smpp-'.length).toUpperCase().replace(/-/g, '_')}_URL`;

const smsEnv = smppSmsLinksEnv.transform((links) => links.map((link) => ({ route: link.provider, variable: urlVariable(link.provider), settings: link })));

/**
 * SMS over operators' SMPP links, one route per `SMPP_SMS_<OP>_*` group. The PDUs (`sms.ts`) are
 * plain code; the link and the route on it are the Node runtime's (`src/runtime/node/smpp/`).
 * Reports and inbound messages come on the link, authenticated by its bind: no HTTP callbacks.
 */
export const smppSms: ProviderManifest = {
  name: 'smpp-sms',
  sms: {
    link: 'smpp',
    env: smsEnv,
    variablesFor: (route) => (route.startsWith('smpp-') ? urlVariable(route) : undefined),
  },
};

