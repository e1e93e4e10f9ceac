import type { ProviderManifest } from '../manifest.js';
import { hubtelUssd } from './ussd.js';

/** Hubtel: a USSD dialect over HTTP (`POST /ussd/hubtel`). */
export const hubtel: ProviderManifest = {
  name: 'hubtel',
  ussd: { transport: 'http', dialect: hubtelUssd },
};
