/**
 * The bare floor for `POST /v1/notifications`: `node:http` with no framework and the same duties
 * done by hand — the API key checked, the JSON body parsed and its fields checked (a Benin number,
 * a known template, an idempotency key), then one auto-pipelined Redis round trip: the opt-out
 * read, the idempotency claim (`SET NX`) and, for a new key, the message queued (`RPUSH`). Nothing
 * a notification API that keeps validation, opt-out, idempotency and queueing could do with less:
 * what `bench/sms.bench.ts` holds the gateway's route to.
 */
import { createServer } from 'node:http';
import { Redis } from 'ioredis';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { enableAutoPipelining: true });
const API_KEY = process.env.FLOOR_API_KEY ?? '';
const TEMPLATES = new Set(['request_ready', 'request_received', 'info_requested', 'payment_received']);
const BENIN = /^\+?(229)?(01)?\d{8}$/;

function answer(res: import('node:http').ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(body);
}

createServer((req, res) => {
  if (req.url === '/health') return answer(res, 200, '{"status":"ok"}');
  if (req.headers['x-api-key'] !== API_KEY) return answer(res, 401, '{"error":"unauthorized"}');
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    let n: { to?: unknown; template?: unknown; idempotencyKey?: unknown; params?: unknown };
    try {
      n = JSON.parse(body) as typeof n;
    } catch {
      return answer(res, 400, '{"error":"bad_request"}');
    }
    if (typeof n.to !== 'string' || !BENIN.test(n.to) || typeof n.template !== 'string' || !TEMPLATES.has(n.template) || typeof n.idempotencyKey !== 'string' || n.idempotencyKey.length < 8) {
      return answer(res, 400, '{"error":"bad_request"}');
    }
    const to = n.to;
    const id = crypto.randomUUID();
    void Promise.all([redis.get(`floor:optout:${to}`), redis.set(`floor:idem:${n.idempotencyKey}`, id, 'EX', 86_400, 'NX')]).then(
      async ([optedOut, claimed]) => {
        if (claimed === 'OK' && optedOut === null) await redis.rpush('floor:queue', JSON.stringify({ id, to, template: n.template, params: n.params }));
        answer(res, claimed === 'OK' ? 202 : 200, `{"id":"${id}","status":"${optedOut === null ? 'queued' : 'failed'}"}`);
      },
      () => answer(res, 503, '{"error":"unavailable"}'),
    );
  });
}).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
