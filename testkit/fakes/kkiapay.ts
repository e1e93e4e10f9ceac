import { Hono } from 'hono';
import { KKIAPAY_STATUS_FAILED, kkiapayWebhookBody } from '../../providers/kkiapay/fixtures.js';
import { html502, isNetworkMisbehaviour, isRecord, Misbehaviours, serveFake, type FakeOutcome, type NetworkMisbehaviour, paymentApiFake, type ProviderCallback } from './primitives.js';

export const FAKE_KKIAPAY_KEYS = {
  publicKey: '4d5b9b20c81f11eea5d1f9a6e0b1c2d3',
  privateKey: 'tpk_4d5b9b21c81f11eea5d1f9a6e0b1c2d3',
  secret: 'tsk_4d5b9b22c81f11eea5d1f9a6e0b1c2d3',
  /** The webhook's hash secret from the dashboard (docs.kkiapay.me, Webhook): not the API secret. */
  webhookSecret: 'guichet-webhook-hash-secret',
} as const;

/** The shared network misbehaviours, and KKiaPay's (or its proxy's) odd answers. */
export type KkiapayMisbehaviour = NetworkMisbehaviour | 'http-500' | 'html-502' | 'html-200' | 'cut-off-200' | 'no-id' | 'html-400';

const KKIAPAY_OPERATIONS = ['debit', 'status'] as const;
type KkiapayOperation = (typeof KKIAPAY_OPERATIONS)[number];

