/**
 * The bare Node floor: `node:http` with no framework, the form parsed by hand, one auto-pipelined
 * Redis GET and SET per hop. Nothing a real gateway could do with less: the limit Guichet is held to.
 */
import { createServer } from 'node:http';
import { Redis } from 'ioredis';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { enableAutoPipelining: true });
const SCREEN = '\n1.Suivre une demande\n2.Payer des frais\n3.Trouver un CCSP\n4.Langue';

function field(body: string, name: string): string {
  const start = body.indexOf(`${name}=`);
  if (start < 0) return '';
  const from = start + name.length + 1;
  const end = body.indexOf('&', from);
  return decodeURIComponent((end < 0 ? body.slice(from) : body.slice(from, end)).replace(/\+/g, ' '));
}

createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    const key = `floor:ussd:${field(body, 'sessionId')}`;
    const text = field(body, 'text');
    void Promise.all([redis.get(key), redis.set(key, text, 'EX', 180)]).then(([previous]) => {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`CON ${previous ?? ''}${SCREEN}`);
    });
  });
}).listen(Number(process.env.PORT), '127.0.0.1');
// Exits cleanly on SIGTERM, so `node --cpu-prof` writes its profile (bench/ussd-profile.ts PROFILE_SERVER=floor).
process.on("SIGTERM", () => process.exit(0));
