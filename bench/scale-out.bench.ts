/**
 * Capacity and scale-out (issue 15 part 5): hops/s of the gateway as `npm start` runs it, in one
 * run, for one instance on one Redis, two instances on that Redis, and one, two and three instances
 * on a Redis Cluster (3 masters, 3 replicas); two processes against one are printed as their own
 * ratios (issue 18 part 4). The load is the 3-hop walk (menu, "1", a
 * request number: one portal lookup), each instance driven by its own autocannon with the same
 * total number of concurrent walks, hops of a walk not pinned to one instance's connection.
 * Rounds are interleaved and medians taken (the machine is shared and noisy); ratios are against
 * one instance on one Redis. Redis servers and the cluster are the bench's own, on free ports.
 *
 *   npm run bench -- scale-out        (BENCH_SECONDS, BENCH_ROUNDS, BENCH_CONNECTIONS to tune)
 */
import autocannon from 'autocannon';
import { fileURLToPath } from 'node:url';
import { cpuMs, median, startServer } from './lib.js';
import { OwnRedis } from '../testkit/processes.js';
import { OwnRedisCluster } from '../testkit/redis-cluster.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 48);
const PHONE = '+2290197000001';
const WALK = ['', '1', '1*PS00373-240001'];
// The gateways are told where Redis is by this bench alone (REDIS_URL and the cluster are exclusive).
delete process.env.REDIS_URL;

function walkRequests(): autocannon.Request[] {
  return WALK.map((text, i) => ({
    method: 'POST',
    path: '/ussd/africastalking',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    setupRequest: (req: autocannon.Request, context: object) => {
      const walk = context as { sessionId?: string };
      if (i === 0) walk.sessionId = `scale-${Math.random().toString(36).slice(2)}-${Date.now()}`;
      return { ...req, body: new URLSearchParams({ sessionId: String(walk.sessionId), serviceCode: '*123#', phoneNumber: PHONE, networkCode: '61602', text }).toString() };
    },
    ...(i === WALK.length - 1 ? { onResponse: (status: number, body: string) => void (status === 200 && body.startsWith('END PS00373-240001') ? undefined : wrong++) } : {}),
  }));
}
let wrong = 0;

interface Server {
  url: string;
  child: { pid?: number | undefined };
}
interface Result {
  hopsPerSecond: number;
  /** Gateway CPU time per hop, summed over the instances: what a core buys, whatever the load generator's share of the machine. */
  cpuUsPerHop: number;
  p99: number;
  errors: number;
}

/** All instances at once, the concurrent walks shared between them: total hops/s, CPU per hop, errors. */
async function drive(servers: Server[]): Promise<Result> {
  wrong = 0;
  const per = Math.max(1, Math.round(CONNECTIONS / servers.length));
  const cpu = () => servers.reduce((sum, s) => sum + cpuMs(s.child.pid!), 0);
  const cpuBefore = cpu();
  const results = await Promise.all(servers.map((s) => autocannon({ url: s.url, connections: per, duration: SECONDS, requests: walkRequests() })));
  const hops = results.reduce((sum, r) => sum + r.requests.total, 0);
  return {
    hopsPerSecond: results.reduce((sum, r) => sum + r.requests.average, 0),
    cpuUsPerHop: ((cpu() - cpuBefore) * 1000) / Math.max(1, hops),
    p99: Math.max(...results.map((r) => r.latency.p99)),
    errors: results.reduce((sum, r) => sum + r.errors + r.non2xx, 0) + wrong,
  };
}

const here = fileURLToPath(new URL('.', import.meta.url));
const gatewayFile = `${here}servers/gateway.ts`;
const redis = await OwnRedis.started();
const cluster = await OwnRedisCluster.start();
const started: { kill(): unknown }[] = [];
try {
  const onRedis = { REDIS_URL: redis.url, REDIS_PREFIX: 'bench-scale:' };
  const onCluster = { REDIS_CLUSTER_NODES: cluster.seeds, REDIS_PREFIX: 'bench-scale:' };
  const plain = [await startServer(gatewayFile, onRedis), await startServer(gatewayFile, onRedis)];
  const clustered = [await startServer(gatewayFile, onCluster), await startServer(gatewayFile, onCluster), await startServer(gatewayFile, onCluster)];
  started.push(...[...plain, ...clustered].map((s) => s.child));

  const setups: Record<string, Server[]> = {
    '1 instance, 1 Redis': [plain[0]!],
    '2 instances, 1 Redis': plain,
    '1 instance, cluster': [clustered[0]!],
    '2 instances, cluster': [clustered[0]!, clustered[1]!],
    '3 instances, cluster': clustered,
  };
  // Warm every instance (JIT, connections, cluster slot maps) before measuring.
  await drive([...plain, ...clustered]);

  const results: Record<string, Result[]> = {};
  for (const name of Object.keys(setups)) results[name] = [];
  const names = Object.keys(setups);
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order, so no setup always runs on the warmer (or the quieter) machine.
    for (const name of names.map((_, i) => names[(i + round) % names.length]!)) {
      const r = await drive(setups[name]!);
      results[name]!.push(r);
      console.log(`round ${round + 1} ${name.padEnd(22)} ${r.hopsPerSecond.toFixed(0).padStart(6)} hops/s  cpu ${r.cpuUsPerHop.toFixed(0)} µs/hop  p99 ${r.p99} ms  errors ${r.errors}`);
    }
  }

  console.log(`\nmedians of ${ROUNDS} rounds, ${CONNECTIONS} concurrent walks shared by the instances, ${SECONDS} s each, 3-hop walk:`);
  const m = (name: string, key: keyof Result) => median(results[name]!.map((r) => r[key]));
  const base = '1 instance, 1 Redis';
  console.log('setup                   hops/s  ratio   cpu µs/hop  ratio  hops/s per gateway core     p99  errors');
  for (const name of names) {
    const errors = results[name]!.reduce((sum, r) => sum + r.errors, 0);
    console.log(
      `${name.padEnd(22)} ${m(name, 'hopsPerSecond').toFixed(0).padStart(7)}  ${(m(name, 'hopsPerSecond') / m(base, 'hopsPerSecond')).toFixed(2)}  ${m(name, 'cpuUsPerHop').toFixed(0).padStart(11)}  ${(m(name, 'cpuUsPerHop') / m(base, 'cpuUsPerHop')).toFixed(2)}  ${(1e6 / m(name, 'cpuUsPerHop')).toFixed(0).padStart(23)}  ${String(m(name, 'p99')).padStart(6)}  ${String(errors).padStart(6)}`,
    );
  }
  console.log('hops/s per gateway core = 1 s / CPU per hop: the gateway\'s own cost, without the load generator and Redis sharing its cores.');
  for (const [two, one] of [['2 instances, 1 Redis', '1 instance, 1 Redis'], ['2 instances, cluster', '1 instance, cluster']] as const) {
    const perRound = results[two]!.map((r, i) => r.hopsPerSecond / results[one]![i]!.hopsPerSecond);
    console.log(`two processes vs one (${one.replace('1 instance, ', '')}): hops/s ${(m(two, 'hopsPerSecond') / m(one, 'hopsPerSecond')).toFixed(2)}× (rounds ${perRound.map((x) => x.toFixed(2)).join(', ')}), CPU per hop ${(m(two, 'cpuUsPerHop') / m(one, 'cpuUsPerHop')).toFixed(2)}×, p99 ${(m(two, 'p99') / m(one, 'p99')).toFixed(2)}×`);
  }
} finally {
  for (const child of started) child.kill();
  await cluster.stop();
  await redis.stop();
}
