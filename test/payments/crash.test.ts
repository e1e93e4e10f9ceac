import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, serveOnLoopback, type LoopbackServer } from '../../testkit/loopback-server.js';
import { hop as atHop, startGateway } from '../../testkit/processes.js';
import { until } from '../../testkit/until.js';
import { createFakeSecurityServer, type FakeSecurityServerControl } from '../../src/interop/demo-security-server.js';
import { DEMO_REQUESTS } from '../../src/portal/demo.js';

/**
 * The money-safety test: the gateway (its own process, Redis and BullMQ) collects a fee, the portal
 * is down when it should be told, the process is killed (SIGKILL, no goodbye), started again, the
 * portal comes back: the portal must be told, and told once.
 */
const REDIS_URL = `${(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379').replace(/\/\d*$/, '')}/11`;
let control: FakeSecurityServerControl;
let fake: LoopbackServer | undefined;
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  await redis.flushdb();
  const server = createFakeSecurityServer(DEMO_REQUESTS);
  control = server.control;
  fake = await serveOnLoopback(server.app);
});

afterAll(async () => {
  void fake?.close();
  await redis.flushdb();
  await redis.quit();
});

/** The gateway on this test's Redis database, the portal behind the fake security server, approvals after 100 ms. */
const start = (port: number) =>
  startGateway(
    { REDIS_URL, PORTAL: 'xroad', XROAD_SECURITY_SERVER_URL: fake!.baseUrl, SANDBOX_APPROVE_AFTER_MS: '100', LOG_LEVEL: 'warn', MENUS_WATCH: '0' },
    { port },
  );

/** One Africa's Talking hop over real HTTP: the screen. */
const hop = async (url: string, sessionId: string, text: string): Promise<string> => (await atHop(url, sessionId, text)).body;

/** The crash test's processes take their time on a loaded machine. */
const PATIENCE_MS = 30_000;

describe('a crash between "paid" and "portal told"', () => {
  it('loses nothing and counts nothing twice', async () => {
    // The portal refuses payment notices until told otherwise.
    control.faults.set('payments', { status: 503, type: 'Server.ServerProxy.ServiceFailed', remaining: 1_000 });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    let gateway = await start(port);
    try {
      await until(async () => (await fetch(`${url}/health`).catch(() => null))?.ok === true, 'the gateway', PATIENCE_MS);
      await hop(url, 'pay-1', '');
      await hop(url, 'pay-1', '2');
      expect(await hop(url, 'pay-1', '2*PS00150-240004')).toMatch(/^CON Acte de naissance sécurisé\nMontant: 500 FCFA/);
      expect(await hop(url, 'pay-1', '2*PS00150-240004*1')).toMatch(/^END Paiement [0-9A-F]{8}: 500 FCFA/);

      // The provider approved and the portal job has tried (and failed) at least once: kill now.
      await until(() => control.calls.some((c) => c.service === 'payments'), 'a first notice to the portal', PATIENCE_MS);
      gateway.child.kill('SIGKILL');
      await gateway.exited;
      expect(control.payments.size).toBe(0);

      // The portal recovers; a new process takes the work up from Redis.
      control.faults.delete('payments');
      gateway = await start(port);
      // A job the killed process held comes back once its lock lapses (about 15 s at worst).
      await until(() => control.payments.size === 1, 'the portal to be told after the restart', 60_000);
      await new Promise((r) => setTimeout(r, 1500));
      expect(control.payments.size).toBe(1);
      const [notice] = [...control.payments.values()];
      expect(notice).toMatchObject({ requestNumber: 'PS00150-240004', amountXof: 500, provider: 'sandbox' });

      // Redialling now shows the payer the payment, with the provider's transaction id.
      await until(async () => (await fetch(`${url}/health`).catch(() => null))?.ok === true, 'the restarted gateway', PATIENCE_MS);
      await hop(url, 'pay-2', '');
      await hop(url, 'pay-2', '2');
      expect(await hop(url, 'pay-2', '2*PS00150-240004')).toMatch(/^END Paiement [0-9A-F]{8} effectué: 500 FCFA, transaction SBX-[0-9A-F]{8}\. La demande PS00150-240004 sera mise à jour\./);
    } finally {
      gateway.child.kill('SIGKILL');
    }
  }, 90_000);
});
