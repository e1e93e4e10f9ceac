import { serve, type ServerType } from '@hono/node-server';
import { spawn, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/lib.js';
import { createFakeSecurityServer, type FakeSecurityServerControl } from '../../src/interop/demo-security-server.js';
import { DEMO_REQUESTS } from '../../src/portal/demo.js';

/**
 * The money-safety test: the gateway (its own process, Redis and BullMQ) collects a fee, the portal
 * is down when it should be told, the process is killed (SIGKILL, no goodbye), started again, the
 * portal comes back: the portal must be told, and told once.
 */
const ROOT = new URL('../..', import.meta.url).pathname;
const REDIS_URL = `${(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379').replace(/\/\d*$/, '')}/11`;
let control: FakeSecurityServerControl;
let fake: ServerType;
let fakeUrl: string;
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  await redis.flushdb();
  const server = createFakeSecurityServer(DEMO_REQUESTS);
  control = server.control;
  fake = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: server.app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
});

afterAll(async () => {
  fake?.close();
  await redis.flushdb();
  await redis.quit();
});

function startGateway(port: number): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/runtime/node/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), REDIS_URL, PORTAL: 'xroad', XROAD_SECURITY_SERVER_URL: fakeUrl, SANDBOX_APPROVE_AFTER_MS: '100', LOG_LEVEL: 'warn', MENUS_WATCH: '0' },
    stdio: 'ignore',
  });
}

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function hop(url: string, sessionId: string, text: string): Promise<string> {
  const res = await fetch(`${url}/ussd/africastalking`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ sessionId, serviceCode: '*123#', phoneNumber: '+2290197000001', text }),
  });
  return res.text();
}

describe('a crash between "paid" and "portal told"', () => {
  it('loses nothing and counts nothing twice', async () => {
    // The portal refuses payment notices until told otherwise.
    control.faults.set('payments', { status: 503, type: 'Server.ServerProxy.ServiceFailed', remaining: 1_000 });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    let gateway = startGateway(port);
    try {
      await until(async () => (await fetch(`${url}/health`).catch(() => null))?.ok === true, 'the gateway');
      await hop(url, 'pay-1', '');
      await hop(url, 'pay-1', '2');
      expect(await hop(url, 'pay-1', '2*PS00150-240004')).toMatch(/^CON Acte de naissance sécurisé\nMontant: 500 FCFA/);
      expect(await hop(url, 'pay-1', '2*PS00150-240004*1')).toMatch(/^END Paiement [0-9A-F]{8}: 500 FCFA/);

      // The provider approved and the portal job has tried (and failed) at least once: kill now.
      await until(() => control.calls.some((c) => c.service === 'payments'), 'a first notice to the portal');
      gateway.kill('SIGKILL');
      await new Promise((r) => gateway.on('exit', r));
      expect(control.payments.size).toBe(0);

      // The portal recovers; a new process takes the work up from Redis.
      control.faults.delete('payments');
      gateway = startGateway(port);
      // A job the killed process held comes back once its lock lapses (about 15 s at worst).
      await until(() => control.payments.size === 1, 'the portal to be told after the restart', 60_000);
      await new Promise((r) => setTimeout(r, 1500));
      expect(control.payments.size).toBe(1);
      const [notice] = [...control.payments.values()];
      expect(notice).toMatchObject({ requestNumber: 'PS00150-240004', amountXof: 500, provider: 'sandbox' });

      // Redialling now shows the payer the payment, with the provider's transaction id.
      await until(async () => (await fetch(`${url}/health`).catch(() => null))?.ok === true, 'the restarted gateway');
      await hop(url, 'pay-2', '');
      await hop(url, 'pay-2', '2');
      expect(await hop(url, 'pay-2', '2*PS00150-240004')).toMatch(/^END Paiement [0-9A-F]{8} effectué: 500 FCFA, transaction SBX-[0-9A-F]{8}\. La demande PS00150-240004 sera mise à jour\./);
    } finally {
      gateway.kill('SIGKILL');
    }
  }, 90_000);
});
