/**
 * The two ways a security server is spoken to: the address of a service, the headers that name
 * the caller and the service, and how the platform's own faults are told apart from the provider's
 * answer. Everything else (time-outs, breaker, typed errors) is the client's and is shared.
 */

import type { HttpAnswer } from '../lib/http-fetch.js';

/** `BJ/GOV/<MEMBER>/<SUBSYSTEM>`: who is calling, or who provides. */
export interface SubsystemId {
  instance: string;
  memberClass: string;
  memberCode: string;
  subsystem: string;
}

export interface ServiceRef extends SubsystemId {
  service: string;
  /** UXP names versions (`v1`); X-Road r1 does not. */
  version?: string;
}

export const subsystemPath = (s: SubsystemId) => `${s.instance}/${s.memberClass}/${s.memberCode}/${s.subsystem}`;
export const serviceKey = (s: ServiceRef) => `${subsystemPath(s)}/${s.service}`;

/** What a request says besides its body: who asks, on whose behalf, in which case. */
export interface AddressedCall {
  client: SubsystemId;
  service: ServiceRef;
  /** Appended to the service's address, e.g. `/requests/PS00373-240001`. */
  path: string;
  messageId: string;
  /** The end user on whose behalf the call is made. */
  userId?: string;
  /** The case the call belongs to (a payment id, a request number). */
  issue?: string;
}

/** A fault raised by the platform itself (a security server), not by the provider behind it. */
export interface PlatformFault {
  type: string;
  message?: string;
  detail?: string;
}

/** An answer's headers, read by name (`Headers`, or the Node client's own: `src/lib/http-fetch.ts`). */
export type AnswerHeaders = HttpAnswer['headers'];

export interface InteropDialect {
  name: 'xroad-r1' | 'uxp';
  address(securityServerUrl: string, call: AddressedCall): { url: string; headers: Record<string, string> };
  /** The platform's fault, or undefined when the answer (even a 4xx or 5xx) is the provider's own. */
  fault(headers: AnswerHeaders, body: unknown): PlatformFault | undefined;
  /** The platform's id of the exchange, for the logs. */
  messageId(headers: AnswerHeaders): string | undefined;
}

/**
 * X-Road REST (PR-REST 1.0): `{server}/r1/{INSTANCE}/{CLASS}/{MEMBER}/{SUBSYSTEM}/{SERVICE}{path}`,
 * `X-Road-Client`, `X-Road-Id`, optional `X-Road-UserId` and `X-Road-Issue`. Errors of the security
 * server carry the `X-Road-Error` header and a `{type, message, detail}` body; without the header the
 * body is the provider's own answer, even when it happens to have a `type` field.
 *
 * @see https://github.com/nordic-institute/X-Road/blob/develop/doc/Protocols/pr-rest_x-road_message_protocol_for_rest.md
 */
export const xroadR1: InteropDialect = {
  name: 'xroad-r1',
  address(server, call) {
    return {
      url: `${server}/r1/${serviceKey(call.service)}${call.path}`,
      headers: {
        'x-road-client': subsystemPath(call.client),
        'x-road-id': call.messageId,
        ...(call.userId ? { 'x-road-userid': call.userId } : {}),
        ...(call.issue ? { 'x-road-issue': call.issue } : {}),
      },
    };
  },
  fault(headers, body) {
    const type = headers.get('x-road-error');
    if (!type) return undefined;
    const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    return {
      type: typeof fields.type === 'string' ? fields.type : type,
      ...(typeof fields.message === 'string' ? { message: fields.message } : {}),
      ...(typeof fields.detail === 'string' ? { detail: fields.detail } : {}),
    };
  },
  messageId: (headers) => headers.get('x-road-id') ?? undefined,
};

/**
 * Cybernetica UXP, as Benin's platform runs it: `{server}{pathPrefix}{path}` (prefix `/restapi`),
 * the service named by `Uxp-Service: INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/VERSION]` and the caller
 * by `Uxp-Client`; answers carry `uxp-transaction-id`, and the platform's faults come as
 * `uxp-faultcode` / `uxp-faultstring` headers. No public Cybernetica specification was found: this
 * follows community clients of Benin's platform (a portal demo's `buildServiceRequest` and its logging
 * of `uxp-transaction-id`, `uxp-faultcode`, `uxp-faultstring`). The user and issue headers are
 * inferred from the `Uxp-` naming; a security server ignores headers it does not know.
 */
export function uxp(pathPrefix = '/restapi'): InteropDialect {
  return {
    name: 'uxp',
    address(server, call) {
      return {
        url: `${server}${pathPrefix}${call.path}`,
        headers: {
          'uxp-client': subsystemPath(call.client),
          'uxp-service': `${serviceKey(call.service)}${call.service.version ? `/${call.service.version}` : ''}`,
          ...(call.userId ? { 'uxp-userid': call.userId } : {}),
          ...(call.issue ? { 'uxp-issue': call.issue } : {}),
        },
      };
    },
    fault(headers) {
      const type = headers.get('uxp-faultcode');
      if (!type) return undefined;
      const message = headers.get('uxp-faultstring');
      return { type, ...(message ? { message } : {}) };
    },
    messageId: (headers) => headers.get('uxp-transaction-id') ?? undefined,
  };
}
