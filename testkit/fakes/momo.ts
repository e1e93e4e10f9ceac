import { Hono } from 'hono';
import { MOMO_STATUS_SAMPLES, MOMO_TOKEN_ANSWER, momoCallbackBody } from '../../providers/mtn-momo/fixtures.js';
import { Misbehaviours, serveFake, type FakeOutcome, paymentApiFake, type ProviderCallback } from './primitives.js';

/** What a request-to-pay is at the fake: MoMo's status, and what the status answer reports. */
export type FakeMomoOutcome =
  | { status: 'PENDING' }
  | { status: 'SUCCESSFUL'; financialTransactionId: string }
  | { status: 'FAILED'; reason: string }
  /** Anything else MoMo may say (protocols.md: statuses outside the three exist in the wild). */
  | { status: string };

export interface FakeMomoRequest {
  body: Record<string, unknown>;
  callbackUrl?: string;
  outcome: FakeMomoOutcome;
}

export const FAKE_MOMO_CREDENTIALS = { apiUser: 'api-user', apiKey: 'api-key', subscriptionKey: 'sub-key', targetEnvironment: 'sandbox' } as const;

/** The gateway's MoMo variables (`npm start`'s environment) pointing it at the fake at `baseUrl`. */
export function fakeMomoEnv(baseUrl: string): Record<string, string> {
  return {
    MOMO_BASE_URL: baseUrl,
    MOMO_API_USER: FAKE_MOMO_CREDENTIALS.apiUser,
    MOMO_API_KEY: FAKE_MOMO_CREDENTIALS.apiKey,
    MOMO_SUBSCRIPTION_KEY: FAKE_MOMO_CREDENTIALS.subscriptionKey,
    MOMO_TARGET_ENVIRONMENT: FAKE_MOMO_CREDENTIALS.targetEnvironment,
  };
}

const MOMO_OPERATIONS = ['token', 'accountholder', 'requesttopay', 'status'] as const;
type MomoOperation = (typeof MOMO_OPERATIONS)[number];

/** The SDK's SUCCESSFUL status answer (`tests/mock.ts`): the fake's answers are this sample with our values. */
const STATUS_TEMPLATE = MOMO_STATUS_SAMPLES[0]!.body as Record<string, unknown>;

/**
 * A local MoMo Collection API (sparkplug/momoapi-node's recorded shapes, `providers/mtn-momo/fixtures.ts`):
 * token, account-holder check, request-to-pay keyed by `X-Reference-Id` (409 on reuse), status.
 */
