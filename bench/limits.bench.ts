/**
 * What the shared USSD flood guard costs a hop: the gateway on Redis with the guard off (the
 * baseline) and on (a limit no walk reaches, so every hop is counted and none refused), 3-hop
 * walks, interleaved rounds, medians: hops/s, p99, server CPU per hop, and the ratios guard/none.
 * Also the Redis commands executed per hop with the guard on and off (INFO commandstats, which
 * counts the commands a script runs as well as the EVALSHA itself): what the guard adds in Redis.
 *
 *   npm run bench -- limits        (BENCH_SECONDS, BENCH_ROUNDS, BENCH_CONNECTIONS to tune)
 */
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { fileURLToPath } from 'node:url';
import { cpuMs, median, startServer } from './lib.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
/** A database of its own, emptied before and after. */
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/13';

function walk(): autocannon.Request[] {
  return ['', '1', '1*PS00373-240001'].map((text, i) => ({
    method: 'POST',
    path: '/ussd/africastalking',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    setupRequest: (req: autocannon.Request, context: object) => {
      const state = context as { sessionId?: string };
      if (i === 0) state.sessionId = `bench-limits-${Math.random().toString(36).slice(2)}`;
      return { ...req, body: new URLSearchParams({ sessionId: String(state.sessionId), serviceCode: '*123#', phoneNumber: '+2290197000001', text }).toString() };
    },
  }));
}

interface Result {
  hopsPerSecond: number;
  p99: number;
  cpuUsPerHop: number;
  errors: number;
}

async function run(url: string, pid: number): Promise<Result> {
  let wrong = 0;
  const requests = walk();
  requests.at(-1)!.onResponse = (status: number, body: string) => {
    if (status !== 200 || !body.startsWith('END PS00373-240001')) wrong++;
  };
  const before = cpuMs(pid);
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, requests });
  return {
    hopsPerSecond: result.requests.average,
    p99: result.latency.p99,
    cpuUsPerHop: ((cpuMs(pid) - before) * 1000) / Math.max(1, result.requests.total),
    errors: result.errors + result.non2xx + wrong,
  };
}

async function commandsPerHop(redis: Redis, url: string): Promise<number> {
  const total = async () => [...(await redis.info('commandstats')).matchAll(/calls=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  const hops = 300;
  const before = await total();
  for (let i = 0; i < hops / 3; i++) {
    for (const text of ['', '1', '1*PS00373-240001']) {
      await fetch(`${url}/ussd/africastalking`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ sessionId: `count-${url}-${i}`, serviceCode: '*123#', phoneNumber: '+2290197000001', text }).toString(),
      });
    }
  }
  // The two INFO calls themselves are not the gateway's.
  return (await total() - before - 1) / hops;
}

const here = fileURLToPath(new URL('.', import.meta.url));
const redis = new Redis(REDIS_URL);
await redis.flushdb();
const servers = {
  // A minute to start: on a machine shared with other work, tsx alone can take 10 s.
  none: await startServer(`${here}servers/gateway.ts`, { REDIS_URL, USSD_HOP_RATE_PER_MINUTE: '0' }, 60_000),
  guard: await startServer(`${here}servers/gateway.ts`, { REDIS_URL, USSD_HOP_RATE_PER_MINUTE: '100000' }, 60_000),
};
type Who = keyof typeof servers;
const WHO: Who[] = ['none', 'guard'];
try {
  for (const who of WHO) await autocannon({ url: servers[who].url, connections: CONNECTIONS, duration: 2, requests: walk() });
  const results: Record<Who, Result[]> = { none: [], guard: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const who of round % 2 ? [...WHO].reverse() : WHO) {
      const r = await run(servers[who].url, servers[who].child.pid!);
      results[who].push(r);
      console.log(`round ${round + 1} ${who.padEnd(6)} ${r.hopsPerSecond.toFixed(0).padStart(6)} hops/s  p99 ${r.p99} ms  cpu ${r.cpuUsPerHop.toFixed(0)} µs/hop  errors ${r.errors}`);
    }
  }
  const m = (who: Who, k: keyof Result) => median(results[who].map((r) => r[k]));
  console.log(`\nmedians of ${ROUNDS} rounds, ${CONNECTIONS} concurrent 3-hop walks, ${SECONDS} s each:`);
  for (const who of WHO) console.log(`${who.padEnd(6)} ${m(who, 'hopsPerSecond').toFixed(0).padStart(7)} hops/s  p99 ${m(who, 'p99')} ms  cpu ${m(who, 'cpuUsPerHop').toFixed(0)} µs/hop`);
  console.log(`ratios guard / none: hops/s ${(m('guard', 'hopsPerSecond') / m('none', 'hopsPerSecond')).toFixed(2)}   p99 ${(m('guard', 'p99') / Math.max(1, m('none', 'p99'))).toFixed(2)}   cpu/hop ${(m('guard', 'cpuUsPerHop') / m('none', 'cpuUsPerHop')).toFixed(2)}   target hops/s >= 0.90`);
  for (const who of WHO) console.log(`redis commands executed per hop, scripts' own included (${who}): ${(await commandsPerHop(redis, servers[who].url)).toFixed(2)}`);
} finally {
  for (const server of Object.values(servers)) server.child.kill();
  await redis.flushdb();
  await redis.quit();
}
