import type { ProviderManifest } from '../manifest.js';
import { arkeselUssd } from './ussd.js';

/** Arkesel: a USSD dialect over HTTP (`POST /ussd/arkesel`). */
export const arkesel: ProviderManifest = {
  name: 'arkesel',
  ussd: { transport: 'http', dialect: arkeselUssd },
};
