import { paymentApi, withRuntimeFetch, type ProviderManifest } from '../manifest.js';
import { createFedapay, fedapayEnv } from './collection.js';

/** FedaPay (MTN and Moov wallets): collections without redirection; webhooks HMAC-signed (`webhook.ts`). */
export const fedapay: ProviderManifest = {
  name: 'fedapay',
  payment: paymentApi({ name: 'fedapay', env: fedapayEnv, create: (settings, runtime) => createFedapay(withRuntimeFetch(settings, runtime)), callback: 'signature' }),
};
