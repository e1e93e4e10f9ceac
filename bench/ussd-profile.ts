/**
 * Where a USSD hop's CPU goes: runs the gateway (Redis sessions, as `bench/servers/gateway.ts`)
 * under `node --cpu-prof`, drives 10-hop walks at it for a while, stops it, and prints the
 * functions with the most self time and the share of the main parts of the hop path (inclusive).
 *
 *   BENCH_REDIS_URL=redis://127.0.0.1:6379/14 [PROFILE_WALK=3] npx tsx bench/ussd-profile.ts [seconds]
 *
 * Not a `.bench.ts`: `npm run bench` does not run it. The profile stays in the printed directory.
 */
import autocannon from 'autocannon';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startServer } from './lib.js';

const SECONDS = Number(process.argv[2] ?? 10);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/14';
const PHONE = '+2290197000001';
/** The 10-hop walk of `ussd-walk.bench.ts`; `PROFILE_WALK=3`: its 3-hop walk (opening, prompt, portal lookup). */
const INPUTS = process.env.PROFILE_WALK === '3' ? ['1', 'PS00373-240001'] : ['3', '0', '3', '0', '3', '0', '00', '1', 'PS00373-240001'];

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const dir = mkdtempSync(join(tmpdir(), 'guichet-prof-'));
process.env.BENCH_NODE_ARGS = `--cpu-prof --cpu-prof-dir=${dir}`;
const redis = new Redis(REDIS_URL);
await redis.flushdb();
const here = fileURLToPath(new URL('.', import.meta.url));
const gateway = await startServer(`${here}servers/gateway.ts`, { REDIS_URL, LOG_LEVEL: 'warn' });
const texts = [''];
for (const input of INPUTS) texts.push(texts.length === 1 ? input : `${texts.at(-1)}*${input}`);
const requests: autocannon.Request[] = texts.map((text, i) => ({
  method: 'POST',
  path: '/ussd/africastalking',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  setupRequest: (req: autocannon.Request, context: object) => {
    const walk = context as { sessionId?: string };
    if (i === 0) walk.sessionId = `prof-${Math.random().toString(36).slice(2)}`;
    return { ...req, body: new URLSearchParams({ sessionId: String(walk.sessionId), serviceCode: '*123#', phoneNumber: PHONE, networkCode: '61602', text }).toString() };
  },
}));
const result = await autocannon({ url: gateway.url, connections: 50, duration: SECONDS, requests });
const exited = new Promise((resolve) => gateway.child.once('exit', resolve));
gateway.child.kill('SIGTERM');
await exited;
await redis.flushdb();
await redis.quit();

const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
if (!file) throw new Error(`no profile written in ${dir}`);
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const idle = [...selfUs].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)').reduce((a, [, us]) => a + us, 0);
const busy = total - idle;
const label = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*node_modules\//, '~/').replace(/^file:\/\/.*?\/(src|providers|bench)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;

const self = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id)!;
  if (n.callFrame.functionName === '(idle)') continue;
  self.set(label(n), (self.get(label(n)) ?? 0) + us);
}
console.log(`${result.requests.total} hops in ${SECONDS} s (errors ${result.errors}, non-2xx ${result.non2xx}); busy ${(busy / 1000).toFixed(0)} ms = ${(busy / Math.max(1, result.requests.total)).toFixed(0)} µs per hop (profiler overhead included); profile in ${dir}`);
console.log('\nself time, top 30:');
for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
  console.log(`${((100 * us) / busy).toFixed(1).padStart(5)}%  ${(us / Math.max(1, result.requests.total)).toFixed(1).padStart(5)} µs/hop  ${name}`);
}

/** Inclusive time of every sample whose stack holds a frame matching the test (counted once per sample). */
function inclusive(test: (n: ProfileNode) => boolean): number {
  let us = 0;
  for (const [id, t] of selfUs) {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      if (test(byId.get(at)!)) {
        us += t;
        break;
      }
    }
  }
  return us;
}
const parts: [string, (n: ProfileNode) => boolean][] = [
  ['garbage collection', (n) => n.callFrame.functionName === '(garbage collector)'],
  ['@hono/node-server (request/response adaptation)', (n) => n.callFrame.url.includes('@hono/node-server')],
  ['hono (routing, context, middleware)', (n) => /node_modules\/hono\//.test(n.callFrame.url)],
  ['ioredis (commands, parser, socket writes)', (n) => n.callFrame.url.includes('ioredis') || n.callFrame.url.includes('redis-parser')],
  ['handleHop (hop-handler.ts, inclusive)', (n) => n.callFrame.functionName === 'handleHop'],
  ['engine (advance, render)', (n) => n.callFrame.url.includes('/src/engine/')],
  ['keyed hashes (HMAC)', (n) => n.callFrame.url.includes('text-hasher') || n.callFrame.url.includes('pii-hash')],
  ['prom-client (metrics)', (n) => n.callFrame.url.includes('prom-client')],
  ['pino (logging)', (n) => n.callFrame.url.includes('pino')],
  ['funnels', (n) => n.callFrame.url.includes('funnel')],
  ['dialect parse (URLSearchParams, buildHop)', (n) => n.callFrame.functionName === 'parse' && n.callFrame.url.includes('providers/')],
  ['timers (budgets, deadlines)', (n) => n.callFrame.functionName === 'setTimeout' || n.callFrame.functionName === 'clearTimeout' || n.callFrame.url.includes('internal/timers')],
  ['node:http / net internals', (n) => /node:_http|node:net|node:internal\/(http|stream|streams)/.test(n.callFrame.url)],
];
console.log('\ninclusive, by part of the path (overlapping):');
for (const [name, test] of parts) {
  const us = inclusive(test);
  console.log(`${((100 * us) / busy).toFixed(1).padStart(5)}%  ${(us / Math.max(1, result.requests.total)).toFixed(1).padStart(5)} µs/hop  ${name}`);
}
