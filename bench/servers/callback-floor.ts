/**
 * The bare floor for payment callbacks: `node:http` with no framework, the JSON body parsed, the
 * payment id's shape checked, and one idempotent Redis write (`SET … NX`, auto-pipelined) that
 * records the callback once however often it comes. Nothing a durable callback receiver could do
 * with less: what `bench/payments.bench.ts` holds `PUT /payments/mtn-momo/callback` to.
 */
import { createServer } from 'node:http';
import { Redis } from 'ioredis';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { enableAutoPipelining: true });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    let id: unknown;
    try {
      id = (JSON.parse(body) as { externalId?: unknown }).externalId;
    } catch {
      id = undefined;
    }
    if (typeof id !== 'string' || !UUID.test(id)) {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad_request"}');
      return;
    }
    redis.set(`floor:callback:${id}`, body, 'EX', 86_400, 'NX').then(
      (first) => res.writeHead(first === 'OK' ? 202 : 200, { 'content-type': 'application/json' }).end(`{"paymentId":"${id}","queued":true}`),
      () => res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"unavailable"}'),
    );
  });
}).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
