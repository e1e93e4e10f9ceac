import type { BodyDescriptor, ErrorOutcome, RouteDescriptor, SecurityScheme } from '../../http/route-descriptor.js';
import { DEFAULT_SECRET_HEADER } from './provider-settings.js';

/**
 * A USSD dialect's wire format as the OpenAPI document shows it: what the provider posts for each
 * hop (and to its session-end URL, where it has one) and what we answer, with samples. The
 * dialect's `parse` reads the request by hand (its refusals name the provider's own fields, and it
 * accepts a number where a provider sends one for a string); these schemas say what it needs and
 * the tests hold them to it: every sample is accepted by the dialect, and without any field the
 * schema requires, some sample is refused.
 */
export interface UssdWireDoc {
  /** Where the provider documents the format. */
  reference: string;
  hop: { request: BodyDescriptor; answer: BodyDescriptor; notes: string };
  sessionEnd?: { request: BodyDescriptor; answer: BodyDescriptor; notes: string };
}

/** `USSD_<NAME>_SECRET`, in `x-guichet-secret` unless `USSD_<NAME>_SECRET_HEADER` names another header. */
export const ussdProviderSecret: SecurityScheme = {
  name: 'ussdProviderSecret',
  scheme: {
    type: 'apiKey',
    in: 'header',
    name: DEFAULT_SECRET_HEADER,
    description:
      'The provider’s shared secret, USSD_<NAME>_SECRET, in this header unless USSD_<NAME>_SECRET_HEADER names another. With USSD_<NAME>_ALLOW_IPS set, the caller’s address must also be in that list (403 otherwise). Neither set: open.',
  },
};

/** Every USSD route refuses these before the dialect reads anything. */
const GUARD_ERRORS: readonly ErrorOutcome[] = ['bad_encoding', 'unauthorized', 'forbidden', 'payload_too_large'];

/** The operations of one dialect: its hop URL and, where it has one, its session-end URL. */
export function ussdRouteDescriptors(dialect: { name: string; wire?: UssdWireDoc }): RouteDescriptor[] {
  const wire = dialect.wire;
  if (!wire) return [];
  const security = [[ussdProviderSecret], []] as const;
  const refusals: readonly ErrorOutcome[] = ['bad_request', ['bad_request', 415], ...GUARD_ERRORS];
  const hop: RouteDescriptor = {
    method: 'POST',
    path: `/ussd/${dialect.name}`,
    servedBy: '/ussd/:provider',
    operationId: `ussd.${dialect.name}.hop`,
    tag: 'ussd',
    summary: `${dialect.name}: one hop of a USSD session`,
    description: `${wire.hop.notes} Format: ${wire.reference}. A request that is not a valid hop is refused with a reason naming the provider’s own fields; a valid one the citizen cannot be served on (a number outside Benin, an input too long) is answered with a polite closing screen.`,
    security,
    request: { body: wire.hop.request },
    responses: { 200: { description: 'The next screen, or the closing one.', body: wire.hop.answer } },
    errors: refusals,
  };
  if (!wire.sessionEnd) return [hop];
  const end: RouteDescriptor = {
    method: 'POST',
    path: `/ussd/${dialect.name}/session-end`,
    servedBy: '/ussd/:provider/session-end',
    operationId: `ussd.${dialect.name}.sessionEnd`,
    tag: 'ussd',
    summary: `${dialect.name}: the end of a session`,
    description: `${wire.sessionEnd.notes} The reason is recorded with the session.`,
    security,
    request: { body: wire.sessionEnd.request },
    responses: { 200: { description: 'Recorded.', body: wire.sessionEnd.answer } },
    errors: [...refusals, 'unavailable'],
  };
  return [hop, end];
}
