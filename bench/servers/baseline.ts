/**
 * The bare baseline: the same HTTP stack (Hono on @hono/node-server), the same form parsing, and
 * one pipelined Redis read/write per hop, but no engine, no menus, no compare-and-set. What is
 * left between the two is the cost of Guichet itself.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { Redis } from 'ioredis';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { enableAutoPipelining: true });
const app = new Hono();
app.get('/health', (c) => c.json({ status: 'ok' }));
app.post('/ussd/africastalking', async (c) => {
  const form = new URLSearchParams(await c.req.text());
  const key = `baseline:ussd:${form.get('sessionId')}`;
  const text = form.get('text') ?? '';
  const [[, previous]] = (await redis.pipeline().hget(key, 'd').hset(key, 'd', text).expire(key, 180).exec()) as [[null, string | null]];
  return c.text(`CON ${previous ?? ''}\n1.Suivre une demande\n2.Payer des frais\n3.Trouver un CCSP\n4.Langue`);
});
serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(process.env.PORT) });
