import { z } from 'zod';
import { fetchWithin } from '../../src/lib/deadline.js';
import type { HttpFetch } from '../../src/lib/http-fetch.js';
import { parseEnv, type ProviderEnv } from '../manifest.js';
import type { CallbackParser } from '../../src/payments/payment-provider-callback.js';
import type { CollectionRef, CollectionRequest, PaymentProvider, ProviderStatus } from '../../src/payments/port.js';
import { momoCallbackDoc } from './openapi.js';

export interface MomoConfig {
  baseUrl: string;
  apiUser: string;
  apiKey: string;
  subscriptionKey: string;
  /** `sandbox`; Benin production reportedly `mtnbenin`. */
  targetEnvironment: string;
  /** Where MoMo PUTs its (unsigned) callback. */
  callbackUrl?: string;
  /** The sandbox only accepts EUR. */
  currency?: string;
  /** Per HTTP call (token, account check, request-to-pay, status). */
  timeoutMs?: number;
  /** Outbound HTTP: the global `fetch` unless the runtime hands one (Node: its keep-alive client). */
  fetch?: HttpFetch;
  now?: () => number;
}

const tokenAnswer = z.object({ access_token: z.string().min(1), expires_in: z.coerce.number().positive() });
/**
 * The status answer (sparkplug/momoapi-node `tests/mock.ts`: `amount` a string, `currency`). The
 * status is read as any text: the docs list PENDING, SUCCESSFUL and FAILED, others are seen in the
 * wild (protocols.md), and those must never settle a payment.
 */
const statusAnswer = z.object({
  status: z.string().min(1),
  financialTransactionId: z.string().optional(),
  amount: z.union([z.string(), z.number()]).optional(),
  currency: z.string().optional(),
  reason: z.union([z.string(), z.object({ code: z.string().optional() }).passthrough()]).optional(),
});
const accountHolderAnswer = z.object({ result: z.boolean() });
const callbackBody = z.object({ externalId: z.string().min(1) }).passthrough();

/** Refresh this long before the announced expiry, so no request leaves with a dying token. */
const TOKEN_MARGIN_MS = 60_000;

/**
 * MTN MoMo Open API, Collection product. The payment id is the `X-Reference-Id` (a UUID v4) and
 * the `externalId`; callbacks are unsigned, so they only say which payment to re-check.
 */
