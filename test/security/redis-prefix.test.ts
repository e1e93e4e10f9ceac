import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createNodeGateway } from '../../src/runtime/node/gateway.js';
import { silentLogger } from '../../src/observability/logger.js';
import { MENUS_DIR } from '../../testkit/harness.js';

/**
 * Issue 11, item 7: `REDIS_PREFIX` keeps two deployments on one Redis apart: sessions, language
 * preferences, attempt counters and the cache are all under their own prefix.
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redis = new Redis(REDIS_URL);
const run = `${process.pid}-${Date.now()}`;
afterAll(async () => {
  for (const prefix of [`dep-a-${run}:`, `dep-b-${run}:`]) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
  }
  await redis.quit();
});

async function hop(app: Awaited<ReturnType<typeof createNodeGateway>>['app'], sessionId: string, text: string): Promise<string> {
  const res = await app.request('/ussd/africastalking', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ sessionId, serviceCode: '*123#', phoneNumber: '+2290197000001', text }).toString(),
  });
  return res.text();
}

it('two deployments with their own REDIS_PREFIX share one Redis without seeing each other', async () => {
  const [a, b] = await Promise.all(
    ['a', 'b'].map((d) => createNodeGateway(loadConfig({ MENUS_DIR, MENUS_WATCH: '0', REDIS_URL, REDIS_PREFIX: `dep-${d}-${run}:` }), silentLogger)),
  );
  try {
    const session = `shared-${run}`;
    await hop(a!.app, session, '');
    expect(await hop(a!.app, session, '4')).toMatch(/^CON Langue:\n1.Français/);
    expect(await hop(a!.app, session, '4*2')).toMatch(/^CON Benin Public Service/);
    // B has never seen this session (A would answer its stored screen), nor this number's English.
    expect(await hop(b!.app, session, '4')).toMatch(/^END Votre session a expiré/);
    expect(await hop(b!.app, `${session}-b`, '')).toMatch(/^CON Service Public du Bénin/);
    expect(await hop(a!.app, `${session}-a`, '')).toMatch(/^CON Benin Public Service/);
    const keysOf = async (prefix: string) => (await redis.keys(`${prefix}*`)).length;
    expect(await keysOf(`dep-a-${run}:`)).toBeGreaterThan(0);
    expect(await keysOf(`dep-b-${run}:`)).toBeGreaterThan(0);
  } finally {
    await a!.close();
    await b!.close();
  }
});

// The message store's WATCH/MULTI runs on a connection of its own: it must connect although the
// gateway's client is lazy and keeps no offline queue (the fuzz found it answering 500).
it("a delivery report on the Node gateway's Redis is recorded, not a 500", async () => {
  const gateway = await createNodeGateway(loadConfig({ MENUS_DIR, MENUS_WATCH: '0', REDIS_URL, REDIS_PREFIX: `dep-a-${run}:` }), silentLogger);
  try {
    await new Promise((r) => setTimeout(r, 100));
    const res = await gateway.app.request('/sms/kannel/dlr?id=950204765&type=1');
    expect(res.status).toBe(200);
  } finally {
    await gateway.close();
  }
});
