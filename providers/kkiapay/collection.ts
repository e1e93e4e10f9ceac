import { z } from 'zod';
import type { HttpAnswer, HttpFetch } from '../../src/lib/http-fetch.js';
import { fetchWithin } from '../../src/lib/deadline.js';
import { parseEnv, type ProviderEnv } from '../manifest.js';
import type { CallbackParser, CallbackVerdict } from '../../src/payments/payment-provider-callback.js';
import { kkiapayCallbackDoc } from './openapi.js';
import {
  AmbiguousCollectionError,
  type CollectionRef,
  type CollectionRequest,
  type PaymentProvider,
  type ProviderStatus,
} from '../../src/payments/port.js';
import { describeFetchFailure, sendOnce } from '../../src/lib/fetch-failure.js';
import { verifyKkiapaySecret } from './webhook.js';

/*
 * KKiaPay (Benin aggregator for MTN, Moov and Celtiis wallets). KKiaPay publishes no reference
 * for its HTTP API: the debit request follows its public JS SDK (`kkiapay/js-sdk`,
 * `lib/functions.js`), the status question its admin SDK (`kkiapay/nodejs-sdk`, `lib/opts.ts`
 * and `lib/http.ts`). Web-standard APIs only (`fetch`, Web Crypto): this file must run unchanged
 * on Cloudflare Workers.
 */

export interface KkiapayConfig {
  /** `https://api.kkiapay.me` (live) or `https://api-sandbox.kkiapay.me`. */
  baseUrl: string;
  /** The account's public key (`x-api-key`): all the debit request needs. */
  publicKey: string;
  /** The private key (`x-private-key`), for the status API. */
  privateKey: string;
  /** The API secret key (`x-secret-key` on the status API). */
  secret: string;
  /**
   * The webhook's hash secret, set on the dashboard with the webhook: what KKiaPay puts in
   * `x-kkiapay-secret` (docs.kkiapay.me, Dashboard › Webhook). Not the API secret key.
   */
  webhookSecret: string;
  /** Where KKiaPay POSTs its webhook for collections we start (`/payments/kkiapay/callback`). */
  callbackUrl?: string;
  /** Per HTTP call; past it a debit request is treated as possibly sent (never resent). */
  timeoutMs?: number;
  /** Outbound HTTP: the global `fetch` unless the runtime hands one (Node: its keep-alive client). */
  fetch?: HttpFetch;
}

/**
 * KKiaPay transaction statuses, as data. Anything else is an error, not a guess: a failed
 * payment is final, so only a status that proves the collection is over may map to `failed`.
 */
export const KKIAPAY_STATUSES: Readonly<Record<string, 'pending' | 'succeeded' | 'failed'>> = {
  PENDING: 'pending',
  SUCCESS: 'succeeded',
  FAILED: 'failed',
  INSUFFICIENT_FUND: 'failed',
};

/** Our payment id travels as `partnerId` and `stateData`; KKiaPay echoes both back. */
const ownerFields = {
  partnerId: z.string().nullish(),
  // Other integrations on the same account (the widget) send an object here: not ours to read.
  stateData: z.unknown().optional(),
};

/** A number, or a number written as text (the SDKs show both for amounts). */
const amount = z.union([z.number(), z.string().regex(/^\d+(?:\.\d+)?$/).transform(Number)]);

const statusAnswer = z.object({
  transactionId: z.string().min(1).optional(),
  status: z.string().min(1),
  amount: amount.optional(),
  failureCode: z.string().nullish(),
  failureMessage: z.string().nullish(),
  /** The community Python SDK shows a failure's cause here (`invalid_number`). */
  reason: z.string().nullish(),
  ...ownerFields,
});
type StatusAnswer = z.infer<typeof statusAnswer>;

/** The debit answer is not documented: only a transaction id, if there is one, is of use. */
const debitAnswer = z.object({ transactionId: z.union([z.string().min(1), z.number()]).transform(String) });
/** How KKiaPay words a refusal (the admin SDK reads `reason` from it). */
const refusal = z.object({ status: z.union([z.number(), z.string()]), reason: z.string().min(1) });
const webhookBody = z.object({ transactionId: z.string().min(1).optional(), event: z.string().optional(), ...ownerFields });

