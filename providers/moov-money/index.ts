import { paymentApi, withRuntimeFetch, type ProviderManifest } from '../manifest.js';
import { createMoovMoney, moovEnv } from './collection.js';

/** Moov Money (Flooz) push with pending: no callbacks, the status is polled. */
export const moovMoney: ProviderManifest = {
  name: 'moov-money',
  payment: paymentApi({ name: 'moov-money', env: moovEnv, create: (settings, runtime) => createMoovMoney(withRuntimeFetch(settings, runtime)) }),
};
