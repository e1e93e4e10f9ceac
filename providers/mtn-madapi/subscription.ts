import { z } from 'zod';

/**
 * Registers Guichet's callback URL with MADAPI so that the USSD gateway sends a short code's
 * sessions to it: `POST {base}/messages/ussd/subscription {serviceCode, callbackUrl, targetSystem}`
 * → 201 `{statusCode, statusMessage, transactionId, data: {subscriptionId}, _link}`; undone with
 * `DELETE {base}/messages/ussd/subscription/{subscriptionId}`; auth by the `x-api-key` header
 * (swagger: api-evangelist/mtn-group `openapi/_original/mtn-group-ussd.yml`).
 *
 * Idempotent on our side: the swagger offers no way to list or read subscriptions and documents
 * no 409, so the subscriptions we made are kept in a ledger (a file for the CLI). The same short
 * code, callback URL and target system as a recorded one sends nothing; the same short code with
 * another URL deletes the recorded subscription and creates the new one; a 409 some deployment may
 * still answer is taken as "already subscribed" (its id unknown, recorded as null).
 */
export interface MadapiClientConfig {
  /** `https://api.mtn.com/v1` (the swagger's host + basePath) unless MTN gives another. */
  baseUrl: string;
  apiKey: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface SubscriptionWanted {
  serviceCode: string;
  callbackUrl: string;
  targetSystem: string;
}

export interface SubscriptionRecord extends SubscriptionWanted {
  /** Null when MADAPI said it already had one (409) without naming it. */
  subscriptionId: string | null;
  subscribedAt: string;
}

/** Where the subscriptions we made are remembered (a JSON file for the CLI). */
export interface SubscriptionLedger {
  load(): Promise<SubscriptionRecord[]>;
  save(records: SubscriptionRecord[]): Promise<void>;
}

export type SubscriptionOutcome =
  | { action: 'unchanged'; record: SubscriptionRecord }
  | { action: 'created'; record: SubscriptionRecord; replaced?: SubscriptionRecord }
  | { action: 'already_at_madapi'; record: SubscriptionRecord };

/** A refusal by MADAPI, with its canonical code (`statusCode`, e.g. 3001) and the HTTP status. */
export class MadapiError extends Error {
  constructor(
    message: string,
    readonly httpStatus: number,
    readonly statusCode?: string,
  ) {
    super(message);
    this.name = 'MadapiError';
  }
}

const SubscriptionResponse = z.object({
  statusCode: z.string().optional(),
  data: z.object({ subscriptionId: z.string().min(1) }),
});
const ErrorBody = z.object({ statusCode: z.string().optional(), statusMessage: z.string().optional() }).passthrough();

export async function ensureSubscription(config: MadapiClientConfig, wanted: SubscriptionWanted, ledger: SubscriptionLedger): Promise<SubscriptionOutcome> {
  const records = await ledger.load();
  const previous = records.find((r) => r.serviceCode === wanted.serviceCode);
  if (previous && previous.callbackUrl === wanted.callbackUrl && previous.targetSystem === wanted.targetSystem) {
    return { action: 'unchanged', record: previous };
  }
  if (previous?.subscriptionId) {
    // 404: already gone at MADAPI, which is what we want.
    const removed = await call(config, 'DELETE', `/messages/ussd/subscription/${encodeURIComponent(previous.subscriptionId)}`);
    if (!removed.ok && removed.status !== 404) throw await refusal(removed, 'unsubscribe');
  }
  const created = await call(config, 'POST', '/messages/ussd/subscription', wanted);
  const others = records.filter((r) => r !== previous);
  const subscribedAt = new Date().toISOString();
  if (created.status === 409) {
    const record: SubscriptionRecord = { ...wanted, subscriptionId: null, subscribedAt };
    await ledger.save([...others, record]);
    return { action: 'already_at_madapi', record };
  }
  if (!created.ok) throw await refusal(created, 'subscribe');
  const parsed = SubscriptionResponse.safeParse(await created.json().catch(() => null));
  if (!parsed.success) throw new MadapiError('subscription answer without data.subscriptionId', created.status);
  const record: SubscriptionRecord = { ...wanted, subscriptionId: parsed.data.data.subscriptionId, subscribedAt };
  await ledger.save([...others, record]);
  return previous ? { action: 'created', record, replaced: previous } : { action: 'created', record };
}

async function call(config: MadapiClientConfig, method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<Response> {
  const doFetch = config.fetch ?? fetch;
  return doFetch(config.baseUrl.replace(/\/+$/, '') + path, {
    method,
    headers: { 'x-api-key': config.apiKey, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(config.timeoutMs ?? 10_000),
  });
}

async function refusal(response: Response, what: string): Promise<MadapiError> {
  const parsed = ErrorBody.safeParse(await response.json().catch(() => null));
  const code = parsed.success ? parsed.data.statusCode : undefined;
  const message = parsed.success ? parsed.data.statusMessage : undefined;
  return new MadapiError(`MADAPI refused to ${what}: HTTP ${response.status}${code ? ` ${code}` : ''}${message ? ` ${message}` : ''}`, response.status, code);
}
