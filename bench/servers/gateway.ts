/** The gateway as `npm start` runs it, with Redis sessions: the benchmark's subject. */
import { serve } from '@hono/node-server';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type ServerOptions } from 'node:http';
import { Session } from 'node:inspector/promises';
import { loadConfig } from '../../src/config.js';
import { createNodeGateway } from '../../src/runtime/node/gateway.js';

// Every bench walks from one or a few numbers: the USSD flood guard is off unless the bench asks for it.
const config = loadConfig({ USSD_HOP_RATE_PER_MINUTE: '0', ...process.env, LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn' });
const gateway = await createNodeGateway(config);
// As `npm start` serves it: USSD hops straight from node:http, the rest through Hono.
const createServer = ((options: ServerOptions, honoListener: RequestListener) => createHttpServer(options, gateway.requestListener(honoListener))) as typeof createHttpServer;
serve({ fetch: gateway.app.fetch, hostname: '127.0.0.1', port: config.port, createServer });
// As main.ts: a stray rejection (an ioredis "Command timed out" on a loaded machine) is logged, not fatal,
// so a bench measures the gateway as it runs in production instead of dying mid-run.
process.on('unhandledRejection', (reason) => {
  gateway.logger.error({ err: reason instanceof Error ? reason.message : String(reason) }, 'unhandled rejection');
});
process.on('SIGTERM', () => process.exit(0));

// BENCH_PROFILE_DIR: a CPU profile of a stretch the bench chooses, not of the whole run (start-up,
// the menu walks): each SIGUSR2 starts the profiler or stops it, and a stop writes
// <dir>/<n>/<pid>.cpuprofile. The payments bench profiles its bursts this way.
const profileDir = process.env.BENCH_PROFILE_DIR;
if (profileDir) {
  const inspector = new Session();
  inspector.connect();
  await inspector.post('Profiler.enable');
  await inspector.post('Profiler.setSamplingInterval', { interval: 250 });
  let stretch = 0;
  let profiling = false;
  process.on('SIGUSR2', () => {
    profiling = !profiling;
    if (profiling) return void inspector.post('Profiler.start');
    const dir = `${profileDir}/${++stretch}`;
    void inspector.post('Profiler.stop').then(({ profile }) => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${dir}/${process.pid}.cpuprofile`, JSON.stringify(profile));
    });
  });
}
