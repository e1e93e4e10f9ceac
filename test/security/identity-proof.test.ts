import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisAttemptLimiter } from '../../src/limits/redis.js';
import { MemoryAttemptLimiter } from '../../src/limits/memory.js';
import { IDENTITY_PROOF_POLICY, type AttemptLimiter } from '../../src/limits/port.js';
import { atHop, createTestGateway, defaultServices } from '../../testkit/harness.js';

/**
 * Issue 11, item 6: the NPI + birth-date proof has an attempt limit per caller number and per NPI,
 * with a growing lock the citizen is told about, shared through Redis by every instance.
 * PS00373-240001 belongs to +2290197000001, NPI 1234567890, born 15031990.
 */
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
afterAll(() => redis.quit());

async function gateway(attempts: AttemptLimiter, clock: { now: number }) {
  return createTestGateway({ services: await defaultServices({ attempts, now: () => clock.now }) });
}

let session = 0;
/** One full proof attempt through the Africa's Talking route: track, not mine, prove, NPI, date. */
async function prove(app: Awaited<ReturnType<typeof gateway>>['app'], phoneNumber: string, birthDate: string, npi = '1234567890'): Promise<string> {
  const sessionId = `idproof-${process.pid}-${++session}`;
  const texts = ['', '1', '1*PS00373-240001', '1*PS00373-240001*1', `1*PS00373-240001*1*${npi}`, `1*PS00373-240001*1*${npi}*${birthDate}`];
  let body = '';
  for (const text of texts) body = (await atHop(app, { sessionId, text, phoneNumber })).body;
  return body;
}

describe.each([
  ['memory', () => new MemoryAttemptLimiter()],
  ['redis', () => new RedisAttemptLimiter(redis, IDENTITY_PROOF_POLICY, `test-idproof:${process.pid}:${Date.now()}:${Math.random()}:`)],
])('identity proof attempts (%s)', (_name, makeLimiter) => {
  it('200 wrong birth dates then the right one do not show the status; the lock is told and grows', async () => {
    const clock = { now: Date.UTC(2026, 11, 2, 10) };
    const { app } = await gateway(makeLimiter(), clock);
    const stranger = '+2290166000009';
    const answers: string[] = [];
    for (let day = 1; day <= 5; day++) answers.push(await prove(app, stranger, `${String(day).padStart(2, '0')}011980`));
    expect(answers.slice(0, 3).every((a) => a.startsWith('END Nous ne pouvons pas afficher'))).toBe(true);
    expect(answers[3]).toBe("END Trop d'essais d'identification. Réessayez dans 1 min ou rendez-vous dans un CCSP.");
    // While locked, even the right proof shows nothing (and is not counted against anyone).
    expect(await prove(app, stranger, '15031990')).toMatch(/^END Trop d'essais.*dans 1 min/);
    for (let i = 0; i < 195; i++) await prove(app, stranger, '01011970');
    expect(await prove(app, stranger, '15031990')).toMatch(/^END Trop d'essais/);
    expect(await prove(app, stranger, '15031990')).not.toContain('Disponible');
  });

  it('locks the NPI for every number, and lets the holder through once the lock is over', async () => {
    const clock = { now: Date.UTC(2026, 11, 2, 10) };
    const { app } = await gateway(makeLimiter(), clock);
    for (let i = 0; i < 4; i++) await prove(app, `+22901660000${10 + i}`, '01011980');
    // A fifth number with the right date: the NPI itself is locked (four failures: one minute).
    expect(await prove(app, '+2290166000020', '15031990')).toMatch(/^END Trop d'essais.*dans 1 min/);
    clock.now += 61_000;
    expect(await prove(app, '+2290166000020', '15031990')).toMatch(/^END PS00373-240001 .*Disponible/s);
    // A success clears the counters: the next mistake is a free one again.
    expect(await prove(app, '+2290166000020', '01011980')).toMatch(/^END Nous ne pouvons pas afficher/);
  });
});

it('two gateways on one Redis count as one', async () => {
  const clock = { now: Date.UTC(2026, 11, 2, 10) };
  const prefix = `test-idproof-shared:${process.pid}:${Date.now()}:`;
  const [a, b] = await Promise.all([gateway(new RedisAttemptLimiter(redis, IDENTITY_PROOF_POLICY, prefix), clock), gateway(new RedisAttemptLimiter(redis, IDENTITY_PROOF_POLICY, prefix), clock)]);
  await prove(a.app, '+2290166000030', '01011980');
  await prove(b.app, '+2290166000030', '02011980');
  await prove(a.app, '+2290166000030', '03011980');
  expect(await prove(b.app, '+2290166000030', '04011980')).toMatch(/^END Trop d'essais/);
});
