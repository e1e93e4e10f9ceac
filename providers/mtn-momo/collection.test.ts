import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { silentLogger } from '../../src/observability/logger.js';
import { registerPaymentCallbackRoutes } from '../../src/payments/callback-route.js';
import { createEmbeddedPayments } from '../../src/payments/embedded-payments.js';
import { MemoryPaymentStore } from '../../src/payments/memory-payment-store.js';
import type { CollectionRequest } from '../../src/payments/payment-provider.js';
import { PaymentProviderDirectory } from '../../src/payments/provider-directory.js';
import { createDemoPortal, DEMO_MSISDN } from '../../src/portal/demo-portal.js';
import { createMomoCollection, momoConfigFromEnv } from './collection.js';
import { MOMO_STATUS_SAMPLES, MOMO_TOKEN_ANSWER, momoCallbackBody } from './fixtures.js';
import { PollRoundsQueue } from '../../test/payments/poll-rounds-queue.js';

type FakeOutcome = { status: 'PENDING' } | { status: 'SUCCESSFUL'; financialTransactionId: string } | { status: 'FAILED'; reason: string };

/** A local MoMo Collection API following the published shapes. */
async function startFakeMomo() {
  const calls = { token: 0, requestToPay: 0, status: 0, accountHolder: 0 };
  /** Wallets the fake knows as inactive (MoMo answers `{"result": false}`). */
  const inactive = new Set<string>();
  const requests = new Map<string, { body: Record<string, unknown>; callbackUrl?: string; outcome: FakeOutcome }>();
  /** Calls the fake holds without answering until released: `token`, `accountholder`, `requesttopay`, `status`. */
  const hang = new Set<string>();
  const held = new Set<() => void>();
  const server: Server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString();
    const kind = req.url === '/collection/token/' ? 'token' : req.url?.includes('/accountholder/') ? 'accountholder' : req.method === 'POST' ? 'requesttopay' : 'status';
    if (hang.has(kind)) {
      await new Promise<void>((resolve) => held.add(resolve));
      if (res.destroyed) return;
    }
    const send = (status: number, json?: unknown) => {
      res.writeHead(status, json ? { 'content-type': 'application/json' } : {});
      res.end(json ? JSON.stringify(json) : undefined);
    };
    if (req.headers['ocp-apim-subscription-key'] !== 'sub-key') return send(401, { statusCode: 401, message: 'Access denied due to invalid subscription key.' });
    if (req.method === 'POST' && req.url === '/collection/token/') {
      if (req.headers.authorization !== `Basic ${Buffer.from('api-user:api-key').toString('base64')}`) return send(401, {});
      calls.token += 1;
      return send(200, { ...MOMO_TOKEN_ANSWER.body, access_token: `tok-${calls.token}` });
    }
    if (!req.headers.authorization?.startsWith('Bearer tok-') || req.headers['x-target-environment'] !== 'sandbox') return send(401, {});
    if (req.method === 'POST' && req.url === '/collection/v1_0/requesttopay') {
      calls.requestToPay += 1;
      const ref = String(req.headers['x-reference-id'] ?? '');
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(ref)) return send(400, { code: 'INVALID_REFERENCE_ID' });
      if (requests.has(ref)) return send(409, { code: 'RESOURCE_ALREADY_EXIST', message: 'Duplicated reference id. Creation of resource failed.' });
      requests.set(ref, { body: JSON.parse(body) as Record<string, unknown>, callbackUrl: req.headers['x-callback-url'] as string | undefined, outcome: { status: 'PENDING' } });
      return send(202);
    }
    const holderMatch = /^\/collection\/v1_0\/accountholder\/msisdn\/(\d+)\/active$/.exec(req.url ?? '');
    if (req.method === 'GET' && holderMatch) {
      calls.accountHolder += 1;
      return send(200, { result: !inactive.has(holderMatch[1]!) });
    }
    const statusMatch = /^\/collection\/v1_0\/requesttopay\/([^/]+)$/.exec(req.url ?? '');
    if (req.method === 'GET' && statusMatch) {
      calls.status += 1;
      const found = requests.get(decodeURIComponent(statusMatch[1]!));
      if (!found) return send(404, { code: 'RESOURCE_NOT_FOUND' });
      const { outcome } = found;
      return send(200, {
        ...(outcome.status === 'SUCCESSFUL' ? { financialTransactionId: outcome.financialTransactionId } : {}),
        externalId: found.body.externalId,
        amount: found.body.amount,
        currency: found.body.currency,
        payer: found.body.payer,
        status: outcome.status,
        ...(outcome.status === 'FAILED' ? { reason: outcome.reason } : {}),
      });
    }
    send(404, {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const release = () => {
    for (const resolve of held) resolve();
    held.clear();
  };
  return {
    baseUrl, calls, requests, inactive, hang, release, held: () => held.size,
    close: () => {
      release();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const collection = (paymentId: string): CollectionRequest => ({
  paymentId, amountXof: 1900, payerMsisdn: DEMO_MSISDN, operator: 'MTN', description: 'x', rememberReference: async (r) => r,
});

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

async function setup() {
  const fake = await startFakeMomo();
  closers.push(fake.close);
  let clock = Date.parse('2026-11-23T09:00:00Z');
  const momo = createMomoCollection({
    baseUrl: fake.baseUrl, apiUser: 'api-user', apiKey: 'api-key', subscriptionKey: 'sub-key',
    targetEnvironment: 'sandbox', callbackUrl: 'https://guichet.example/payments/mtn-momo/callback', now: () => clock, timeoutMs: 300,
  });
  const portal = createDemoPortal();
  const store = new MemoryPaymentStore();
  const jobs = new PollRoundsQueue(0);
  closers.push(() => jobs.close());
  const payments = createEmbeddedPayments(portal, { provider: momo, store, jobs, now: () => clock });
  const app = new Hono();
  registerPaymentCallbackRoutes(app, {
    providers: PaymentProviderDirectory.single(momo), store, apply: payments.apply, logger: silentLogger, enqueueHintConfirmation: payments.enqueueHintConfirmation,
  });
  async function newPayment() {
    const id = crypto.randomUUID();
    await store.create({ id, requestNumber: 'PS00373-240002', amountXof: 1900, payerMsisdn: DEMO_MSISDN, operator: 'MTN', provider: 'mtn-momo', createdAt: new Date(clock).toISOString(), expiresAt: new Date(clock + 600_000).toISOString() });
    return id;
  }
  /** A callback as MoMo sends it; answered before its confirmation job has run. */
  const callback = (body: unknown, method: 'PUT' | 'POST' = 'PUT') =>
    app.request('/payments/mtn-momo/callback', { method, headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { fake, momo, portal, store, jobs, payments, newPayment, callback, advance: (ms: number) => (clock += ms) };
}

describe('MTN MoMo Collection against a local fake', () => {
  it('sends request-to-pay with the payment id as X-Reference-Id and the callback URL, caching the token', async () => {
    const t = await setup();
    const first = await t.newPayment();
    const second = await t.newPayment();
    await t.payments.collect(first);
    await t.payments.collect(second);
    expect(t.fake.calls.token).toBe(1);
    const sent = t.fake.requests.get(first)!;
    expect(sent.callbackUrl).toBe('https://guichet.example/payments/mtn-momo/callback');
    expect(sent.body).toMatchObject({ amount: '1900', currency: 'XOF', externalId: first, payer: { partyIdType: 'MSISDN', partyId: '2290197000001' } });
    expect((await t.store.get(first))?.state).toBe('pending');
  });

  it('checks the wallet first: an inactive account holder fails at once, with no PIN prompt pushed', async () => {
    const t = await setup();
    const id = await t.newPayment();
    t.fake.inactive.add('2290197000001');
    await t.payments.collect(id);
    const payment = await t.store.get(id);
    expect(payment?.state).toBe('failed');
    expect(payment?.history.at(-1)?.reason).toContain('PAYER_NOT_ACTIVE');
    expect(t.fake.calls).toMatchObject({ accountHolder: 1, requestToPay: 0 });
  });

  it('refreshes the token before it expires', async () => {
    const t = await setup();
    await t.payments.collect(await t.newPayment());
    t.advance(3600_000 - 30_000); // inside the refresh margin
    await t.momo.checkStatus({ paymentId: crypto.randomUUID() });
    expect(t.fake.calls.token).toBe(2);
  });

  it('treats 409 on a reused reference as "already sent" and reads its status', async () => {
    const t = await setup();
    const id = await t.newPayment();
    await t.momo.requestCollection(collection(id));
    t.fake.requests.get(id)!.outcome = { status: 'SUCCESSFUL', financialTransactionId: '1234567' };
    const again = await t.momo.requestCollection(collection(id));
    expect(again).toEqual({ status: 'succeeded', providerTransactionId: '1234567', amountXof: 1900, currency: 'XOF' });
    expect(t.fake.calls.requestToPay).toBe(2);
  });

  it.each(['PAYER_NOT_FOUND', 'NOT_ENOUGH_FUNDS', 'APPROVAL_REJECTED', 'EXPIRED', 'TRANSACTION_CANCELED'])(
    'maps FAILED with reason %s to a failed payment, never to the portal',
    async (reason) => {
      const t = await setup();
      const id = await t.newPayment();
      await t.payments.collect(id);
      t.fake.requests.get(id)!.outcome = { status: 'FAILED', reason };
      const res = await t.callback(momoCallbackBody(id, 'FAILED', { reason }));
      expect(res.status).toBe(202);
      await t.jobs.drain();
      const payment = await t.store.get(id);
      expect(payment?.state).toBe('failed');
      expect(payment?.history.at(-1)?.reason).toContain(reason);
      await t.jobs.drain();
      expect(t.portal.payments).toHaveLength(0);
    },
  );

  it('a forged "SUCCESSFUL" callback changes nothing: the status API still says PENDING', async () => {
    const t = await setup();
    const id = await t.newPayment();
    await t.payments.collect(id);
    const res = await t.callback(momoCallbackBody(id, 'SUCCESSFUL', { financialTransactionId: 'forged' }));
    expect(await res.json()).toEqual({ paymentId: id, queued: true });
    await t.jobs.drain();
    expect((await t.store.get(id))?.state).toBe('pending');
    expect(t.fake.calls.status).toBe(1);
  });

  it('callbacks for unknown payments, without externalId or not JSON are refused without effect', async () => {
    const t = await setup();
    expect((await t.callback({ externalId: crypto.randomUUID(), status: 'SUCCESSFUL' })).status).toBe(404);
    expect((await t.callback({ status: 'SUCCESSFUL' })).status).toBe(400);
    expect((await t.callback('{not json')).status).toBe(400);
    expect(t.fake.calls.status).toBe(0);
  });

  it('replayed, reordered and concurrent duplicate callbacks credit the portal exactly once', async () => {
    const t = await setup();
    const id = await t.newPayment();
    await t.payments.collect(id);
    // A stale PENDING callback delivered late, after the success: reordered.
    t.fake.requests.get(id)!.outcome = { status: 'SUCCESSFUL', financialTransactionId: '998877' };
    const responses = await Promise.all([
      ...Array.from({ length: 10 }, () => t.callback({ externalId: id, status: 'SUCCESSFUL' })),
      ...Array.from({ length: 5 }, () => t.callback({ externalId: id, status: 'SUCCESSFUL' }, 'POST')),
      t.callback({ externalId: id, status: 'PENDING' }),
    ]);
    expect(responses.every((r) => r.status === 202)).toBe(true);
    await t.jobs.drain();
    const payment = await t.store.get(id);
    expect(payment?.state).toBe('succeeded');
    expect(payment?.providerTransactionId).toBe('998877');
    expect(payment?.history.filter((h) => h.to === 'succeeded')).toHaveLength(1);
    expect(t.portal.payments.filter((p) => p.paymentId === id)).toHaveLength(1);
  });
  it('answers the callback before the status GET is done: a hanging status API does not hold it', async () => {
    const t = await setup();
    const id = await t.newPayment();
    await t.payments.collect(id);
    t.fake.requests.get(id)!.outcome = { status: 'SUCCESSFUL', financialTransactionId: '77' };
    t.fake.hang.add('status');
    const res = await t.callback(momoCallbackBody(id, 'SUCCESSFUL'));
    // Answered while nothing has been confirmed yet: the status GET is the job's business.
    expect(res.status).toBe(202);
    expect((await t.store.get(id))?.state).toBe('pending');
    t.fake.hang.clear();
    t.fake.release();
    await t.jobs.drain();
    expect((await t.store.get(id))?.state).toBe('succeeded');
  });

  it.each(['token', 'accountholder', 'requesttopay', 'status'])('a hanging %s call is cut at the deadline', async (kind) => {
    const t = await setup();
    const id = await t.newPayment();
    if (kind === 'status') await t.momo.requestCollection(collection(id));
    t.fake.hang.add(kind);
    const call = kind === 'status' ? t.momo.checkStatus({ paymentId: id }) : t.momo.requestCollection(collection(id));
    // The account check is advisory: cut at its deadline, the request-to-pay still goes out.
    if (kind === 'accountholder') expect(await call).toEqual({ status: 'pending' });
    else await expect(call).rejects.toThrow(/timeout|aborted/i);
  });

  it.each([
    ['another amount', { amount: '100' }],
    ['another currency', { currency: 'EUR' }],
  ])('a SUCCESSFUL for %s is not credited (amount_mismatch)', async (_label, change) => {
    const t = await setup();
    const id = await t.newPayment();
    await t.payments.collect(id);
    t.fake.requests.get(id)!.outcome = { status: 'SUCCESSFUL', financialTransactionId: '55' };
    Object.assign(t.fake.requests.get(id)!.body, change);
    await t.callback(momoCallbackBody(id, 'SUCCESSFUL'));
    await t.jobs.drain();
    const payment = await t.store.get(id);
    expect(payment?.state).toBe('failed');
    expect(payment?.history.at(-1)?.reason).toMatch(/amount mismatch/);
    expect(t.portal.payments).toHaveLength(0);
  });

  it('a 404 on status is not a final failure: the payment stays pending', async () => {
    const t = await setup();
    const id = await t.newPayment();
    expect(await t.momo.checkStatus({ paymentId: id })).toEqual({ status: 'pending' });
  });

  it('reads MOMO_TIMEOUT_MS, 10 s by default', () => {
    const env = { MOMO_BASE_URL: 'https://sandbox.momodeveloper.mtn.com', MOMO_API_USER: 'u', MOMO_API_KEY: 'k', MOMO_SUBSCRIPTION_KEY: 's' };
    expect(momoConfigFromEnv(env).timeoutMs).toBe(10_000);
    expect(momoConfigFromEnv({ ...env, MOMO_TIMEOUT_MS: '2500' }).timeoutMs).toBe(2500);
  });
});

describe('MTN MoMo wire samples (fixtures.ts)', () => {
  it.each(MOMO_STATUS_SAMPLES)('$name ($source)', async ({ httpStatus, body, expect: expected }) => {
    const momo = createMomoCollection({
      baseUrl: 'https://momo.example', apiUser: 'u', apiKey: 'k', subscriptionKey: 's', targetEnvironment: 'sandbox',
      fetch: async (url) => {
        if (String(url).endsWith('/collection/token/')) return Response.json(MOMO_TOKEN_ANSWER.body);
        return Response.json(body, { status: httpStatus });
      },
    });
    const asked = momo.checkStatus({ paymentId: crypto.randomUUID() });
    if (expected.status === 'error') await expect(asked).rejects.toThrow(/momo status/);
    else expect(await asked).toEqual(expected);
  });

});
