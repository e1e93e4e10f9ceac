import { serve } from '@hono/node-server';
import { createServer as createHttpServer, type RequestListener, type Server, type ServerOptions } from 'node:http';
import { loadConfig } from '../../config.js';
import { createNodeGateway, type Gateway } from './gateway.js';
import { trackConnections, type GracefulServer } from './graceful-shutdown.js';
import { describeRedisTarget } from './redis-client.js';

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
  // USSD hops answered straight from node:http, the rest by Hono (`ussd-listener.ts`).
  const createServer = ((options: ServerOptions, honoListener: RequestListener) => createHttpServer(options, gateway.requestListener(honoListener))) as typeof createHttpServer;
  const server = serve({ fetch: gateway.app.fetch, hostname: config.host, port: config.port, serverOptions, createServer }, (info) => {
    gateway.logger.info(
      {
        url: `http://${config.host}:${info.port}`,
        sessions: config.redis ? describeRedisTarget(config.redis) : 'memory',
        menus: gateway.menus.all().map((m) => `${m.id}@${m.version} ${m.serviceCodes.join(' ')}`),
      },
      'Guichet listening',
    );
  }) as Server;
  // A port already taken is a start-up error for a person to read, not a stack trace.
  server.once('error', (error: NodeJS.ErrnoException) => {
    console.error(error.code === 'EADDRINUSE' ? `cannot listen on ${config.host}:${config.port}: the address is already in use (set PORT)` : error.message);
    process.exit(1);
  });
  server.maxConnections = config.http.maxConnections;
  const http = trackConnections(server);
  // A promise nobody awaited must not take the process down with it (Node's default): a dependency
  // failing is answered politely, never by exiting. Logged as an error: it is a bug to fix.
  process.on('unhandledRejection', (reason) => {
    gateway.logger.error({ err: reason instanceof Error ? reason.message : String(reason) }, 'unhandled rejection');
  });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    gateway.logger.info({ signal }, 'shutting down');
    void stopGracefully(http, gateway, config.shutdownTimeoutMs).then((clean) => {
      gateway.logger.info({ clean }, clean ? 'stopped cleanly' : 'stopped before everything finished');
      process.exit(clean ? 0 : 1);
    });
  };
  // SIGHUP: re-read the menus; live sessions finish on the version they started on.
  process.on('SIGHUP', () => void gateway.reloadMenus());
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

/**
 * Stops taking connections, lets every request already received finish and be answered (each with
 * `Connection: close`), closes keep-alive connections once idle, then closes workers, links and
 * Redis. Clean only if all of that ended within the budget; otherwise what remains is cut and the
 * caller exits 1, so a supervisor knows.
 */
async function stopGracefully(http: GracefulServer, gateway: Gateway, budgetMs: number): Promise<boolean> {
  const started = Date.now();
  if (!(await http.stop(budgetMs))) return false;
  const left = Math.max(0, budgetMs - (Date.now() - started));
  const deadline = new Promise<false>((resolve) => setTimeout(() => resolve(false), left).unref());
  return Promise.race([gateway.close().then(() => true, () => false), deadline]);
}

main().catch((error: unknown) => {
  // Start-up errors (a bad menu file, a bad setting) are for a person to read: no stack trace.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
