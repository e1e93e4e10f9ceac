import type { ErrorOutcome, RouteDescriptor, SecurityScheme } from '../../http/route-descriptor.js';
import { CALLBACK_SECRET_HEADER, CALLBACK_SECRET_PARAMETER } from './callback-auth.js';

/**
 * What every SMS route's callbacks share in the OpenAPI document: the route's secret
 * (`SMS_<ROUTE>_CALLBACK_SECRET`, in the query since a callback URL is a fixed string in the
 * provider's configuration, or in a header), the allowlist, and the refusals.
 */
export const smsCallbackSecretQuery: SecurityScheme = {
  name: 'smsCallbackSecretQuery',
  scheme: {
    type: 'apiKey',
    in: 'query',
    name: CALLBACK_SECRET_PARAMETER,
    description: 'The route’s SMS_<ROUTE>_CALLBACK_SECRET, written into the callback URLs given to the provider. With SMS_<ROUTE>_ALLOW_IPS set, the caller’s address must also be in that list (403 otherwise). Neither set: open, which configuration allows on loopback only.',
  },
};

export const smsCallbackSecretHeader: SecurityScheme = {
  name: 'smsCallbackSecretHeader',
  scheme: { type: 'apiKey', in: 'header', name: CALLBACK_SECRET_HEADER, description: 'The same secret in a header, for a proxy or provider that can set one.' },
};

export const SMS_CALLBACK_SECURITY: RouteDescriptor['security'] = [[smsCallbackSecretQuery], [smsCallbackSecretHeader], []];

/** Checked before anything is read (secret, allowlist, size), then the fields; a store away is a 503 so the provider retries. */
export const SMS_CALLBACK_ERRORS: readonly ErrorOutcome[] = ['bad_request', 'unauthorized', 'forbidden', 'payload_too_large', 'unavailable'];

/** The answer every SMS callback gets: 200, quickly, with nothing to send back to the citizen. */
export const SMS_CALLBACK_RECORDED = { 200: { description: 'Recorded. The body is empty: Kannel would send any text back to the citizen as a reply.' } } as const;
