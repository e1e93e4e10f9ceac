import { createHmac } from 'node:crypto';
import { Hono } from 'hono';
import { FEDAPAY_SEND_NOW_ANSWER, FEDAPAY_TOKEN_ANSWER, FEDAPAY_TRANSACTION, fedapayEvent } from '../../providers/fedapay/fixtures.js';
import { Misbehaviours, serveFake, type FakeOutcome, type NetworkMisbehaviour, paymentApiFake, type ProviderCallback } from './primitives.js';

/** The secret key the fake accepts (`Authorization: Bearer …`). */
export const FAKE_FEDAPAY_SECRET_KEY = 'sk_sandbox_guichet';
/** The webhook endpoint's signing secret the fake signs with. */
export const FAKE_FEDAPAY_WEBHOOK_SECRET = 'wh_sandbox_guichet';

/** A transaction at the fake: the SDK's sample (`providers/fedapay/fixtures.ts`) with what we sent. */
export type FakeTransaction = Omit<typeof FEDAPAY_TRANSACTION, 'id' | 'reference' | 'status' | 'amount' | 'description'> & {
  id: number;
  reference: string;
  status: string;
  amount: number;
  description: string;
  merchant_reference?: string;
  custom_metadata: Record<string, unknown>;
  customer: unknown;
  last_error_code: string;
};

const FEDAPAY_OPERATIONS = ['create', 'token', 'send', 'status'] as const;
type FedapayOperation = (typeof FEDAPAY_OPERATIONS)[number];
/** The shared network misbehaviours, and a 502 once the transaction is created (FedaPay's proxy). */
export type FedapayMisbehaviour = NetworkMisbehaviour | 'http-502';

