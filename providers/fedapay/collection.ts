import { z } from 'zod';
import type { HttpAnswer, HttpFetch } from '../../src/lib/http-fetch.js';
import { fetchWithin } from '../../src/lib/deadline.js';
import { parseEnv, type ProviderEnv } from '../manifest.js';
import type { CallbackParser, CallbackVerdict } from '../../src/payments/payment-provider-callback.js';
import type { CollectionRef, CollectionRequest, PaymentProvider, ProviderStatus } from '../../src/payments/port.js';
import { verifyFedapaySignature } from './webhook.js';
import { fedapayCallbackDoc } from './openapi.js';

export interface FedapayConfig {
  /** `https://api.fedapay.com` (live) or `https://sandbox-api.fedapay.com`. */
  baseUrl: string;
  /** The account's secret API key (`sk_live_…`, `sk_sandbox_…`). */
  secretKey: string;
  /** The webhook endpoint's signing secret (`wh_…`). */
  webhookSecret: string;
  /** FedaPay's payment mode per payer operator: which wallet gets the PIN prompt. */
  modes: Readonly<Record<string, string>>;
  timeoutMs?: number;
  /** Outbound HTTP: the global `fetch` unless the runtime hands one (Node: its keep-alive client). */
  fetch?: HttpFetch;
}

/** Benin's wallets as FedaPay names them; Celtiis has none, so its payers need another provider. */
export const DEFAULT_FEDAPAY_MODES: Readonly<Record<string, string>> = { MTN: 'mtn_open', MOOV: 'moov' };

/**
 * FedaPay transaction statuses, as data. Anything else is an error, not a guess. The paid ones are
 * the official SDKs' `wasPaid()` list (fedapay/fedapay-node `src/Transaction.ts`, `PAID_STATUS`):
 * `refunded` and the partial refunds were paid first, so they are successes, carrying the refund
 * for finance; never a failure of a payment that was credited.
 */
export const FEDAPAY_STATUSES: Readonly<Record<string, { outcome: 'pending' | 'succeeded' | 'failed'; refunded?: 'full' | 'partial' }>> = {
  pending: { outcome: 'pending' },
  approved: { outcome: 'succeeded' },
  transferred: { outcome: 'succeeded' },
  refunded: { outcome: 'succeeded', refunded: 'full' },
  approved_partially_refunded: { outcome: 'succeeded', refunded: 'partial' },
  transferred_partially_refunded: { outcome: 'succeeded', refunded: 'partial' },
  declined: { outcome: 'failed' },
  canceled: { outcome: 'failed' },
  expired: { outcome: 'failed' },
};

const transaction = z.object({
  id: z.number().int(),
  reference: z.string().optional(),
  status: z.string(),
  amount: z.number().int(),
  custom_metadata: z.object({ payment_id: z.string().optional() }).passthrough().nullish(),
  last_error_code: z.string().nullish(),
});
type Transaction = z.infer<typeof transaction>;
/** The API wraps objects as `{"v1/transaction": {…}}`; its reference pages show them bare. */
const transactionAnswer = z.union([z.object({ 'v1/transaction': transaction }).transform((a) => a['v1/transaction']), transaction]);
const tokenAnswer = z.object({ token: z.string().min(1) });
const webhookBody = z.object({ name: z.string(), entity: z.unknown() });

/**
 * FedaPay (Benin aggregator for MTN and Moov wallets), collection without redirection: create a
 * transaction carrying our payment id, keep FedaPay's id with the payment, then ask for a token
 * and send it to the wallet's mode, which pushes the PIN prompt. A retried job reuses the kept
 * transaction, so a lost answer never leads to a second transaction being pushed. Webhooks are
 * HMAC-signed with a timestamp and trusted once verified.
 */
