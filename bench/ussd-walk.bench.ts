/**
 * USSD walks through the gateway (Redis sessions) and, in the same run, through two bare servers:
 * the Hono baseline (Hono + one pipelined Redis read/write per hop) and the Node floor (`node:http`,
 * a hand-parsed form, one auto-pipelined GET+SET per hop, no framework): hops/s, p50, p99, server
 * CPU per hop and the ratios, at 3, 10 and 30 hops. Runs are interleaved and medians taken, because
 * this machine is noisy. Also: Redis bytes per live session.
 *
 *   npm run bench -- ussd-walk        (BENCH_SECONDS, BENCH_ROUNDS, BENCH_CONNECTIONS to tune)
 *
 * BENCH_GATEWAY_BEFORE=<a checkout of another commit, with node_modules> adds that commit's gateway
 * (its `bench/servers/gateway.ts`) as a fourth subject, `before`, in the same interleaved rounds:
 * a change measured against what it changed, on the same machine at the same minutes.
 */
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { fileURLToPath } from 'node:url';
import { cpuMs, median, startServer } from './lib.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
/** A database of its own, emptied before and after: the bench never touches anyone else's keys. */
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/14';
const PHONE = '+2290197000001';

/** Inputs after the opening hop. Both walks end on the portal lookup, so both include an action. */
const WALKS: Record<string, string[]> = {
  '3 hops': ['1', 'PS00373-240001'],
  '10 hops': ['3', '0', '3', '0', '3', '0', '00', '1', 'PS00373-240001'],
  '30 hops': [...Array.from({ length: 13 }, () => ['3', '0']).flat(), '00', '1', 'PS00373-240001'],
};
const BEFORE = process.env.BENCH_GATEWAY_BEFORE;
type Who = 'gateway' | 'baseline' | 'floor' | 'before';
const WHO: readonly Who[] = BEFORE ? ['gateway', 'before', 'baseline', 'floor'] : ['gateway', 'baseline', 'floor'];

interface RunResult {
  hopsPerSecond: number;
  /** Server CPU time per hop: independent of how fast the load generator (same machine) can go. */
  cpuUsPerHop: number;
  p50: number;
  p99: number;
  errors: number;
}

function hopRequests(inputs: string[]): autocannon.Request[] {
  const texts = [''];
  for (const input of inputs) texts.push(texts.length === 1 ? input : `${texts.at(-1)}*${input}`);
  return texts.map((text, i) => ({
    method: 'POST',
    path: '/ussd/africastalking',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    setupRequest: (req: autocannon.Request, context: object) => {
      const walk = context as { sessionId?: string };
      if (i === 0) walk.sessionId = `bench-${Math.random().toString(36).slice(2)}-${Date.now()}`;
      return {
        ...req,
        body: new URLSearchParams({ sessionId: String(walk.sessionId), serviceCode: '*123#', phoneNumber: PHONE, networkCode: '61602', text }).toString(),
      };
    },
  }));
}

async function run(url: string, pid: number, inputs: string[], checkLastHop: boolean): Promise<RunResult> {
  let wrong = 0;
  const requests = hopRequests(inputs);
  const last = requests.at(-1)!;
  const seen = new Map<string, number>();
  last.onResponse = (status: number, body: string) => {
    if (status !== 200 || (checkLastHop && !body.startsWith('END PS00373-240001'))) {
      wrong++;
      // What the wrong last screens were, so an error count can be read (a polite END, a resume offer…).
      const what = `${status} ${body.slice(0, 48).replace(/\n/g, ' | ')}`;
      seen.set(what, (seen.get(what) ?? 0) + 1);
    }
  };
  const cpuBefore = cpuMs(pid);
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, requests });
  const cpuUsed = cpuMs(pid) - cpuBefore;
  for (const [what, count] of seen) console.log(`  wrong last screen ×${count}: ${what}`);
  return {
    hopsPerSecond: result.requests.average,
    cpuUsPerHop: (cpuUsed * 1000) / Math.max(1, result.requests.total),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx + wrong,
  };
}

const here = fileURLToPath(new URL('.', import.meta.url));
const redis = new Redis(REDIS_URL);
await redis.flushdb();
const env = { REDIS_URL, LOG_LEVEL: 'warn' };
// A slow start on a busy machine (tsx compiling every module) is not a failure of the bench.
const gateway = await startServer(`${here}servers/gateway.ts`, env, 30_000);
const baseline = await startServer(`${here}servers/baseline.ts`, env);
const floor = await startServer(`${here}servers/floor.ts`, env);
const before = BEFORE ? await startServer(`${BEFORE.replace(/\/$/, '')}/bench/servers/gateway.ts`, env, 30_000) : undefined;
const servers: Partial<Record<Who, { url: string; child: { pid?: number | undefined; kill(): unknown } }>> = { gateway, baseline, floor, ...(before ? { before } : {}) };

