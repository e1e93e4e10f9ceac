import { paymentApi, withRuntimeFetch, type ProviderManifest } from '../manifest.js';
import { createKkiapay, kkiapayEnv } from './collection.js';

/** KKiaPay: direct debits; webhooks carry a shared secret (`webhook.ts`), the status API decides. */
export const kkiapay: ProviderManifest = {
  name: 'kkiapay',
  payment: paymentApi({ name: 'kkiapay', env: kkiapayEnv, create: (settings, runtime) => createKkiapay(withRuntimeFetch(settings, runtime)), callback: 'shared-secret' }),
};
