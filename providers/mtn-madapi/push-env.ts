import { z } from 'zod';
import type { EnvSchema, ProviderEnv } from '../manifest.js';

export interface MadapiPushSettings {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
}

/**
 * `MADAPI_API_KEY` (the `x-api-key`, shared with `guichet madapi subscribe`), `MADAPI_BASE_URL`
 * (default `https://api.mtn.com/v1`, the swagger's host and basePath), `MADAPI_PUSH_TIMEOUT_MS`
 * (default 10 000). Without the key there is no MADAPI push route.
 */
export const madapiPushEnv: EnvSchema<MadapiPushSettings | undefined> = z
  .custom<ProviderEnv>((value) => typeof value === 'object' && value !== null, 'want the environment')
  .transform((env, ctx) => {
    const apiKey = env.MADAPI_API_KEY || undefined;
    if (!apiKey) return undefined;
    const baseUrl = env.MADAPI_BASE_URL || 'https://api.mtn.com/v1';
    if (!/^https?:\/\/[^\s]+$/.test(baseUrl)) ctx.addIssue({ code: 'custom', message: 'want an http(s) URL', path: ['MADAPI_BASE_URL'] });
    const timeout = Number(env.MADAPI_PUSH_TIMEOUT_MS ?? 10_000);
    if (!Number.isInteger(timeout) || timeout < 1000 || timeout > 60_000) ctx.addIssue({ code: 'custom', message: 'want 1000..60000', path: ['MADAPI_PUSH_TIMEOUT_MS'] });
    return { baseUrl, apiKey, timeoutMs: timeout };
  });
