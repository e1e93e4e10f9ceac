import { z } from 'zod';
import { portableSmsRoute, type ProviderManifest } from '../manifest.js';
import { kannelSmsCallbacks } from './callbacks.js';
import { createKannelRoute, type KannelOptions } from './sms.js';

type KannelSettings = Omit<KannelOptions, 'callbackSecret' | 'fetch'>;

/**
 * `KANNEL_SENDSMS_URL` (smsbox's sendsms address) with its sendsms-user `KANNEL_USERNAME` and
 * `KANNEL_PASSWORD`, and `KANNEL_FROM`, configure the `kannel` route; `PUBLIC_URL` is where
 * Kannel's delivery reports come back to.
 */
const smsEnv = z
  .object({
    KANNEL_SENDSMS_URL: z.string().url().optional(),
    KANNEL_USERNAME: z.string().optional(),
    KANNEL_PASSWORD: z.string().optional(),
    KANNEL_FROM: z.string().default('ServPublic'),
    // Checked as a URL with the gateway's own variables; only its presence matters here.
    PUBLIC_URL: z.string().optional(),
  })
  .transform((e, ctx) => {
    const problem = (message: string) => ctx.addIssue({ code: 'custom', message, path: [] });
    if ((e.KANNEL_USERNAME || e.KANNEL_PASSWORD) && !e.KANNEL_SENDSMS_URL) problem('KANNEL_USERNAME/KANNEL_PASSWORD are set but KANNEL_SENDSMS_URL is not');
    if (e.KANNEL_SENDSMS_URL && (!e.KANNEL_USERNAME || !e.KANNEL_PASSWORD)) problem('KANNEL_SENDSMS_URL needs KANNEL_USERNAME and KANNEL_PASSWORD (its sendsms-user)');
    if (e.KANNEL_SENDSMS_URL && !e.PUBLIC_URL) problem('KANNEL_SENDSMS_URL needs PUBLIC_URL: Kannel sends delivery reports to PUBLIC_URL/sms/kannel/dlr');
    if (!e.KANNEL_SENDSMS_URL || !e.KANNEL_USERNAME || !e.KANNEL_PASSWORD || !e.PUBLIC_URL) return [];
    const settings: KannelSettings = { sendsmsUrl: e.KANNEL_SENDSMS_URL, username: e.KANNEL_USERNAME, password: e.KANNEL_PASSWORD, from: e.KANNEL_FROM, publicUrl: e.PUBLIC_URL };
    return [{ route: 'kannel', variable: 'KANNEL_SENDSMS_URL', settings }];
  });

/** Kannel (smsbox's sendsms interface over HTTP), an operator's or our own SMSC gateway, with its callbacks. */
export const kannel: ProviderManifest = {
  name: 'kannel',
  sms: portableSmsRoute({
    env: smsEnv,
    variablesFor: (route) => (route === 'kannel' ? 'KANNEL_SENDSMS_URL' : undefined),
    create: (settings, runtime) =>
      createKannelRoute({
        ...settings,
        // The dlr-url must carry the secret the report route checks.
        ...(runtime.callbacks?.secret !== undefined ? { callbackSecret: runtime.callbacks.secret } : {}),
      }),
    callbacks: kannelSmsCallbacks,
  }),
};
