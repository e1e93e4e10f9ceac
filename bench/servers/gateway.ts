/** The gateway as `npm start` runs it, with Redis sessions: the benchmark's subject. */
import { serve } from '@hono/node-server';
import { createServer as createHttpServer, type RequestListener, type ServerOptions } from 'node:http';
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
