import { serve, type ServerType } from '@hono/node-server';
import { createServer, type AddressInfo } from 'node:net';

/** A server of the tests on 127.0.0.1: where it listens, and how to stop it. */
export interface LoopbackServer {
  readonly baseUrl: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves a Hono app (a provider's fake API, a fake security server, the gateway itself) on
 * 127.0.0.1 over real HTTP, at a free port unless one is given, so the code under test goes
 * through `fetch` exactly as it will against the real thing. The one way the tests and benchmarks
 * put an app on a port: pair it with `closeAfterEach`/`closeAfterAll` (testkit/cleanup.ts).
 */
export async function serveOnLoopback(app: { fetch: Parameters<typeof serve>[0]['fetch'] }, options: { port?: number } = {}): Promise<LoopbackServer> {
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: options.port ?? 0 }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A loopback URL where nothing listens (a port opened, then closed): a refused connection. */
export async function closedLoopbackUrl(): Promise<string> {
  const server = await serveOnLoopback({ fetch: () => new Response(null, { status: 404 }) });
  await server.close();
  return server.baseUrl;
}

/** A free loopback port, found by letting the OS choose one (for a process that must be told its port). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
