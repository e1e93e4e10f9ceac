import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createNodeGateway } from '../src/runtime/node/gateway.js';
import { silentLogger } from '../src/observability/logger.js';
import { MENUS_DIR } from '../testkit/harness.js';

/**
 * Issue 14, item 6: the alerting rules shipped in ops/prometheus/ are valid, fire on the series
 * their unit tests give them (promtool from Debian's prometheus package), and name only metrics
 * the gateway really exposes.
 */
const DIR = new URL('../ops/prometheus/', import.meta.url).pathname;

describe('alerting rules', () => {
  it('pass promtool check and their unit tests', () => {
    expect(execFileSync('promtool', ['check', 'rules', 'alerts.yml'], { cwd: DIR, encoding: 'utf8' })).toContain('SUCCESS: 7 rules found');
    expect(execFileSync('promtool', ['test', 'rules', 'alerts.test.yml'], { cwd: DIR, encoding: 'utf8' })).toContain('SUCCESS');
  });

  it('use only metrics the gateway exposes', async () => {
    const gateway = await createNodeGateway(loadConfig({ MENUS_DIR, MENUS_WATCH: '0', REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' }), silentLogger);
    try {
      const exposition = await (await gateway.app.request('/metrics')).text();
      const used = new Set([...readFileSync(`${DIR}alerts.yml`, 'utf8').matchAll(/\b(guichet_[a-z_]+?)(?:_bucket|_count|_sum)?\b/g)].map((m) => m[1]!));
      expect(used.size).toBeGreaterThan(4);
      for (const metric of used) expect(exposition, metric).toContain(`# TYPE ${metric} `);
    } finally {
      await gateway.close();
    }
  });
});