/** The payment a KKiaPay object names: `partnerId`, else a `stateData` that is text. */
function ownerOf(found: { partnerId?: string | null | undefined; stateData?: unknown }): string | undefined {
  if (found.partnerId) return found.partnerId;
  return typeof found.stateData === 'string' && found.stateData !== '' ? found.stateData : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * KKiaPay, collection by direct debit: `POST /api/v1/payments/request` pushes the PIN prompt to
 * the payer's wallet, carrying our payment id as `partnerId`; `POST /api/v1/transactions/status`
 * is the authority on the outcome. The debit request has no idempotency key, so it is sent at
 * most once per payment: an answer lost on the way is never followed by a second push (see
 * AmbiguousCollectionError), and the webhook, which then is the first to name KKiaPay's
 * transaction id, lets the payment be followed. The webhook only carries a static secret, which
 * a replay carries too, so it is a hint to ask the status API, never an outcome.
 */
export function createKkiapay(config: KkiapayConfig): PaymentProvider & CallbackParser {
  const http = config.fetch ?? fetch;
  const timeoutMs = config.timeoutMs ?? 15_000;

  function post(path: string, headers: Record<string, string>, body: unknown, signal?: AbortSignal): Promise<HttpAnswer> {
    return fetchWithin(
      http,
      `${config.baseUrl}${path}`,
      { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', 'x-api-key': config.publicKey, ...headers }, body: JSON.stringify(body) },
      timeoutMs,
      signal,
    );
  }

  function statusOf(found: StatusAnswer, ref: { paymentId: string; providerReference: string }): ProviderStatus {
    const owner = ownerOf(found);
    // Another payment's transaction (a webhook named the wrong id): it must neither credit nor
    // fail this payment, whose own outcome is still to come.
    if (owner !== undefined && owner !== ref.paymentId) return { status: 'pending' };
    const mapped = KKIAPAY_STATUSES[found.status];
    if (!mapped) throw new Error(`kkiapay: unknown transaction status "${found.status}"`);
    if (mapped === 'pending') return { status: 'pending' };
    if (mapped === 'failed') {
      const cause = found.failureMessage || found.reason || '';
      return { status: 'failed', reason: [found.status, found.failureCode, cause].filter((part) => part).join(': ') };
    }
    // The service compares it with the fee: without it a success could be for any sum.
    if (found.amount === undefined) throw new Error(`kkiapay: success for ${ref.providerReference} without an amount`);
    return { status: 'succeeded', providerTransactionId: found.transactionId ?? ref.providerReference, amountXof: found.amount };
  }

  async function checkStatus(ref: CollectionRef, signal?: AbortSignal): Promise<ProviderStatus> {
    // KKiaPay names a transaction only by its own id: until a debit answer or a webhook gave it
    // to us, there is nothing to ask.
    if (!ref.providerReference) return { status: 'pending' };
    const res = await post(
      '/api/v1/transactions/status',
      { 'x-private-key': config.privateKey, 'x-secret-key': config.secret },
      { transactionId: ref.providerReference },
      signal,
    );
    // An id KKiaPay cannot find proves nothing about the payment (it may come from a bad
    // webhook): it stays pending, and expiry closes it if nothing better comes.
    if (res.status === 404) return { status: 'pending' };
    if (res.status === 401 || res.status === 403) throw new Error(`kkiapay status: HTTP ${res.status}, check KKIAPAY_PUBLIC_KEY, KKIAPAY_PRIVATE_KEY and KKIAPAY_SECRET`);
    if (!res.ok) throw new Error(`kkiapay status: HTTP ${res.status}`);
    const answer = statusAnswer.safeParse(parseJson(await res.text()));
    if (!answer.success) throw new Error(`kkiapay status: unreadable answer (${answer.error.issues[0]?.message ?? 'not JSON'})`);
    return statusOf(answer.data, { paymentId: ref.paymentId, providerReference: ref.providerReference });
  }

  async function requestCollection(request: CollectionRequest, signal?: AbortSignal): Promise<ProviderStatus> {
    // An earlier attempt already pushed and kept KKiaPay's id: only its status may be asked now.
    if (request.providerReference) return checkStatus({ paymentId: request.paymentId, providerReference: request.providerReference }, signal);
    if (!Number.isInteger(request.amountXof) || request.amountXof <= 0) return { status: 'failed', reason: `kkiapay: invalid amount ${request.amountXof} XOF` };
    const phoneNumber = request.payerMsisdn.replace(/^\+/, '');
    if (!/^\d{8,15}$/.test(phoneNumber)) return { status: 'failed', reason: 'kkiapay: invalid payer number' };
    const body = {
      phoneNumber,
      amount: request.amountXof,
      firstname: '',
      lastname: '',
      email: '',
      partnerId: request.paymentId,
      stateData: request.paymentId,
      ...(config.callbackUrl ? { callback: config.callbackUrl } : {}),
      // The PIN prompt goes to the wallet at once, without KKiaPay's widget in between.
      direct: true,
    };
    // Everything above this line sends nothing: its errors are plainly retryable.
    signal?.throwIfAborted();

    const res = await sendOnce('kkiapay debit', () => post('/api/v1/payments/request', {}, body, signal));
    const { text } = res;
    // Our key was refused: nothing was pushed, an operator must fix the configuration.
    if (res.status === 401) throw new Error('kkiapay debit: HTTP 401, check KKIAPAY_PUBLIC_KEY');
    // Throttled: the request was turned away before processing, so the job may try again.
    if (res.status === 429) throw new Error('kkiapay debit: HTTP 429, throttled');
    const json = text.trim() === '' ? undefined : parseJson(text);
    if (res.status >= 400 && res.status < 500) {
      const refused = refusal.safeParse(json);
      // A 4xx without KKiaPay's refusal body (a proxy, an HTML page) says nothing for certain.
      if (!refused.success) throw new AmbiguousCollectionError(`kkiapay debit: HTTP ${res.status} without a KKiaPay answer`);
      return { status: 'failed', reason: `kkiapay ${refused.data.status}: ${refused.data.reason}` };
    }
    // A 5xx (or anything else unexpected): KKiaPay may have pushed the prompt all the same.
    if (!res.ok) throw new AmbiguousCollectionError(`kkiapay debit: HTTP ${res.status}`);
    if (text.trim() !== '' && json === undefined) throw new AmbiguousCollectionError(`kkiapay debit: HTTP ${res.status}, answer is not JSON`);

    const accepted = debitAnswer.safeParse(json);
    // Accepted without an id: the webhook will be the first to name the transaction.
    if (!accepted.success) return { status: 'pending' };
    const transactionId = accepted.data.transactionId;
    let kept: string;
    try {
      kept = await request.rememberReference(transactionId);
    } catch (error) {
      throw new AmbiguousCollectionError(`kkiapay debit: pushed as ${transactionId} but the reference was not kept (${describeFetchFailure(error)})`, { cause: error });
    }
    // Another attempt kept its reference first (two workers raced): that one is followed.
    if (kept !== transactionId) return checkStatus({ paymentId: request.paymentId, providerReference: kept }, signal);
    return { status: 'pending' };
  }

  return {
    name: 'kkiapay',
    callbackDoc: kkiapayCallbackDoc(webhookBody),
    // No documented idempotency key on the debit request.
    resendSafe: false,
    callsBack: config.callbackUrl !== undefined,
    requestCollection,
    checkStatus,
    async parseCallback(request): Promise<CallbackVerdict> {
      const check = verifyKkiapaySecret(request.header('x-kkiapay-secret'), config.webhookSecret);
      if (!check.ok) return { kind: 'rejected', httpStatus: check.httpStatus, reason: check.reason };
      const event = webhookBody.safeParse(parseJson(request.rawBody));
      if (!event.success) return { kind: 'rejected', httpStatus: 400, reason: 'not a KKiaPay webhook' };
      const paymentId = ownerOf(event.data);
      const transactionId = event.data.transactionId;
      if (!paymentId || !transactionId) return { kind: 'rejected', httpStatus: 400, reason: 'webhook names no payment or no transaction' };
      // Whatever the event says (success or failure), the status API decides.
      return { kind: 'hint', paymentId, providerReference: transactionId };
    },
  };
}

/** `KKIAPAY_*`: secrets come from env only; a missing or malformed one stops the gateway at start, naming the variable. */
export const kkiapayEnv = z
  .object({
    KKIAPAY_BASE_URL: z.string().url(),
    KKIAPAY_PUBLIC_KEY: z.string().min(1),
    KKIAPAY_PRIVATE_KEY: z.string().min(1),
    KKIAPAY_SECRET: z.string().min(1),
    KKIAPAY_WEBHOOK_SECRET: z.string().min(1),
    KKIAPAY_CALLBACK_URL: z.string().url().optional(),
    KKIAPAY_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  })
  .transform(
    (e): KkiapayConfig => ({
      baseUrl: e.KKIAPAY_BASE_URL.replace(/\/+$/, ''),
      publicKey: e.KKIAPAY_PUBLIC_KEY,
      privateKey: e.KKIAPAY_PRIVATE_KEY,
      secret: e.KKIAPAY_SECRET,
      webhookSecret: e.KKIAPAY_WEBHOOK_SECRET,
      ...(e.KKIAPAY_CALLBACK_URL ? { callbackUrl: e.KKIAPAY_CALLBACK_URL } : {}),
      timeoutMs: e.KKIAPAY_TIMEOUT_MS,
    }),
  );

export function kkiapayConfigFromEnv(env: ProviderEnv): KkiapayConfig {
  return parseEnv(kkiapayEnv, env);
}
