import type { ProviderManifest } from '../manifest.js';
import { smppUssdLinksEnv } from './links.js';
import { smppUssd } from './ussd.js';

/**
 * USSD over operators' SMPP links: the dialect (`deliver_sm` in, `submit_sm` out) is plain code;
 * the links, one per `SMPP_USSD_<OP>_*` group, are opened by the Node runtime.
 */
export const smppUssdProvider: ProviderManifest = {
  name: 'smpp-ussd',
  ussd: { transport: 'smpp', dialect: smppUssd, env: smppUssdLinksEnv },
  // Every USSD link also pushes (USSN, `push.ts`): route `smpp-<operator>` in USSD_PUSH_ROUTES.
  ussdPush: { link: 'smpp' },
};
