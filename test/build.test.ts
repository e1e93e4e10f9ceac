import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { freePort } from '../testkit/loopback-server.js';
import { until } from '../testkit/until.js';

/**
 * Issue 14, item 1: `npm run build` gives plain JavaScript that runs on Node with no TypeScript
 * tooling (no tsx, no esbuild) at run time, and serves the national menu.
 */
const ROOT = new URL('..', import.meta.url).pathname;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]));
}

it('compiles to JavaScript that starts without tsx and answers a hop', async () => {
  // Inside the checkout, as dist/ is: the compiled files find node_modules from there.
  const out = mkdtempSync(join(ROOT, '.build-test-'));
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', out], { cwd: ROOT });
  const js = filesUnder(out).filter((f) => f.endsWith('.js'));
  expect(js.length).toBeGreaterThan(50);
  for (const file of js) expect(readFileSync(file, 'utf8')).not.toMatch(/from ['"](tsx|esbuild)/);
  // Tests, the conformance suites (they import vitest) and recorded samples are not shipped.
  expect(js.filter((file) => /(\.test|\/conformance|fixtures)\.js$/.test(file))).toEqual([]);

  const port = await freePort();
  const { REDIS_URL: _shared, ...env } = process.env;
  // Plain node, no --import tsx.
  const child = spawn(process.execPath, [join(out, 'src/runtime/node/main.js')], { cwd: ROOT, env: { ...env, PORT: String(port), LOG_LEVEL: 'warn', MENUS_WATCH: '0' }, stdio: 'ignore' });
  try {
    let body = '';
    const opening = () =>
      fetch(`http://127.0.0.1:${port}/ussd/africastalking`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'sessionId=built-1&serviceCode=*123%23&phoneNumber=%2B2290197000001&text=',
      }).then((r) => r.text(), () => '');
    await until(async () => (body = await opening()) !== '', 'the built gateway to answer a hop', 10_000);
    expect(body).toMatch(/^CON Service Public du Bénin/);
  } finally {
    child.kill('SIGKILL');
    rmSync(out, { recursive: true, force: true });
  }
}, 120_000);
