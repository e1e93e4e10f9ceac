/**
 * Where a USSD hop's CPU goes: runs the gateway (Redis sessions, as `bench/servers/gateway.ts`)
 * under `node --cpu-prof`, drives 10-hop walks at it for a while, stops it, and prints the
 * functions with the most self time and the share of the main parts of the hop path (inclusive).
 *
 *   BENCH_REDIS_URL=redis://127.0.0.1:6379/14 [PROFILE_WALK=3] [PROFILE_SERVER=floor] npx tsx bench/ussd-profile.ts [seconds]
 *
 * PROFILE_SERVER=floor profiles the bare floor (`servers/floor.ts`) under the same walk instead, so
 * the two profiles can be read side by side: what the floor pays too is not the gateway's to cut.
 *
 * Not a `.bench.ts`: `npm run bench` does not run it. The profile stays in the printed directory.
 */
import autocannon from 'autocannon';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startServer } from './lib.js';
import { inFile, PARTS, profileIntoNewDir, reportProfile } from './cpu-profile.js';

const SECONDS = Number(process.argv[2] ?? 10);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/14';
const PHONE = '+2290197000001';
/** The 10-hop walk of `ussd-walk.bench.ts`; `PROFILE_WALK=3`: its 3-hop walk (opening, prompt, portal lookup). */
const INPUTS = process.env.PROFILE_WALK === '3' ? ['1', 'PS00373-240001'] : ['3', '0', '3', '0', '3', '0', '00', '1', 'PS00373-240001'];

const dir = profileIntoNewDir();
const redis = new Redis(REDIS_URL);
await redis.flushdb();
const here = fileURLToPath(new URL('.', import.meta.url));
const SERVER = process.env.PROFILE_SERVER === 'floor' ? 'floor' : 'gateway';
const gateway = await startServer(`${here}servers/${SERVER}.ts`, { REDIS_URL, LOG_LEVEL: 'warn' });
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

const hops = result.requests.total;
reportProfile(
  dir,
  hops,
  'hop',
  (busy) => `${hops} hops in ${SECONDS} s (errors ${result.errors}, non-2xx ${result.non2xx}); busy ${(busy / 1000).toFixed(0)} ms = ${(busy / Math.max(1, hops)).toFixed(0)} µs per hop (profiler overhead included); profile in ${dir}`,
  [
    PARTS.gc,
    PARTS.honoNodeServer,
    PARTS.hono,
    PARTS.ioredis,
    ['handleHop (hop-handler.ts, inclusive)', (n) => n.callFrame.functionName === 'handleHop'],
    ['engine (advance, render)', inFile('/src/engine/')],
    ['keyed hashes (HMAC)', (n) => n.callFrame.url.includes('text-hasher') || n.callFrame.url.includes('pii-hash')],
    PARTS.metrics,
    PARTS.logging,
    ['funnels', inFile('funnel')],
    ['dialect parse (URLSearchParams, buildHop)', (n) => n.callFrame.functionName === 'parse' && n.callFrame.url.includes('providers/')],
    PARTS.timers,
    PARTS.nodeHttp,
  ],
);
