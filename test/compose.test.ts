import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { freePort } from '../testkit/loopback-server.js';
import { listening } from '../testkit/processes.js';
import { until } from '../testkit/until.js';

/**
 * Issue 14, item 1: no Docker engine runs on these machines, so the container files are checked
 * for what can be checked here: the compose file's structure and settings, the Dockerfile's
 * stages, and Kannel's configuration, which is started for real with Debian's bearerbox.
 */
const ROOT = new URL('..', import.meta.url).pathname;
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

describe('container files', () => {
  const compose = parse(read('compose.yaml')) as { services: Record<string, { build?: string; image?: string; command?: string[]; profiles?: string[]; environment?: Record<string, string>; volumes?: string[] }> };

  it('compose: the gateway on Redis with AOF and noeviction, Kannel in the sms profile', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['gateway', 'kannel', 'redis']);
    expect(compose.services.gateway).toMatchObject({ build: '.', environment: { REDIS_URL: 'redis://redis:6379', SIMULATOR: '0' } });
    expect(compose.services.redis!.command).toEqual(expect.arrayContaining(['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']));
    expect(compose.services.kannel!.profiles).toEqual(['sms']);
    for (const volume of compose.services.kannel!.volumes ?? []) expect(existsSync(join(ROOT, volume.split(':')[0]!))).toBe(true);
    // Secrets are asked of the environment, never written in the file.
    expect(compose.services.gateway!.environment!.PII_HASH_KEY).toMatch(/^\$\{PII_HASH_KEY:\?/);
  });

  it('Dockerfile: builds with dev dependencies, runs the compiled code as a non-root user with production ones', () => {
    const dockerfile = read('Dockerfile');
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toContain('RUN npm run build');
    expect(dockerfile).toContain('npm ci --omit=dev');
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n.*\/livez/m);
    expect(dockerfile).toContain('CMD ["node", "dist/src/runtime/node/main.js"]');
    for (const copied of [...dockerfile.matchAll(/^COPY (?!--from)(\S+)/gm)].map((m) => m[1]!)) expect(existsSync(join(ROOT, copied))).toBe(true);
  });

  it("Kannel's configuration starts a real bearerbox", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'guichet-compose-kannel-'));
    const admin = await freePort();
    const conf = read('ops/kannel/kannel.conf.template')
      .replace('admin-port = 13000', `admin-port = ${admin}`)
      .replace('smsbox-port = 13001', `smsbox-port = ${await freePort()}`)
      .replace('port = 10000', `port = ${await freePort()}`)
      .replaceAll('@GUICHET_URL@', 'http://127.0.0.1:8080')
      .replaceAll('@SECRET@', 'test-secret')
      .replaceAll('@ADMIN_PASSWORD@', 'adm')
      .replaceAll('@SENDSMS_PASSWORD@', 'pw');
    writeFileSync(join(dir, 'kannel.conf'), conf);
    const bearerbox = spawn('bearerbox', [join(dir, 'kannel.conf')], { cwd: dir, stdio: 'ignore' });
    try {
      let up = false;
      await until(async () => (up = await listening(admin)), 'bearerbox to listen on its admin port', 10_000);
      expect(up).toBe(true);
      expect(bearerbox.exitCode).toBeNull();
    } finally {
      bearerbox.kill('SIGKILL');
    }
  });
});
