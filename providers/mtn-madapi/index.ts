import type { ProviderManifest } from '../manifest.js';
import { mtnMadapiUssd } from './ussd.js';

/**
 * MTN MADAPI: a USSD dialect over HTTP (`POST /ussd/mtn-madapi`). The callback URL is subscribed
 * with `guichet madapi subscribe` (`subscription.ts`), not at start.
 */
export const mtnMadapi: ProviderManifest = {
  name: 'mtn-madapi',
  ussd: { transport: 'http', dialect: mtnMadapiUssd },
};
