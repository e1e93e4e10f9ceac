import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// Every in-process log line of the run is kept and checked for personal data at the end; set here so
// the global teardown (this process) and the workers (their env) read the same path.
process.env.GUICHET_LOG_AUDIT ??= join(tmpdir(), `guichet-log-audit-${process.pid}.jsonl`);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'providers/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    env: { GUICHET_LOG_AUDIT: process.env.GUICHET_LOG_AUDIT },
    setupFiles: ['test/setup/log-audit.ts'],
    globalSetup: ['test/setup/log-audit.global.ts'],
  },
});
