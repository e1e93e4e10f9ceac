import { z } from 'zod';
import { portableSmsRoute, type ProviderManifest } from '../manifest.js';
import { createSandboxSmsRoute } from './sms.js';

/**
 * The embedded default's SMS route, always there: nothing leaves the machine, each message is
 * reported delivered a moment later. Nothing to configure.
 */
export const sandboxSms: ProviderManifest = {
  name: 'sandbox-sms',
  sms: portableSmsRoute({
    env: z.object({}).transform(() => [{ route: 'sandbox', settings: {} }]),
    variablesFor: (route) => (route === 'sandbox' ? '(built in)' : undefined),
    create: (_settings, runtime) =>
      createSandboxSmsRoute(
        runtime.logger,
        (providerMessageId) => {
          void runtime.recordReport({ route: 'sandbox', providerMessageId, status: 'delivered', raw: 'sandbox delivered' });
        },
        runtime.sandboxInbox,
      ),
  }),
};
