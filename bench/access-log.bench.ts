/**
 * What writing "who looked at my file" costs a lookup: the `portal.requestStatus` service as every
 * runtime builds it (`createServices`), over the demo portal bare (the baseline), wrapped by
 * `withAccessLog` on the memory store and on Redis as the Node gateway wires them (node:crypto
 * hashes), and on Redis with the WebCrypto defaults. Every lookup is a new caller of a request of
 * a different holder (no 10-minute merge: each one is a real append). Sequential lookups (µs each)
 * and 50 in flight (lookups/s), interleaved rounds, medians, ratios to the bare portal.
 *
 *   npm run bench -- access-log     (BENCH_REDIS_URL: a database of its own, emptied; BENCH_ROUNDS, BENCH_LOOKUPS)
 */
import { Redis } from 'ioredis';
import { MemoryAccessLogStore } from '../src/access-log/memory.js';
import type { AccessLogStore } from '../src/access-log/port.js';
import { withAccessLog } from '../src/access-log/recorder.js';
import { RedisAccessLogStore } from '../src/access-log/redis.js';
import { createDemoPortal, type DemoRequest } from '../src/portal/demo.js';
import type { PortalClient } from '../src/portal/port.js';
import { createServices } from '../src/services/create-services.js';
import type { ServiceHandler } from '../src/services/service-registry.js';
import { nodeAccessLogHolderKey, nodeSha256Hex } from '../src/runtime/node/access-log-hashing.js';
import { median } from './lib.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const LOOKUPS = Number(process.env.BENCH_LOOKUPS ?? 2000);
const IN_FLIGHT = 50;
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/13';

const HOLDERS = 1000;
const requests: DemoRequest[] = Array.from({ length: HOLDERS }, (_, i) => ({
  requestNumber: `PS00373-${String(500000 + i)}`,
  serviceCode: 'PS00373',
  status: 'under_review',
  updatedAt: '2026-11-23',
  holderMsisdn: `+22901${String(60000000 + i)}`,
  holderNpi: String(1000000000 + i),
  holderBirthDate: '15031990',
  amountXof: 1900,
  paid: false,
}));

const redis = new Redis(REDIS_URL, { enableAutoPipelining: true, maxRetriesPerRequest: 1 });
await redis.flushdb();

function lookupWith(portal: PortalClient): ServiceHandler {
  return createServices({ portal, ccsp: {} })['portal.requestStatus']!;
}
// As the Node gateway wires it (node:crypto hashes), and with the WebCrypto defaults (Workers' hashes).
const recorded = (store: AccessLogStore, nodeHashes: boolean) =>
  withAccessLog(createDemoPortal(requests), { store, piiHashKey: 'bench-key', ...(nodeHashes ? { holderKey: nodeAccessLogHolderKey('bench-key') } : {}) });
const arms = {
  bare: lookupWith(createDemoPortal(requests)),
  memory: lookupWith(recorded(new MemoryAccessLogStore(undefined, nodeSha256Hex), true)),
  redis: lookupWith(recorded(new RedisAccessLogStore(redis, { prefix: 'bench:', sha256: nodeSha256Hex }), true)),
  'redis-webcrypto': lookupWith(recorded(new RedisAccessLogStore(redis, { prefix: 'bench:wc:' }), false)),
};
type Arm = keyof typeof arms;
const ARMS: Arm[] = ['bare', 'memory', 'redis', 'redis-webcrypto'];

let caller = 0;
/** One lookup by a caller never seen before (the holder's own number every 10th, so some answers are `ok`). */
async function lookup(handler: ServiceHandler, i: number): Promise<void> {
  const request = requests[i % HOLDERS]!;
  const msisdn = i % 10 === 0 ? request.holderMsisdn : `+22901${String(90000000 + (caller++ % 9_999_999))}`;
  const outcome = await handler({ requestNumber: request.requestNumber }, { msisdn, language: 'fr', signal: new AbortController().signal, channel: 'ussd' });
  if (outcome.outcome !== 'ok' && outcome.outcome !== 'not_found') throw new Error(`lookup answered ${outcome.outcome}`);
}

async function sequential(handler: ServiceHandler): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < LOOKUPS; i++) await lookup(handler, i);
  return ((performance.now() - started) * 1000) / LOOKUPS;
}

async function concurrent(handler: ServiceHandler): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < LOOKUPS) await lookup(handler, next++);
  }));
  return LOOKUPS / ((performance.now() - started) / 1000);
}

try {
  for (const arm of ARMS) await sequential(arms[arm]);
  const results = Object.fromEntries(ARMS.map((arm) => [arm, { us: [] as number[], perSecond: [] as number[] }])) as Record<Arm, { us: number[]; perSecond: number[] }>;
  for (let round = 0; round < ROUNDS; round++) {
    for (const arm of round % 2 ? [...ARMS].reverse() : ARMS) {
      const us = await sequential(arms[arm]);
      const perSecond = await concurrent(arms[arm]);
      results[arm].us.push(us);
      results[arm].perSecond.push(perSecond);
      console.log(`round ${round + 1} ${arm.padEnd(15)} ${us.toFixed(1).padStart(7)} µs/lookup sequential   ${perSecond.toFixed(0).padStart(7)} lookups/s with ${IN_FLIGHT} in flight`);
    }
  }
  console.log(`\nmedians of ${ROUNDS} rounds, ${LOOKUPS} lookups each way:`);
  for (const arm of ARMS) {
    const us = median(results[arm].us);
    const perSecond = median(results[arm].perSecond);
    const ratio = arm === 'bare' ? '' : `   ratio to bare: µs ${(us / median(results.bare.us)).toFixed(2)}, lookups/s ${(perSecond / median(results.bare.perSecond)).toFixed(2)}`;
    console.log(`${arm.padEnd(15)} ${us.toFixed(1).padStart(7)} µs/lookup ${perSecond.toFixed(0).padStart(7)} lookups/s${ratio}`);
  }
  console.log(`entries in Redis (trimmed to 200 per holder): ${(await Promise.all((await redis.keys('bench:*accesslog:*')).map((k) => redis.llen(k)))).reduce((a, b) => a + b, 0)}`);
} finally {
  await redis.flushdb();
  await redis.quit();
}
