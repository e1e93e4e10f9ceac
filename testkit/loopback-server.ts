import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';

/**
 * Serves a Hono app (a provider's fake API) on 127.0.0.1 at a free port, over real HTTP, so the
 * code under test goes through `fetch` exactly as it will against the provider.
 */
export async function serveOnLoopback(app: { fetch: Parameters<typeof serve>[0]['fetch'] }): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A loopback URL where nothing listens (a port opened, then closed): a refused connection. */
export async function closedLoopbackUrl(): Promise<string> {
  const server = await serveOnLoopback({ fetch: () => new Response(null, { status: 404 }) });
  await server.close();
  return server.baseUrl;
}