export function createMomoCollection(config: MomoConfig): PaymentProvider & CallbackParser {
  const http = config.fetch ?? fetch;
  const now = config.now ?? Date.now;
  const timeoutMs = config.timeoutMs ?? 10_000;
  const currency = config.currency ?? 'XOF';
  let token: { value: string; refreshAt: number } | null = null;
  let tokenInFlight: Promise<string> | null = null;

  async function bearer(signal?: AbortSignal): Promise<string> {
    signal?.throwIfAborted();
    if (token && now() < token.refreshAt) return token.value;
    // One token request at a time, however many collections are waiting for it.
    tokenInFlight ??= (async () => {
      // Shared by every caller waiting for it: its own deadline, not one caller's signal.
      const res = await fetchWithin(
        http,
        `${config.baseUrl}/collection/token/`,
        {
          method: 'POST',
          headers: {
            authorization: `Basic ${btoa(`${config.apiUser}:${config.apiKey}`)}`,
            'ocp-apim-subscription-key': config.subscriptionKey,
          },
        },
        timeoutMs,
      );
      if (!res.ok) throw new Error(`momo token: HTTP ${res.status}`);
      const answer = tokenAnswer.parse(await res.json());
      token = { value: answer.access_token, refreshAt: now() + answer.expires_in * 1000 - TOKEN_MARGIN_MS };
      return answer.access_token;
    })().finally(() => {
      tokenInFlight = null;
    });
    return tokenInFlight;
  }

  async function headers(signal?: AbortSignal): Promise<Record<string, string>> {
    return {
      authorization: `Bearer ${await bearer(signal)}`,
      'x-target-environment': config.targetEnvironment,
      'ocp-apim-subscription-key': config.subscriptionKey,
    };
  }

  async function checkStatus({ paymentId }: CollectionRef, signal?: AbortSignal): Promise<ProviderStatus> {
    const res = await fetchWithin(http, `${config.baseUrl}/collection/v1_0/requesttopay/${encodeURIComponent(paymentId)}`, { headers: await headers(signal) }, timeoutMs, signal);
    // RESOURCE_NOT_FOUND right after a 202 is MoMo not having stored the request yet (or a lost
    // request-to-pay): not a verdict. The payment stays pending and its expiry closes it.
    if (res.status === 404) return { status: 'pending' };
    if (!res.ok) throw new Error(`momo status: HTTP ${res.status}`);
    const answer = statusAnswer.parse(await res.json());
    if (answer.status === 'PENDING') return { status: 'pending' };
    if (answer.status === 'SUCCESSFUL') {
      // The service compares both with the fee: a success for another sum or currency is not
      // credited, and one that names neither could be for any sum (asked again later).
      if (answer.amount === undefined || answer.currency === undefined) throw new Error(`momo status: SUCCESSFUL without an amount and currency`);
      return {
        status: 'succeeded',
        providerTransactionId: answer.financialTransactionId ?? paymentId,
        amountXof: Number(answer.amount),
        currency: answer.currency,
      };
    }
    if (answer.status === 'FAILED') {
      const reason = typeof answer.reason === 'string' ? answer.reason : (answer.reason?.code ?? 'FAILED');
      return { status: 'failed', reason };
    }
    // Any other status (ONGOING, CREATED, …): asked again later, never final.
    throw new Error(`momo status: unknown status "${answer.status}"`);
  }

  /**
   * MoMo's account-holder check. Advisory: only a clear `result: false` stops the collection; an
   * error or an odd answer (the sandbox is flaky here) lets the request-to-pay decide.
   */
  async function accountHolderActive(msisdn: string, signal?: AbortSignal): Promise<boolean | null> {
    try {
      const res = await fetchWithin(http, `${config.baseUrl}/collection/v1_0/accountholder/msisdn/${msisdn.replace(/^\+/, '')}/active`, { headers: await headers(signal) }, timeoutMs, signal);
      if (!res.ok) return null;
      const answer = accountHolderAnswer.safeParse(await res.json());
      return answer.success ? answer.data.result : null;
    } catch (error) {
      if (signal?.aborted) throw error;
      return null;
    }
  }

  return {
    name: 'mtn-momo',
    callbackDoc: momoCallbackDoc(callbackBody),
    // The payment id is the X-Reference-Id: a resend is answered 409 and read back.
    resendSafe: true,
    callsBack: config.callbackUrl !== undefined,
    currency,
    async requestCollection(request: CollectionRequest, signal?: AbortSignal): Promise<ProviderStatus> {
      // No PIN prompt to a number without an active wallet: the citizen learns why at once.
      if ((await accountHolderActive(request.payerMsisdn, signal)) === false) return { status: 'failed', reason: 'PAYER_NOT_ACTIVE' };
      const res = await fetchWithin(http, `${config.baseUrl}/collection/v1_0/requesttopay`, {
        method: 'POST',
        headers: {
          ...(await headers(signal)),
          'x-reference-id': request.paymentId,
          'content-type': 'application/json',
          ...(config.callbackUrl ? { 'x-callback-url': config.callbackUrl } : {}),
        },
        body: JSON.stringify({
          amount: String(request.amountXof),
          currency,
          externalId: request.paymentId,
          payer: { partyIdType: 'MSISDN', partyId: request.payerMsisdn.replace(/^\+/, '') },
          payerMessage: request.description,
          payeeNote: request.description,
        }),
      }, timeoutMs, signal);
      // 409: this reference was already sent (a retried job after a lost answer): ask its status.
      if (res.status === 409) return checkStatus(request, signal);
      if (res.status !== 202) throw new Error(`momo requesttopay: HTTP ${res.status}`);
      return { status: 'pending' };
    },
    checkStatus,
    async parseCallback(request) {
      let body: unknown;
      try {
        body = JSON.parse(request.rawBody);
      } catch {
        return { kind: 'rejected', httpStatus: 400, reason: 'body is not JSON' };
      }
      const parsed = callbackBody.safeParse(body);
      if (!parsed.success) return { kind: 'rejected', httpStatus: 400, reason: 'no externalId' };
      return { kind: 'hint', paymentId: parsed.data.externalId };
    },
  };
}

/** `MOMO_*`: secrets come from env only; a missing one stops the gateway at start, naming the variable. */
export const momoEnv = z
  .object({
    MOMO_BASE_URL: z.string().url(),
    MOMO_API_USER: z.string().min(1),
    MOMO_API_KEY: z.string().min(1),
    MOMO_SUBSCRIPTION_KEY: z.string().min(1),
    MOMO_TARGET_ENVIRONMENT: z.string().min(1).default('sandbox'),
    MOMO_CALLBACK_URL: z.string().url().optional(),
    MOMO_CURRENCY: z.string().length(3).optional(),
    MOMO_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  })
  .transform(
    (e): MomoConfig => ({
      baseUrl: e.MOMO_BASE_URL,
      apiUser: e.MOMO_API_USER,
      apiKey: e.MOMO_API_KEY,
      subscriptionKey: e.MOMO_SUBSCRIPTION_KEY,
      targetEnvironment: e.MOMO_TARGET_ENVIRONMENT,
      callbackUrl: e.MOMO_CALLBACK_URL,
      currency: e.MOMO_CURRENCY,
      timeoutMs: e.MOMO_TIMEOUT_MS,
    }),
  );

export function momoConfigFromEnv(env: ProviderEnv): MomoConfig {
  return parseEnv(momoEnv, env);
}
