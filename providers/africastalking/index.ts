import { z } from 'zod';
import type { ProviderManifest } from '../manifest.js';
import { africasTalkingSmsCallbacks } from './callbacks.js';
import { createAfricasTalkingSmsRoute, type AfricasTalkingAccount } from './sms.js';
import { africasTalkingUssd } from './ussd.js';

/** `AT_USERNAME` and `AT_API_KEY` (with `AT_SMS_FROM`, the sender id) configure the `africastalking` SMS route. */
const smsEnv = z
  .object({ AT_USERNAME: z.string().optional(), AT_API_KEY: z.string().optional(), AT_SMS_FROM: z.string().optional() })
  .transform((e, ctx) => {
    if (Boolean(e.AT_USERNAME) !== Boolean(e.AT_API_KEY)) ctx.addIssue({ code: 'custom', message: 'AT_USERNAME and AT_API_KEY go together', path: [] });
    if (!e.AT_USERNAME || !e.AT_API_KEY) return [];
    const account: AfricasTalkingAccount = { username: e.AT_USERNAME, apiKey: e.AT_API_KEY, ...(e.AT_SMS_FROM ? { from: e.AT_SMS_FROM } : {}) };
    return [{ route: 'africastalking', variable: 'AT_USERNAME', settings: account }];
  });

/** Africa's Talking: USSD aggregator (form POSTs) and SMS route through its SDK, with its callbacks. */
export const africasTalking: ProviderManifest = {
  name: 'africastalking',
  ussd: { transport: 'http', dialect: africasTalkingUssd },
  sms: {
    link: 'africastalking-sdk',
    env: smsEnv,
    variablesFor: (route) => (route === 'africastalking' ? 'AT_USERNAME and AT_API_KEY' : undefined),
    create: (account, _runtime, send) => createAfricasTalkingSmsRoute(send, account.from),
    callbacks: africasTalkingSmsCallbacks,
  },
};
