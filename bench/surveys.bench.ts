/**
 * What taking-and-counting a survey answer in one script costs against the two-step way it
 * replaced (GETDEL of the pending survey, then a MULTI of its counters: an answer could be taken
 * and lost between the two). Both on the same Redis, the same answers, interleaved rounds,
 * medians: answers/s, and Redis commands executed per answer (INFO commandstats, which counts a
 * script's own commands as well as the EVALSHA), with the ratios one-script / two-step.
 *
 *   npm run bench -- surveys        (BENCH_ANSWERS, BENCH_ROUNDS, BENCH_CONCURRENCY, BENCH_REDIS_URL)
 */
import { Redis } from 'ioredis';
import { median } from './lib.js';
import type { PendingSurvey } from '../src/surveys/port.js';
import { RedisSurveyStore } from '../src/surveys/redis.js';

const ANSWERS = Number(process.env.BENCH_ANSWERS ?? 4000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
/** A database of its own, emptied before and after. */
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/13';
const WEEK = { pendingTtlMs: 3 * 24 * 3600_000, quietMs: 7 * 24 * 3600_000 };
const asked: PendingSurvey = { channel: 'sms', agency: 'anip', service: 'PS00200', ccsp: 'CCSP-COTONOU-1', month: '2026-12', language: 'fr' };

/** The replaced way, as `src/surveys/redis.ts` did it before: GETDEL, then one MULTI of the counters. */
async function twoStepAnswer(redis: Redis, prefix: string, numberKey: string): Promise<boolean> {
  const raw = await redis.getdel(`${prefix}pending:{${numberKey}}`);
  if (!raw) return false;
  const pending = JSON.parse(raw) as PendingSurvey;
  const hash = `${prefix}results:{${pending.month}}:${pending.agency}:${pending.service}`;
  const index = `${prefix}results:{${pending.month}}:rows`;
  await redis.multi().hincrby(hash, `${pending.ccsp}|4`, 1).sadd(index, JSON.stringify([pending.agency, pending.service])).expire(hash, 400 * 86400).expire(index, 400 * 86400).exec();
  return true;
}

async function inBatches(count: number, task: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < count; i += CONCURRENCY) await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count - i) }, (_, j) => task(i + j)));
}

const commands = async (redis: Redis) => [...(await redis.info('commandstats')).matchAll(/calls=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);

type Way = 'twoStep' | 'oneScript';
const WAYS: Way[] = ['twoStep', 'oneScript'];

async function round(redis: Redis, way: Way, n: number): Promise<{ perSecond: number; commandsPerAnswer: number }> {
  const prefix = `bench-surveys:${way}:${n}:`;
  const store = new RedisSurveyStore(redis, prefix);
  // Set up outside the measure: every answer finds its survey waiting.
  if (way === 'oneScript') await inBatches(ANSWERS, (i) => store.offer(`h${i}`, `bench:${i}`, asked, WEEK));
  else await inBatches(ANSWERS, (i) => redis.set(`${prefix}pending:{h${i}}`, JSON.stringify(asked), 'PX', WEEK.pendingTtlMs));
  const before = await commands(redis);
  const started = performance.now();
  let counted = 0;
  await inBatches(ANSWERS, async (i) => {
    const ok = way === 'oneScript' ? (await store.answer(`h${i}`, 'sms', { rating: 4 })) !== null : await twoStepAnswer(redis, prefix, `h${i}`);
    if (ok) counted++;
  });
  const seconds = (performance.now() - started) / 1000;
  const executed = (await commands(redis)) - before - 1;
  if (counted !== ANSWERS) throw new Error(`${way}: ${counted} of ${ANSWERS} answers counted`);
  return { perSecond: ANSWERS / seconds, commandsPerAnswer: executed / ANSWERS };
}

const redis = new Redis(REDIS_URL);
await redis.flushdb();
try {
  await round(redis, 'oneScript', -1);
  await round(redis, 'twoStep', -1);
  const results: Record<Way, { perSecond: number; commandsPerAnswer: number }[]> = { twoStep: [], oneScript: [] };
  for (let n = 0; n < ROUNDS; n++) {
    for (const way of n % 2 ? [...WAYS].reverse() : WAYS) {
      const r = await round(redis, way, n);
      results[way].push(r);
      console.log(`round ${n + 1} ${way.padEnd(9)} ${r.perSecond.toFixed(0).padStart(7)} answers/s  ${r.commandsPerAnswer.toFixed(2)} redis commands/answer`);
    }
  }
  const m = (way: Way, k: 'perSecond' | 'commandsPerAnswer') => median(results[way].map((r) => r[k]));
  console.log(`\nmedians of ${ROUNDS} rounds, ${ANSWERS} answers, ${CONCURRENCY} at a time:`);
  for (const way of WAYS) console.log(`${way.padEnd(9)} ${m(way, 'perSecond').toFixed(0).padStart(7)} answers/s  ${m(way, 'commandsPerAnswer').toFixed(2)} redis commands/answer`);
  console.log(`ratios oneScript / twoStep: answers/s ${(m('oneScript', 'perSecond') / m('twoStep', 'perSecond')).toFixed(2)}   commands/answer ${(m('oneScript', 'commandsPerAnswer') / m('twoStep', 'commandsPerAnswer')).toFixed(2)}`);
} finally {
  await redis.flushdb();
  await redis.quit();
}
