import { paymentApi, withRuntimeFetch, type ProviderManifest } from '../manifest.js';
import { createMomoCollection, momoEnv } from './collection.js';

/** MTN MoMo Open API, Collection: requests to pay; its callbacks are unsigned, only a cue to ask the status API. */
export const mtnMomo: ProviderManifest = {
  name: 'mtn-momo',
  payment: paymentApi({ name: 'mtn-momo', env: momoEnv, create: (settings, runtime) => createMomoCollection(withRuntimeFetch(settings, runtime)), callback: 'unsigned' }),
};
