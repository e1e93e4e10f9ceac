import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hop, OwnRedis, startGateway, type GatewayProcess } from '../../testkit/processes.js';
import { until } from '../../testkit/until.js';

/**
 * Issue 12, items 1 and 2: the gateway on a Redis that is down at start, killed, and frozen. It never
 * exits, never answers 5xx, gives the citizen a polite END within a fixed budget, reports not-ready
 * and recovers by itself. Its own redis-server on a free port; the gateway as its own process.
 */
const UNAVAILABLE = /^END Service momentanément indisponible/;
/** Far above the 300 ms command budget, far below Hubtel's 5 s: a bound, not a speed claim. */
const POLITE_WITHIN_MS = 2_000;

let redis: OwnRedis;
let gateway: GatewayProcess;
const statuses: number[] = [];
let session = 0;
const walk = async (expectWorking: boolean) => {
  const id = `outage-${process.pid}-${++session}`;
  const first = await hop(gateway.url, id, '');
  statuses.push(first.status);
  if (expectWorking) {
    expect(first.body).toMatch(/^CON Service Public/);
    const second = await hop(gateway.url, id, '1');
    statuses.push(second.status);
    expect(second.body).toMatch(/^CON Numéro de la demande/);
  }
  return first;
};

beforeAll(async () => {
  redis = await OwnRedis.onFreePort();
  // Redis is not running yet: the gateway must start all the same.
  gateway = await startGateway({ REDIS_URL: redis.url });
}, 30_000);

afterAll(async () => {
  gateway?.child.kill('SIGKILL');
  await redis?.kill();
});

describe('a gateway whose Redis is down, then killed, then frozen', () => {
  it('starts while Redis is down, says not-ready, answers politely within its budget', async () => {
    expect(gateway.child.exitCode).toBeNull();
    const ready = await fetch(`${gateway.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not_ready', parts: { redis: expect.stringMatching(/^not connected/) } });
    for (let i = 0; i < 5; i++) {
      const answer = await walk(false);
      expect(answer.body).toMatch(UNAVAILABLE);
      expect(answer.ms).toBeLessThan(POLITE_WITHIN_MS);
    }
  });

  it('connects by itself when Redis comes up, and serves walks', async () => {
    await redis.start();
    await until(async () => (await fetch(`${gateway.url}/readyz`)).status === 200, 'the gateway to report ready', 15_000);
    await walk(true);
  });

  it('a killed Redis: polite ENDs at once, then recovery', async () => {
    await redis.kill();
    for (let i = 0; i < 5; i++) {
      const answer = await walk(false);
      expect(answer.body).toMatch(UNAVAILABLE);
      expect(answer.ms).toBeLessThan(POLITE_WITHIN_MS);
    }
    expect((await fetch(`${gateway.url}/readyz`)).status).toBe(503);
    await redis.start();
    await until(async () => (await fetch(`${gateway.url}/readyz`)).status === 200, 'the gateway to report ready again', 15_000);
    await walk(true);
  });

  it('a frozen Redis (connection open, no answers): polite ENDs within the budget, then recovery', async () => {
    redis.freeze();
    try {
      const answers = await Promise.all(Array.from({ length: 10 }, () => walk(false)));
      for (const answer of answers) {
        expect(answer.body).toMatch(UNAVAILABLE);
        expect(answer.ms).toBeLessThan(POLITE_WITHIN_MS);
      }
    } finally {
      redis.thaw();
    }
    await until(async () => (await hop(gateway.url, `thaw-${Date.now()}`, '')).body.startsWith('CON'), 'walks to work after the thaw', 15_000);
  });

  it('never exited, never answered 5xx, never logged an unhandled rejection', () => {
    expect(gateway.child.exitCode).toBeNull();
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(gateway.output()).not.toContain('unhandled rejection');
  });
});

describe('callbacks while Redis is down (issue 12, item 10)', () => {
  it('a delivery report, an inbound SMS and a payment callback get 503 with Retry-After, so the provider retries', async () => {
    await redis.kill();
    try {
      const answers = await Promise.all([
        fetch(`${gateway.url}/sms/kannel/dlr?id=950204765&type=1`),
        fetch(`${gateway.url}/sms/africastalking/dlr`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'id=ATXid_1&status=Success&phoneNumber=%2B2290197000001' }),
        fetch(`${gateway.url}/payments/sandbox/callback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ externalId: crypto.randomUUID(), status: 'SUCCESSFUL' }) }),
      ]);
      for (const answer of answers) {
        expect([503, 404]).toContain(answer.status);
        if (answer.status === 503) expect(answer.headers.get('retry-after')).toBeTruthy();
      }
      expect(answers.filter((a) => a.status === 503).length).toBeGreaterThanOrEqual(2);
    } finally {
      await redis.start();
    }
  });
});
