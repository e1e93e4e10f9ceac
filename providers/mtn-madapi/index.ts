import { portableUssdPush, type ProviderManifest } from '../manifest.js';
import { createMadapiPushRoute } from './push.js';
import { madapiPushEnv } from './push-env.js';
import { mtnMadapiUssd } from './ussd.js';

/**
 * MTN MADAPI: a USSD dialect over HTTP (`POST /ussd/mtn-madapi`). The callback URL is subscribed
 * with `guichet madapi subscribe` (`subscription.ts`), not at start.
 */
export const mtnMadapi: ProviderManifest = {
  name: 'mtn-madapi',
  ussd: { transport: 'http', dialect: mtnMadapiUssd },
  // Outbound USSD (`POST /messages/ussd/outbound`) for pushes, when MADAPI_API_KEY is set.
  ussdPush: portableUssdPush({
    route: 'mtn-madapi',
    env: madapiPushEnv,
    create: (settings, runtime) => createMadapiPushRoute({ ...settings, serviceCode: runtime.from }),
  }),
};
