/**
 * What one booking costs in Redis, in process (no HTTP: the store is what is measured): Guichet's
 * `RedisAppointmentBook.book` (read the holder's pointer, claim it, take the place: 3 round trips,
 * 2 scripts) against the least any atomic capacity check costs (the baseline: one script,
 * "increment if below capacity", 1 round trip), the same bookings at the same concurrency,
 * interleaved rounds, medians, the ratio guichet/baseline. Also the Redis commands per booking
 * (INFO commandstats, which counts the commands a script runs as well as the EVALSHA itself).
 *
 *   npm run bench -- appointments   (BENCH_REDIS_URL, BENCH_BOOKINGS, BENCH_ROUNDS, BENCH_CONCURRENCY to tune)
 */
import { Redis } from 'ioredis';
import { AppointmentCalendar, AppointmentsConfig } from '../src/appointments/calendar.js';
import type { NewBooking } from '../src/appointments/port.js';
import { RedisAppointmentBook } from '../src/appointments/redis.js';
import { median } from './lib.js';

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/13';
const BOOKINGS = Number(process.env.BENCH_BOOKINGS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const PREFIX = `bench-appt-${process.pid}:`;

// One centre open every day, 24 times of 500 places: no booking of a run is ever refused as full.
const times = Array.from({ length: 24 }, (_, h) => `${String(h).padStart(2, '0')}:00`);
const calendar = new AppointmentCalendar(
  { littoral: [{ name: 'CCSP Cotonou 1', place: 'Ganhi' }] },
  AppointmentsConfig.parse({ horizonDays: 21, defaults: { weekdays: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], times, places: 500 } }),
);
const now = Date.parse('2026-12-07T10:00:00+01:00');
const days = Array.from({ length: 20 }, (_, i) => new Date(Date.parse('2026-12-08T00:00:00Z') + i * 86_400_000).toISOString().slice(0, 10));
const slotOf = (i: number) => ({ day: days[i % days.length]!, time: times[Math.floor(i / days.length) % times.length]! });

const BASELINE = `
local count = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if count >= tonumber(ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
return 1
`;

/** Runs `count` operations, `CONCURRENCY` in flight at once; answers operations per second. */
async function throughput(count: number, operation: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < count) await operation(next++);
  }));
  return count / ((performance.now() - started) / 1000);
}

const redis = new Redis(REDIS_URL);
redis.defineCommand('benchTakeBaseline', { numberOfKeys: 1, lua: BASELINE });
const baselineTake = (redis as unknown as { benchTakeBaseline(key: string, time: string, capacity: number): Promise<number> }).benchTakeBaseline.bind(redis);
const clean = async () => {
  let cursor = '0';
  do {
    const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
    cursor = nextCursor;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
};
const commandsNow = async () => [...(await redis.info('commandstats')).matchAll(/calls=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);

let run = 0;
const guichetRound = async () => {
  const book = new RedisAppointmentBook(redis, calendar, { prefix: `${PREFIX}r${++run}:` });
  return throughput(BOOKINGS, async (i) => {
    const booking: NewBooking = { id: `b${run}-${i}`, holderKey: `h${run}-${i}`, code: '123456', msisdn: '+2290197000001', language: 'fr', centreId: 'cotonou-1', ...slotOf(i) };
    const result = await book.book(booking, now);
    if (result.outcome !== 'booked') throw new Error(`booking ${i}: ${result.outcome}`);
  });
};
const baselineRound = async () => {
  const round = ++run;
  return throughput(BOOKINGS, async (i) => {
    const { day, time } = slotOf(i);
    if ((await baselineTake(`${PREFIX}r${round}:{cotonou-1:${day}}:taken`, time, 500)) !== 1) throw new Error(`baseline ${i}: full`);
  });
};

await clean();
await guichetRound(); // warm-up: scripts loaded, JIT warm
await baselineRound();
const results = { baseline: [] as number[], guichet: [] as number[] };
for (let round = 0; round < ROUNDS; round++) {
  results.baseline.push(await baselineRound());
  results.guichet.push(await guichetRound());
  await clean();
}
let before = await commandsNow();
await baselineRound();
const baselineCommands = (await commandsNow() - before - 1) / BOOKINGS;
before = await commandsNow();
await guichetRound();
const guichetCommands = (await commandsNow() - before - 1) / BOOKINGS;
await clean();
await redis.quit();

const baseline = median(results.baseline);
const guichet = median(results.guichet);
console.log(`appointments: ${BOOKINGS} bookings per round, ${CONCURRENCY} in flight, ${ROUNDS} rounds (medians), ${REDIS_URL}`);
console.log(`  baseline (one "increment if below capacity" script): ${Math.round(baseline)} bookings/s, ${baselineCommands.toFixed(2)} Redis commands per booking`);
console.log(`  guichet (holder claim + place script):               ${Math.round(guichet)} bookings/s, ${guichetCommands.toFixed(2)} Redis commands per booking`);
console.log(`  ratio guichet/baseline: ${(guichet / baseline).toFixed(2)} bookings/s`);