try {
  const results: Record<string, Record<Who, RunResult[]>> = {};
  for (const name of Object.keys(WALKS)) results[name] = { gateway: [], baseline: [], floor: [], before: [] };
  // Warm every server (JIT, connections) on every walk before measuring: a cold first round would be
  // charged to whichever walk runs first.
  for (const server of Object.values(servers)) {
    for (const inputs of Object.values(WALKS)) await autocannon({ url: server.url, connections: CONNECTIONS, duration: 2, requests: hopRequests(inputs) });
  }

  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, inputs] of Object.entries(WALKS)) {
      // Rotate which goes first, so none always gets the warmer machine.
      const order = WHO.map((_, i) => WHO[(i + round) % WHO.length]!);
      for (const who of order) {
        const server = servers[who]!;
        const r = await run(server.url, server.child.pid!, inputs, who === 'gateway' || who === 'before');
        results[name]![who].push(r);
        console.log(`round ${round + 1} ${name.padEnd(8)} ${who.padEnd(8)} ${r.hopsPerSecond.toFixed(0).padStart(6)} hops/s  p50 ${r.p50} ms  p99 ${r.p99} ms  cpu ${r.cpuUsPerHop.toFixed(0)} µs/hop  errors ${r.errors}`);
      }
    }
  }

  console.log(`\nmedians of ${ROUNDS} rounds, ${CONNECTIONS} concurrent walks, ${SECONDS} s each:`);
  console.log('walk      who       hops/s    p50    p99  cpu µs/hop  errors');
  const m = (xs: RunResult[], k: keyof RunResult) => median(xs.map((x) => x[k]));
  for (const [name, r] of Object.entries(results)) {
    for (const who of WHO) {
      console.log(`${name.padEnd(9)} ${who.padEnd(8)} ${m(r[who], 'hopsPerSecond').toFixed(0).padStart(7)} ${String(m(r[who], 'p50')).padStart(6)} ${String(m(r[who], 'p99')).padStart(6)} ${m(r[who], 'cpuUsPerHop').toFixed(0).padStart(11)} ${String(r[who].reduce((a, x) => a + x.errors, 0)).padStart(7)}`);
    }
  }
  for (const against of [...(BEFORE ? (['before'] as const) : []), 'baseline', 'floor'] as const) {
    const target = against === 'floor' ? 'hops/s >= 0.75, p99 <= 1.50, cpu <= 1.40' : against === 'baseline' ? 'hops/s >= 0.80, p99 <= 1.50' : '(this change)';
    console.log(`\nratios (gateway / ${against})                      target ${target}`);
    for (const [name, r] of Object.entries(results)) {
      const ratio = (k: keyof RunResult) => m(r.gateway, k) / Math.max(k === 'p99' ? 1 : 1e-9, m(r[against], k));
      console.log(`${name.padEnd(9)} hops/s ${ratio('hopsPerSecond').toFixed(2)}   p99 ${ratio('p99').toFixed(2)}   server cpu/hop ${ratio('cpuUsPerHop').toFixed(2)}`);
    }
  }
  const perHop = (name: string) => m(results[name]!.gateway, 'hopsPerSecond');
  const cpu = (name: string) => m(results[name]!.gateway, 'cpuUsPerHop');
  console.log(`per-hop throughput 10 hops / 3 hops: ${(perHop('10 hops') / perHop('3 hops')).toFixed(2)}, 30 hops / 3 hops: ${(perHop('30 hops') / perHop('3 hops')).toFixed(2)}   target within 0.90..1.10`);
  console.log(`server cpu per hop 30 hops / 3 hops: ${(cpu('30 hops') / cpu('3 hops')).toFixed(2)}   (depth must not add cost)`);

  // Redis memory held by one live session (mid-walk, department list on screen: a large record).
  const live = 200;
  for (let i = 0; i < live; i++) {
    for (const text of ['', '3']) {
      await fetch(`${gateway.url}/ussd/africastalking`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ sessionId: `mem-${i}`, serviceCode: '*123#', phoneNumber: PHONE, text }).toString(),
      });
    }
  }
  const sizes: number[] = [];
  for (let i = 0; i < live; i++) sizes.push((await redis.memory('USAGE', `guichet:ussd:africastalking:mem-${i}`, 'SAMPLES', 0)) ?? 0);
  console.log(`Redis memory per live session: median ${median(sizes)} bytes, max ${Math.max(...sizes)} bytes (MEMORY USAGE)   target <= 1024`);
} finally {
  for (const server of Object.values(servers)) server?.child.kill();
  await redis.flushdb();
  await redis.quit();
}