export async function startFakeMomo(credentials: typeof FAKE_MOMO_CREDENTIALS = FAKE_MOMO_CREDENTIALS) {
  const calls = { token: 0, requestToPay: 0, status: 0, accountHolder: 0 };
  /** Wallets the fake knows as inactive (MoMo answers `{"result": false}`). */
  const inactive = new Set<string>();
  const requests = new Map<string, FakeMomoRequest>();
  const modes = new Misbehaviours<MomoOperation>();
  const app = new Hono();
  const misbehaving = (c: Parameters<typeof modes.network>[0], operation: MomoOperation, answer: () => Response) => modes.network(c, operation, answer);

  app.use('*', async (c, next) => {
    if (c.req.header('ocp-apim-subscription-key') !== credentials.subscriptionKey) {
      return c.json({ statusCode: 401, message: 'Access denied due to invalid subscription key.' }, 401);
    }
    await next();
  });
  app.post('/collection/token/', (c) => {
    if (c.req.header('authorization') !== `Basic ${btoa(`${credentials.apiUser}:${credentials.apiKey}`)}`) return c.json({}, 401);
    calls.token += 1;
    const answer = { ...MOMO_TOKEN_ANSWER.body, access_token: `tok-${calls.token}` };
    return misbehaving(c, 'token', () => c.json(answer));
  });
  app.use('/collection/v1_0/*', async (c, next) => {
    if (!c.req.header('authorization')?.startsWith('Bearer tok-') || c.req.header('x-target-environment') !== credentials.targetEnvironment) return c.json({}, 401);
    await next();
  });
  app.post('/collection/v1_0/requesttopay', async (c) => {
    calls.requestToPay += 1;
    const ref = c.req.header('x-reference-id') ?? '';
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(ref)) return c.json({ code: 'INVALID_REFERENCE_ID' }, 400);
    if (requests.has(ref)) return misbehaving(c, 'requesttopay', () => c.json({ code: 'RESOURCE_ALREADY_EXIST', message: 'Duplicated reference id. Creation of resource failed.' }, 409));
    const body = await c.req.json<Record<string, unknown>>();
    requests.set(ref, { body, callbackUrl: c.req.header('x-callback-url'), outcome: { status: 'PENDING' } });
    return misbehaving(c, 'requesttopay', () => c.body(null, 202));
  });
  app.get('/collection/v1_0/accountholder/msisdn/:msisdn/active', (c) => {
    calls.accountHolder += 1;
    return misbehaving(c, 'accountholder', () => c.json({ result: !inactive.has(c.req.param('msisdn')) }));
  });
  app.get('/collection/v1_0/requesttopay/:ref', (c) => {
    calls.status += 1;
    const found = requests.get(c.req.param('ref'));
    if (!found) return misbehaving(c, 'status', () => c.json({ code: 'RESOURCE_NOT_FOUND', message: 'Requested resource was not found.' }, 404));
    const { outcome } = found;
    const { financialTransactionId: _template, ...template } = STATUS_TEMPLATE;
    const answer = {
      ...template,
      ...('financialTransactionId' in outcome ? { financialTransactionId: outcome.financialTransactionId } : {}),
      externalId: found.body.externalId,
      amount: found.body.amount,
      currency: found.body.currency,
      payer: found.body.payer,
      payerMessage: found.body.payerMessage,
      payeeNote: found.body.payeeNote,
      status: outcome.status,
      ...('reason' in outcome ? { reason: outcome.reason } : {}),
    };
    return misbehaving(c, 'status', () => c.json(answer));
  });
  const server = await serveFake(app, modes.held);

  function requestOf(paymentId: string): FakeMomoRequest {
    const found = requests.get(paymentId);
    if (!found) throw new Error(`fake momo: no request-to-pay ${paymentId}`);
    return found;
  }
  const callback = (paymentId: string, status: string): ProviderCallback => ({
    path: '/payments/mtn-momo/callback',
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(momoCallbackBody(paymentId, status)),
  });

  const fake = paymentApiFake({
    baseUrl: server.baseUrl,
    operations: MOMO_OPERATIONS,
    pushOperation: 'requesttopay',
    calls,
    requests,
    inactive,
    held: () => modes.held.size,
    misbehave: modes.misbehave,
    release: modes.release,
    pushes: () => requests.size,
    settle(paymentId: string, outcome: FakeOutcome) {
      const found = requestOf(paymentId);
      switch (outcome.status) {
        case 'succeeded':
          found.outcome = { status: 'SUCCESSFUL', financialTransactionId: `ft-${paymentId.slice(0, 8)}` };
          if (outcome.amountXof !== undefined) found.body.amount = String(outcome.amountXof);
          if (outcome.currency !== undefined) found.body.currency = outcome.currency;
          return;
        case 'failed':
          found.outcome = { status: 'FAILED', reason: 'APPROVAL_REJECTED' };
          return;
        case 'unknown':
          found.outcome = { status: 'ONGOING' };
          return;
        case 'refunded':
          throw new Error('fake momo: a request-to-pay has no refunded status');
      }
    },
    /** MoMo's unsigned callback: the status answer's shape (momodeveloper callback page). */
    callbackFor: (paymentId: string) => callback(paymentId, requestOf(paymentId).outcome.status),
    /** Anyone can send MoMo's callback (it is unsigned): a claim of success for a payment still pending. */
    forgedCallbackFor: (paymentId: string) => callback(paymentId, 'SUCCESSFUL'),
    close: server.close,
  });
  return fake;
}

export type FakeMomo = Awaited<ReturnType<typeof startFakeMomo>>;
