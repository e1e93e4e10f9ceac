import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OwnRedisSentinel } from '../testkit/redis-cluster.js';
import { startGateway, type GatewayProcess } from '../testkit/processes.js';
import { until } from '../testkit/until.js';

/*
 * Issue 15: Redis behind Sentinel (1 master, 1 replica, 3 sentinels of this test's own). The gateway
 * finds the master through REDIS_SENTINELS, and after `SENTINEL FAILOVER` it follows the new one:
 * a walk started before the switch finishes after it, on the same session.
 */
let sentinel: OwnRedisSentinel;
let gateway: GatewayProcess | undefined;

beforeAll(async () => {
  sentinel = await OwnRedisSentinel.start();
}, 30_000);

afterAll(async () => {
  gateway?.child.kill('SIGKILL');
  await sentinel?.stop();
});

async function hop(sessionId: string, text: string): Promise<string> {
  const res = await fetch(`${gateway!.url}/ussd/africastalking`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ sessionId, serviceCode: '*123#', phoneNumber: '+2290197000001', networkCode: '61602', text }).toString(),
    signal: AbortSignal.timeout(8_000),
  });
  expect(res.status).toBe(200);
  return res.text();
}

describe('the gateway on Redis Sentinel', () => {
  it('connects through the sentinels and keeps answering after a sentinel failover', async () => {
    gateway = await startGateway({ REDIS_SENTINELS: sentinel.sentinels, REDIS_SENTINEL_NAME: sentinel.name, REDIS_PREFIX: `sentinel-${process.pid}:` }, { startMs: 30_000 });
    await until(async () => (await fetch(`${gateway!.url}/readyz`)).ok, 'the gateway to be ready through the sentinels', 15_000);
    const session = `sentinel-${Date.now()}`;
    expect(await hop(session, '')).toMatch(/^CON Service Public du Bénin/);
    expect(await hop(session, '1')).toMatch(/^CON Numéro de la demande/);

    const before = sentinel.masterPort;
    const after = await sentinel.failover();
    expect(after).not.toBe(before);

    // Politely unavailable while ioredis finds the new master, then the same session goes on.
    await until(async () => !(await hop(`probe-${Date.now()}`, '')).includes('indisponible'), 'hops to be served by the new master', 20_000);
    expect(await hop(session, '1*PS00373-240001')).toMatch(/^END PS00373-240001/);
    expect((await fetch(`${gateway.url}/readyz`)).status).toBe(200);
  }, 90_000);
});
