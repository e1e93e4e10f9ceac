import type { ProviderManifest } from '../manifest.js';
import { naloUssd } from './ussd.js';

/** Nalo: a USSD dialect over HTTP (`POST /ussd/nalo`). */
export const nalo: ProviderManifest = {
  name: 'nalo',
  ussd: { transport: 'http', dialect: naloUssd },
};