export function createFedapay(config: FedapayConfig): PaymentProvider & CallbackParser {
  const http = config.fetch ?? fetch;
  const timeoutMs = config.timeoutMs ?? 15_000;

  async function call(method: 'GET' | 'POST', path: string, body: unknown, signal?: AbortSignal): Promise<HttpAnswer> {
    return fetchWithin(
      http,
      `${config.baseUrl}/v1${path}`,
      {
        method,
        headers: { authorization: `Bearer ${config.secretKey}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      },
      timeoutMs,
      signal,
    );
  }

  async function ok(res: HttpAnswer, what: string): Promise<unknown> {
    if (!res.ok) throw new Error(`fedapay ${what}: HTTP ${res.status}`);
    return res.json();
  }

  function statusOf(found: Transaction, paymentId: string): ProviderStatus {
    const belongsTo = found.custom_metadata?.payment_id;
    // A transaction of another payment must never settle this one.
    if (belongsTo !== undefined && belongsTo !== paymentId) return { status: 'pending' };
    const mapped = FEDAPAY_STATUSES[found.status];
    if (!mapped) throw new Error(`fedapay: unknown transaction status "${found.status}"`);
    if (mapped.outcome === 'pending') return { status: 'pending' };
    if (mapped.outcome === 'failed') return { status: 'failed', reason: found.last_error_code && found.last_error_code !== 'NO_ERROR' ? `${found.status}: ${found.last_error_code}` : found.status };
    return {
      status: 'succeeded',
      providerTransactionId: found.reference ?? String(found.id),
      amountXof: found.amount,
      ...(mapped.refunded ? { refunded: mapped.refunded } : {}),
    };
  }

  async function checkStatus(ref: CollectionRef, signal?: AbortSignal): Promise<ProviderStatus> {
    if (!ref.providerReference) return { status: 'pending' }; // never created at FedaPay: nothing to ask
    const res = await call('GET', `/transactions/${encodeURIComponent(ref.providerReference)}`, undefined, signal);
    if (res.status === 404) return { status: 'failed', reason: 'unknown transaction' };
    return statusOf(transactionAnswer.parse(await ok(res, 'status')), ref.paymentId);
  }

  return {
    name: 'fedapay',
    // The envelope, with a transaction event's entity as parseCallback reads it.
    callbackDoc: fedapayCallbackDoc(webhookBody.extend({ entity: transaction })),
    // A retry reuses the kept transaction, which can be approved once.
    resendSafe: true,
    // Its webhook is set in FedaPay's dashboard, and its secret is required to start (FEDAPAY_WEBHOOK_SECRET).
    callsBack: true,
    async requestCollection(request: CollectionRequest, signal?: AbortSignal): Promise<ProviderStatus> {
      const mode = config.modes[request.operator];
      // Nothing was sent: the citizen is told at once instead of waiting for a prompt that never comes.
      if (!mode) return { status: 'failed', reason: `no FedaPay wallet for operator ${request.operator}` };
      const phone = { number: request.payerMsisdn.replace(/^\+229/, ''), country: 'bj' };
      let reference = request.providerReference;
      if (!reference) {
        const created = transactionAnswer.parse(
          await ok(
            await call('POST', '/transactions', {
              description: request.description,
              amount: request.amountXof,
              currency: { iso: 'XOF' },
              merchant_reference: request.paymentId,
              custom_metadata: { payment_id: request.paymentId },
              customer: { phone_number: phone },
            }, signal),
            'create',
          ),
        );
        reference = await request.rememberReference(String(created.id));
      }
      const { token } = tokenAnswer.parse(await ok(await call('POST', `/transactions/${encodeURIComponent(reference)}/token`, {}, signal), 'token'));
      const sent = await call('POST', `/${encodeURIComponent(mode)}`, { token, phone_number: phone }, signal);
      // A transaction that is no longer pending refuses a new push: its status says why.
      if (sent.status >= 400 && sent.status < 500) return checkStatus({ paymentId: request.paymentId, providerReference: reference }, signal);
      await ok(sent, 'send');
      return { status: 'pending' };
    },
    checkStatus,
    async parseCallback(request, nowMs): Promise<CallbackVerdict> {
      const check = await verifyFedapaySignature(request.header('x-fedapay-signature'), request.rawBody, config.webhookSecret, nowMs);
      if (!check.ok) return { kind: 'rejected', httpStatus: check.httpStatus, reason: check.reason };
      let event: z.infer<typeof webhookBody>;
      try {
        event = webhookBody.parse(JSON.parse(request.rawBody));
      } catch {
        return { kind: 'rejected', httpStatus: 400, reason: 'not a FedaPay event' };
      }
      if (!event.name.startsWith('transaction.')) return { kind: 'ignored', reason: `event ${event.name}` };
      const entity = transaction.safeParse(event.entity);
      if (!entity.success) return { kind: 'rejected', httpStatus: 400, reason: 'transaction event without a transaction' };
      const paymentId = entity.data.custom_metadata?.payment_id;
      if (!paymentId) return { kind: 'ignored', reason: 'transaction not created by Guichet' };
      // A status FedaPay added after this table: authentic, so not refused (FedaPay would resend it
      // forever), but not believed either: the status API is asked, in a job, like a hint.
      if (!FEDAPAY_STATUSES[entity.data.status]) return { kind: 'hint', paymentId, providerReference: String(entity.data.id) };
      return { kind: 'verified', paymentId, providerReference: String(entity.data.id), status: statusOf(entity.data, paymentId) };
    },
  };
}

/** `FEDAPAY_*`: secrets come from env only; a missing one stops the gateway at start, naming the variable. */
export const fedapayEnv = z
  .object({
    FEDAPAY_BASE_URL: z.string().url().default('https://sandbox-api.fedapay.com'),
    FEDAPAY_SECRET_KEY: z.string().min(1),
    FEDAPAY_WEBHOOK_SECRET: z.string().min(1),
    /** `MTN=mtn_open,MOOV=moov` by default. */
    FEDAPAY_MODES: z.string().optional(),
    FEDAPAY_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).optional(),
  })
  .transform((e): FedapayConfig => {
    const modes = e.FEDAPAY_MODES
      ? Object.fromEntries(e.FEDAPAY_MODES.split(',').map((pair) => pair.trim().split('=') as [string, string]).filter(([k, v]) => k && v))
      : DEFAULT_FEDAPAY_MODES;
    return {
      baseUrl: e.FEDAPAY_BASE_URL,
      secretKey: e.FEDAPAY_SECRET_KEY,
      webhookSecret: e.FEDAPAY_WEBHOOK_SECRET,
      modes,
      ...(e.FEDAPAY_TIMEOUT_MS ? { timeoutMs: e.FEDAPAY_TIMEOUT_MS } : {}),
    };
  });

export function fedapayConfigFromEnv(env: ProviderEnv): FedapayConfig {
  return parseEnv(fedapayEnv, env);
}
