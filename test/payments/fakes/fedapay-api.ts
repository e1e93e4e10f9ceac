import { Hono } from 'hono';
import { serveOnLoopback } from '../../loopback-server.js';

/** The secret key the fake accepts (`Authorization: Bearer …`). */
export const FAKE_FEDAPAY_SECRET_KEY = 'sk_sandbox_guichet';
const SECRET_KEY = FAKE_FEDAPAY_SECRET_KEY;

export interface FakeTransaction {
  id: number;
  reference: string;
  status: string;
  amount: number;
  description: string;
  merchant_reference?: string;
  custom_metadata: Record<string, unknown>;
  customer: unknown;
  last_error_code: string;
}

/** A local FedaPay API following its published shapes (objects wrapped as `{"v1/transaction": …}`). */
export async function startFakeFedapay() {
  const calls = { create: 0, token: 0, send: 0, status: 0 };
  const transactions = new Map<number, FakeTransaction>();
  const sends: { mode: string; body: Record<string, unknown> }[] = [];
  const misbehave = { createAnswerLost: false };
  const app = new Hono();
  app.use('*', async (c, next) => {
    if (c.req.header('authorization') !== `Bearer ${SECRET_KEY}`) return c.json({ message: 'Invalid API key', errors: {} }, 401);
    await next();
  });
  app.post('/v1/transactions', async (c) => {
    calls.create += 1;
    const body = await c.req.json<Record<string, unknown>>();
    if (!Number.isInteger(body.amount)) return c.json({ message: 'amount must be an integer' }, 422);
    const id = 1000 + transactions.size;
    const created: FakeTransaction = {
      id, reference: `trx_${id}`, status: 'pending', amount: body.amount as number, description: String(body.description),
      merchant_reference: body.merchant_reference as string, custom_metadata: (body.custom_metadata ?? {}) as Record<string, unknown>,
      customer: body.customer, last_error_code: 'NO_ERROR',
    };
    transactions.set(id, created);
    if (misbehave.createAnswerLost) return c.json({ message: 'Server Error' }, 502);
    return c.json({ 'v1/transaction': created });
  });
  app.post('/v1/transactions/:id/token', (c) => {
    calls.token += 1;
    const found = transactions.get(Number(c.req.param('id')));
    if (!found) return c.json({ message: 'Not found' }, 404);
    return c.json({ token: `tok-${found.id}`, url: `https://process.fedapay.com/tok-${found.id}` });
  });
  app.get('/v1/transactions/:id', (c) => {
    calls.status += 1;
    const found = transactions.get(Number(c.req.param('id')));
    return found ? c.json({ 'v1/transaction': found }) : c.json({ message: 'Not found' }, 404);
  });
  app.post('/v1/:mode', async (c) => {
    calls.send += 1;
    const body = await c.req.json<Record<string, unknown>>();
    const found = transactions.get(Number(String(body.token).replace('tok-', '')));
    if (!found) return c.json({ message: 'invalid token' }, 400);
    if (found.status !== 'pending') return c.json({ message: 'Transaction already processed' }, 400);
    sends.push({ mode: c.req.param('mode'), body });
    return c.json({ reference: `pi_${found.id}`, amount: found.amount, status: 'pending', mode: c.req.param('mode'), last_error_code: 'NO_ERROR' });
  });
  const server = await serveOnLoopback(app);
  return { ...server, calls, transactions, sends, misbehave };
}
