import { serve } from '@hono/node-server';
import type { Server, ServerOptions } from 'node:http';
import { loadConfig } from './config.js';
import { createNodeGateway } from './node/gateway.js';

/** Node entry point: `npm start`. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const gateway = await createNodeGateway(config);
  // Slow clients (a trickled request, headers that never end) are cut off instead of holding a
  // connection; the check runs every second, not Node's default 30 s.
  const serverOptions: ServerOptions = {
    requestTimeout: config.http.requestTimeoutMs,
    headersTimeout: config.http.headersTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    connectionsCheckingInterval: 1000,
  };
  const server = serve({ fetch: gateway.app.fetch, hostname: config.host, port: config.port, serverOptions }, (info) => {
    gateway.logger.info(
      {
        url: `http://${config.host}:${info.port}`,
        sessions: config.redisUrl ? 'redis' : 'memory',
        menus: gateway.menus.all().map((m) => `${m.id}@${m.version} ${m.serviceCodes.join(' ')}`),
      },
      'Guichet listening',
    );
  }) as Server;
  server.maxConnections = config.http.maxConnections;
  const shutdown = (signal: string) => {
    gateway.logger.info({ signal }, 'shutting down');
    server.close(() => void gateway.close().then(() => process.exit(0)));
    setTimeout(() => process.exit(0), 5000).unref();
  };
  // SIGHUP: re-read the menus; live sessions finish on the version they started on.
  process.on('SIGHUP', () => void gateway.reloadMenus());
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  // Start-up errors (a bad menu file, a bad setting) are for a person to read: no stack trace.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
