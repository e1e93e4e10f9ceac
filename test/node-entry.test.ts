import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { freePort } from '../testkit/loopback-server.js';
import { until } from '../testkit/until.js';

/** `npm start` for real: the Node entry point in its own process, over real HTTP. */
const ROOT = new URL('..', import.meta.url).pathname;

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/runtime/node/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

const waitForHealth = (url: string) => until(() => fetch(`${url}/health`).then((res) => res.ok, () => false), 'the gateway to answer /health', 10_000);

describe('Node entry point', () => {
  it('refuses to start on a broken menu, naming the file, line, path and reason', async () => {
    const gateway = start({ MENUS_DIR: 'test/fixtures/menus-broken', PORT: String(await freePort()) });
    expect(await gateway.exited).toBe(1);
    expect(gateway.output()).toContain('test/fixtures/menus-broken/broken.yaml:11: nodes.home.options.0.next: no node named "track.ask"');
    expect(gateway.output()).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('refuses a bad setting with a readable reason', async () => {
    const gateway = start({ PORT: 'eighty' });
    expect(await gateway.exited).toBe(1);
    expect(gateway.output()).toMatch(/invalid configuration: PORT/);
  });

  it('serves the national menu over HTTP with sessions in Redis when REDIS_URL is set', async () => {
    const port = await freePort();
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const gateway = start({ PORT: String(port), REDIS_URL: redisUrl });
    const url = `http://127.0.0.1:${port}`;
    const sessionId = `entry-${process.pid}-${Date.now()}`;
    const redis = new Redis(redisUrl);
    try {
      await waitForHealth(url);
      const hop = async (text: string) => {
        const res = await fetch(`${url}/ussd/africastalking`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ sessionId, serviceCode: '*123#', phoneNumber: '+2290197000001', text }),
        });
        expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
        return res.text();
      };
      expect(await hop('')).toMatch(/^CON Service Public du Bénin\n1\.Suivre une demande/);
      expect(await redis.hget(`guichet:ussd:africastalking:${sessionId}`, 'v')).toBe('1');
      expect(await hop('1')).toMatch(/^CON Numéro de la demande/);
      expect(await hop('1*PS00373-240001')).toMatch(/^END PS00373-240001 Extrait de casier judiciaire\nStatut: Disponible/);

      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toContain('guichet_ussd_hop_seconds_count{provider="africastalking",outcome="continue"} 2');
      expect(metrics).toContain('guichet_ussd_hop_seconds_count{provider="africastalking",outcome="end"} 1');
      expect(metrics).toContain('guichet_service_call_seconds_count{service="portal.requestStatus",outcome="ok"} 1');
      expect(metrics).toContain('guichet_payment_hints_pending 0');
      expect(metrics).not.toContain('2290197000001');
    } finally {
      gateway.child.kill('SIGTERM');
      await gateway.exited;
      await redis.del(`guichet:ussd:africastalking:${sessionId}`);
      await redis.quit();
    }
  });
});

describe('menu reloads keep live sessions on their version', () => {
  const copyMenus = () => {
    const dir = mkdtempSync(join(tmpdir(), 'guichet-menus-'));
    cpSync(join(ROOT, 'menus'), dir, { recursive: true });
    return dir;
  };
  const hop = (url: string, sessionId: string, text: string) =>
    fetch(`${url}/ussd/africastalking`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ sessionId, serviceCode: '*123#', phoneNumber: '+2290166000002', text }),
    }).then((r) => r.text());

  it('SIGHUP reloads: new sessions get the new menu, a live one finishes on the old', async () => {
    const menus = copyMenus();
    const port = await freePort();
    const gateway = start({ PORT: String(port), MENUS_DIR: menus, MENUS_WATCH: '0' });
    const url = `http://127.0.0.1:${port}`;
    // Session ids unique to this run: with REDIS_URL in the environment the gateway keeps sessions in a
    // shared Redis, where a previous run's "live" session would still be open.
    const run = `${process.pid}-${Date.now()}`;
    try {
      await waitForHealth(url);
      expect(await hop(url, `live-${run}`, '')).toMatch(/^CON Service Public du Bénin/);
      const file = join(menus, 'service-public.yaml');
      writeFileSync(file, readFileSync(file, 'utf8').replace('Votre département:', 'Choisissez le département:').replace('Service Public du Bénin', 'Service Public (nouveau)'));
      gateway.child.kill('SIGHUP');
      let fresh = '';
      let tries = 0;
      await until(async () => (fresh = await hop(url, `new-${run}-${tries++}`, '')).includes('nouveau'), 'new sessions to get the reloaded menu', 5000);
      expect(fresh).toMatch(/^CON Service Public \(nouveau\)/);
      expect(await hop(url, `live-${run}`, '3')).toMatch(/^CON Votre département:/);
    } finally {
      gateway.child.kill('SIGTERM');
      await gateway.exited;
    }
  });

  it('a changed file is picked up without a signal; a broken edit keeps the last good menus', async () => {
    const { createNodeGateway } = await import('../src/runtime/node/gateway.js');
    const { loadConfig } = await import('../src/config.js');
    const { silentLogger } = await import('../src/observability/logger.js');
    const menus = copyMenus();
    const gateway = await createNodeGateway(loadConfig({ MENUS_DIR: menus }), silentLogger);
    try {
      const before = gateway.menus.forServiceCode('*123#')!.version;
      const file = join(menus, 'service-public.yaml');
      const original = readFileSync(file, 'utf8');
      writeFileSync(file, original.replace('Service Public du Bénin', 'Service Public (modifié)'));
      await until(() => gateway.menus.forServiceCode('*123#')!.version !== before, 'the changed file to be picked up', 5000);
      const changed = gateway.menus.forServiceCode('*123#')!.version;
      expect(changed).not.toBe(before);
      expect(gateway.menus.atVersion('service-public', before)).toBeDefined();

      writeFileSync(file, original.replace('next: track.lookup', 'next: nowhere'));
      expect(await gateway.reloadMenus()).toBe(false);
      expect(gateway.menus.forServiceCode('*123#')!.version).toBe(changed);
    } finally {
      await gateway.close();
    }
  });
});