/** A transaction as KKiaPay's status API shows it (field names from the SDKs' answers). */
export interface FakeKkiapayTransaction {
  transactionId: string;
  status: string;
  amount: number;
  fees: number;
  partnerId: string | null;
  stateData: unknown;
  failureCode: string | null;
  failureMessage: string | null;
  phoneNumber: string;
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Nine characters, like `LVFNrK1nx` in the Python SDK's sample. */
const transactionIdOf = () => Array.from(crypto.getRandomValues(new Uint8Array(9)), (b) => ID_ALPHABET[b % ID_ALPHABET.length]).join('');

/** A local KKiaPay API: checks the keys, keeps transactions, counts calls, misbehaves on demand. */
export async function startFakeKkiapay() {
  const keys = FAKE_KKIAPAY_KEYS;
  const calls = { debit: 0, status: 0 };
  const transactions = new Map<string, FakeKkiapayTransaction>();
  const debits: { headers: Record<string, string | undefined>; body: unknown }[] = [];
  const modes = new Misbehaviours<KkiapayOperation, KkiapayMisbehaviour>();
  /** The next debit requests are refused with this answer instead of being processed. */
  const refuse: { next?: { httpStatus: 400 | 403 | 422 | 429; body: unknown } } = {};

  function misbehaving(c: Parameters<typeof modes.network>[0], operation: KkiapayOperation, answer: unknown): Promise<Response> | Response {
    const mode = modes.modeOf(operation);
    if (isNetworkMisbehaviour(mode)) return modes.network(c, operation, () => Response.json(answer));
    switch (mode) {
      case 'http-500':
        return Response.json({ status: 5000, reason: 'Internal Server Error' }, { status: 500 });
      case 'html-502':
        return html502();
      case 'html-400':
        return new Response('<html><head><title>400 Bad Request</title></head><body>Request Header Or Cookie Too Large</body></html>', { status: 400, headers: { 'content-type': 'text/html' } });
      case 'html-200':
        return new Response('<!doctype html><html><body>Maintenance</body></html>', { status: 200, headers: { 'content-type': 'text/html' } });
      case 'cut-off-200': {
        // The headers and the start of the answer arrive, then the connection dies.
        const start = JSON.stringify(answer).slice(0, 12);
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode(start));
            setTimeout(() => controller.error(new Error('connection lost')), 20);
          },
        });
        return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
      }
      case 'no-id':
        return Response.json({ status: 'PENDING' });
      case undefined:
        return Response.json(answer);
    }
  }

  /** The status answer: the Python SDK's sample with this transaction's values (`providers/kkiapay/fixtures.ts`). */
  function statusPayload(t: FakeKkiapayTransaction) {
    return {
      ...KKIAPAY_STATUS_FAILED,
      performed_at: '2026-11-23T09:00:42.123Z', status: t.status, amount: t.amount, fees: t.fees,
      reason: null, transactionId: t.transactionId, performedAt: '11/23/2026',
      // Inferred: the echo of what the debit carried, and the failure's details.
      partnerId: t.partnerId, stateData: t.stateData, failureCode: t.failureCode, failureMessage: t.failureMessage,
    };
  }

  const app = new Hono();
  app.use('*', async (c, next) => {
    if (c.req.header('x-api-key') !== keys.publicKey) return c.json({ status: 4001, reason: 'invalid api key' }, 401);
    await next();
  });
  app.post('/api/v1/payments/request', async (c) => {
    calls.debit += 1;
    const body: unknown = await c.req.json();
    debits.push({
      headers: { 'x-api-key': c.req.header('x-api-key'), 'x-private-key': c.req.header('x-private-key'), 'x-secret-key': c.req.header('x-secret-key'), 'content-type': c.req.header('content-type') },
      body,
    });
    if (refuse.next) {
      const { httpStatus, body: refusal } = refuse.next;
      return c.json(refusal, httpStatus);
    }
    if (!isRecord(body) || typeof body.phoneNumber !== 'string' || !/^229\d{10}$/.test(body.phoneNumber)) return c.json({ status: 4000, reason: 'invalid phone number' }, 400);
    if (typeof body.amount !== 'number' || !Number.isInteger(body.amount)) return c.json({ status: 4000, reason: 'invalid amount' }, 400);
    // Processed, and the PIN prompt pushed, before anything goes wrong with the answer.
    const transactionId = transactionIdOf();
    transactions.set(transactionId, {
      transactionId, status: 'PENDING', amount: body.amount, fees: 0,
      partnerId: typeof body.partnerId === 'string' ? body.partnerId : null, stateData: body.stateData,
      failureCode: null, failureMessage: null, phoneNumber: body.phoneNumber,
    });
    // Inferred: the debit answer is not documented; the adapter only reads a transaction id from it.
    return misbehaving(c, 'debit', { transactionId });
  });
  app.post('/api/v1/transactions/status', async (c) => {
    if (c.req.header('x-private-key') !== keys.privateKey || c.req.header('x-secret-key') !== keys.secret) return c.json({ status: 4001, reason: 'invalid keys' }, 401);
    calls.status += 1;
    const body: unknown = await c.req.json();
    const found = isRecord(body) && typeof body.transactionId === 'string' ? transactions.get(body.transactionId) : undefined;
    if (!found) return c.json({ status: 4004, reason: 'Transaction not found' }, 404);
    return misbehaving(c, 'status', statusPayload(found));
  });
  const server = await serveFake(app, modes.held);

  function transactionOf(paymentId: string): FakeKkiapayTransaction {
    const found = [...transactions.values()].find((t) => t.partnerId === paymentId);
    if (!found) throw new Error(`fake kkiapay: no debit for payment ${paymentId}`);
    return found;
  }
  /** The webhook KKiaPay POSTs for a transaction as it is now (fixtures: `kkiapayWebhookBody`). */
  function webhookOf(transactionId: string, override: Record<string, unknown> = {}): Record<string, unknown> {
    const t = transactions.get(transactionId);
    if (!t) throw new Error(`fake kkiapay: no transaction ${transactionId}`);
    return {
      ...kkiapayWebhookBody({ transactionId: t.transactionId, partnerId: t.partnerId ?? '', success: t.status === 'SUCCESS', amount: t.amount, account: t.phoneNumber }),
      partnerId: t.partnerId,
      stateData: t.stateData,
      ...override,
    };
  }
  const webhook = (body: Record<string, unknown>, secret: string): ProviderCallback => ({
    path: '/payments/kkiapay/callback',
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-kkiapay-secret': secret },
    body: JSON.stringify(body),
  });

  const fake = paymentApiFake({
    baseUrl: server.baseUrl,
    operations: KKIAPAY_OPERATIONS,
    pushOperation: 'debit',
    calls,
    transactions,
    debits,
    refuse,
    misbehave: modes.misbehave,
    release: modes.release,
    pushes: () => transactions.size,
    /** KKiaPay's side of the story for one transaction: the payer answered the prompt (or not). */
    settleTransaction(transactionId: string, change: Partial<FakeKkiapayTransaction>) {
      const found = transactions.get(transactionId);
      if (!found) throw new Error(`fake kkiapay: no transaction ${transactionId}`);
      Object.assign(found, change);
    },
    settle(paymentId: string, outcome: FakeOutcome) {
      const found = transactionOf(paymentId);
      switch (outcome.status) {
        case 'succeeded':
          found.status = 'SUCCESS';
          if (outcome.amountXof !== undefined) found.amount = outcome.amountXof;
          if (outcome.currency !== undefined) throw new Error('fake kkiapay: the status answer reports no currency');
          return;
        case 'failed':
          Object.assign(found, { status: 'FAILED', failureCode: 'processing_error' });
          return;
        case 'unknown':
          found.status = 'TRANSACTION_NOT_ELIGIBLE';
          return;
        case 'refunded':
          throw new Error('fake kkiapay: the status API documents no refunded status');
      }
    },
    webhookOf,
    callbackFor: (paymentId: string) => webhook(webhookOf(transactionOf(paymentId).transactionId), keys.webhookSecret),
    /** The API secret key in place of the webhook's hash secret: what a guess or a leaked key gives. */
    forgedCallbackFor: (paymentId: string) => webhook(webhookOf(transactionOf(paymentId).transactionId, { isPaymentSucces: true, event: 'transaction.success' }), keys.secret),
    close: server.close,
  });
  return fake;
}

export type FakeKkiapay = Awaited<ReturnType<typeof startFakeKkiapay>>;
