import { z } from 'zod';
import type { UssdPushOutcome, UssdPushRoute } from '../../src/ussd-push/port.js';

/**
 * MTN MADAPI's network-initiated USSD: `POST {base}/messages/ussd/outbound` (operationId
 * `sendUSSDRequest`), body `OutboundRequest {sessionId, messageType, msisdn, serviceCode, ussdString}`
 * with `messageType` "3" (Notification: the text on the screen, no session), auth `x-api-key`;
 * answered 201 `OutboundResponse {statusCode, statusMessage, transactionId, data: {outboundResponse,
 * sessionId, msisdn}, _link}` where `outboundResponse` "0000" (the swagger: "Value 0 indicates
 * success") is a success, and the `Error` body for 4xx/5xx (swagger copy: api-evangelist/mtn-group
 * `openapi/_original/mtn-group-ussd.yml`; samples in `fixtures.ts`).
 *
 * MADAPI documents no later callback for a notification: its answer is all we learn, so a success
 * is taken as the handset's confirmation (the USSD gateway answers once the USSN was acknowledged;
 * inferred, the swagger does not say). A 4xx is `refused`; a 5xx, a time-out or no connection is
 * `failed`: either way the SMS follows.
 */
export interface MadapiPushConfig {
  baseUrl: string;
  apiKey: string;
  /** Our short code as MADAPI knows it (`USSD_PUSH_FROM`, e.g. `123`). */
  serviceCode: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** The swagger's `messageType` values; a push is a Notification. */
export const MADAPI_MESSAGE_TYPE = { BEGIN: '0', CONTINUE: '1', END: '2', NOTIFICATION: '3', CANCEL: '4', TIMEOUT: '5' } as const;

const OutboundResponse = z.object({
  statusCode: z.string().optional(),
  statusMessage: z.string().optional(),
  transactionId: z.string().optional(),
  data: z.object({ outboundResponse: z.union([z.string(), z.number()]) }),
});
const ErrorBody = z.object({ statusCode: z.string().optional(), statusMessage: z.string().optional() });

/** "0000" per the example, "0" per the description: both are zero. */
const isSuccess = (value: string | number) => /^0+$/.test(String(value));

export function createMadapiPushRoute(config: MadapiPushConfig): UssdPushRoute {
  const doFetch = config.fetch ?? fetch;
  return {
    name: 'mtn-madapi',
    async push(request): Promise<UssdPushOutcome> {
      const body = {
        // Ours, unique per notification; MADAPI echoes it in `data.sessionId`.
        sessionId: request.id,
        messageType: MADAPI_MESSAGE_TYPE.NOTIFICATION,
        msisdn: request.to.replace(/^\+/, ''),
        serviceCode: config.serviceCode,
        ussdString: request.text,
      };
      let response: Response;
      try {
        response = await doFetch(`${config.baseUrl.replace(/\/+$/, '')}/messages/ussd/outbound`, {
          method: 'POST',
          headers: { 'x-api-key': config.apiKey, 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(config.timeoutMs ?? 10_000),
        });
      } catch (error) {
        return { kind: 'failed', detail: `MADAPI not reached or no answer: ${error instanceof Error ? error.message : String(error)}` };
      }
      const json: unknown = await response.json().catch(() => null);
      if (response.ok) {
        const parsed = OutboundResponse.safeParse(json);
        if (!parsed.success) return { kind: 'failed', detail: `MADAPI HTTP ${response.status} without data.outboundResponse` };
        const { outboundResponse } = parsed.data.data;
        const transaction = parsed.data.transactionId ? ` (transaction ${parsed.data.transactionId})` : '';
        return isSuccess(outboundResponse)
          ? { kind: 'confirmed', detail: `MADAPI outboundResponse ${outboundResponse}${transaction}` }
          : { kind: 'refused', detail: `MADAPI outboundResponse ${outboundResponse}${transaction}` };
      }
      const error = ErrorBody.safeParse(json);
      const code = error.success && error.data.statusCode ? ` ${error.data.statusCode}` : '';
      const message = error.success && error.data.statusMessage ? ` ${error.data.statusMessage}` : '';
      return { kind: response.status >= 500 ? 'failed' : 'refused', detail: `MADAPI HTTP ${response.status}${code}${message}` };
    },
  };
}