/** `X-FEDAPAY-SIGNATURE` as the SDKs build it: `t=<unix>,s=<HMAC-SHA256(secret, "t.body") hex>`. */
export function fedapaySignature(body: string, secret: string, nowMs: number): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},s=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/** A local FedaPay API following the official SDK's recorded answers (objects wrapped as `{"v1/transaction": …}`). */
export async function startFakeFedapay(options: { webhookSecret?: string } = {}) {
  const webhookSecret = options.webhookSecret ?? FAKE_FEDAPAY_WEBHOOK_SECRET;
  const calls = { create: 0, token: 0, send: 0, status: 0 };
  const transactions = new Map<number, FakeTransaction>();
  const sends: { mode: string; body: Record<string, unknown> }[] = [];
  const modes = new Misbehaviours<FedapayOperation, FedapayMisbehaviour>();
  const app = new Hono();
  const misbehaving = (c: Parameters<typeof modes.network>[0], operation: FedapayOperation, answer: () => Response) => {
    if (modes.modeOf(operation) === 'http-502') return c.json({ message: 'Server Error' }, 502);
    return modes.network(c, operation, answer);
  };

  app.use('*', async (c, next) => {
    if (c.req.header('authorization') !== `Bearer ${FAKE_FEDAPAY_SECRET_KEY}`) return c.json({ message: 'Invalid API key', errors: {} }, 401);
    await next();
  });
  app.post('/v1/transactions', async (c) => {
    calls.create += 1;
    const body = await c.req.json<Record<string, unknown>>();
    if (!Number.isInteger(body.amount)) return c.json({ message: 'amount must be an integer' }, 422);
    const id = 1000 + transactions.size;
    const created: FakeTransaction = {
      ...FEDAPAY_TRANSACTION,
      id, reference: `trx_${id}`, status: 'pending', amount: body.amount as number, description: String(body.description),
      merchant_reference: body.merchant_reference as string, custom_metadata: (body.custom_metadata ?? {}) as Record<string, unknown>,
      customer: body.customer, last_error_code: 'NO_ERROR',
    };
    transactions.set(id, created);
    return misbehaving(c, 'create', () => c.json({ 'v1/transaction': created }));
  });
  app.post('/v1/transactions/:id/token', (c) => {
    calls.token += 1;
    const found = transactions.get(Number(c.req.param('id')));
    if (!found) return c.json({ message: 'Not found' }, 404);
    return misbehaving(c, 'token', () => c.json({ token: `tok-${found.id}`, url: FEDAPAY_TOKEN_ANSWER.url.replace(FEDAPAY_TOKEN_ANSWER.token, `tok-${found.id}`) }));
  });
  app.get('/v1/transactions/:id', (c) => {
    calls.status += 1;
    const found = transactions.get(Number(c.req.param('id')));
    return misbehaving(c, 'status', () => (found ? c.json({ 'v1/transaction': found }) : c.json({ message: 'Not found' }, 404)));
  });
  app.post('/v1/:mode', async (c) => {
    calls.send += 1;
    const body = await c.req.json<Record<string, unknown>>();
    const found = transactions.get(Number(String(body.token).replace('tok-', '')));
    if (!found) return c.json({ message: 'invalid token' }, 400);
    if (found.status !== 'pending') return c.json({ message: 'Transaction already processed' }, 400);
    sends.push({ mode: c.req.param('mode'), body });
    return misbehaving(c, 'send', () => c.json(FEDAPAY_SEND_NOW_ANSWER));
  });
  const server = await serveFake(app, modes.held);

  function transactionOf(paymentId: string): FakeTransaction {
    const found = [...transactions.values()].reverse().find((t) => t.custom_metadata.payment_id === paymentId && sends.some((s) => s.body.token === `tok-${t.id}`));
    if (!found) throw new Error(`fake fedapay: no transaction sent for payment ${paymentId}`);
    return found;
  }
  /** A webhook as FedaPay signs it: the transaction as it is now at the fake, or with `override`. */
  function signedWebhook(transactionId: number, name: string, nowMs: number, override: Partial<FakeTransaction> = {}, secret = webhookSecret): ProviderCallback {
    const body = JSON.stringify(fedapayEvent(name, { ...transactions.get(transactionId), ...override }));
    return {
      path: '/payments/fedapay/callback',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-fedapay-signature': fedapaySignature(body, secret, nowMs) },
      body,
    };
  }
  const EVENT_OF: Readonly<Record<string, string>> = { approved: 'transaction.approved', transferred: 'transaction.transferred', declined: 'transaction.declined', canceled: 'transaction.canceled' };

  const fake = paymentApiFake({
    baseUrl: server.baseUrl,
    operations: FEDAPAY_OPERATIONS,
    pushOperation: 'send',
    calls,
    transactions,
    sends,
    misbehave: modes.misbehave,
    release: modes.release,
    // A transaction is charged at most once however often it is sent (the SDK's send-now with a kept
    // token): what could be charged is the number of distinct transactions pushed to a wallet.
    pushes: () => new Set(sends.map((s) => s.body.token)).size,
    settle(paymentId: string, outcome: FakeOutcome) {
      const found = transactionOf(paymentId);
      switch (outcome.status) {
        case 'succeeded':
          found.status = 'approved';
          if (outcome.amountXof !== undefined) found.amount = outcome.amountXof;
          if (outcome.currency !== undefined) throw new Error('fake fedapay: a transaction reports a currency_id, not a currency');
          return;
        case 'failed':
          found.status = 'declined';
          return;
        case 'refunded':
          found.status = outcome.partial ? 'approved_partially_refunded' : 'refunded';
          return;
        case 'unknown':
          found.status = 'on_hold';
          return;
      }
    },
    signedWebhook,
    callbackFor: (paymentId: string, nowMs: number) => {
      const found = transactionOf(paymentId);
      return signedWebhook(found.id, EVENT_OF[found.status] ?? 'transaction.updated', nowMs);
    },
    /** Signed with a secret that is not the webhook's: someone claiming the payment was approved. */
    forgedCallbackFor: (paymentId: string, nowMs: number) => signedWebhook(transactionOf(paymentId).id, 'transaction.approved', nowMs, { status: 'approved' }, 'wh_forged'),
    close: server.close,
  });
  return fake;
}

export type FakeFedapay = Awaited<ReturnType<typeof startFakeFedapay>>;
