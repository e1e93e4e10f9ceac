import { serve, type ServerType } from '@hono/node-server';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Cache } from '../../cache/port.js';
import type { HttpFetch } from '../../lib/http-fetch.js';
import { createKeepAliveFetch, keepAliveFetch } from './http-client.js';
import type { Config } from '../../config.js';
import { createFakeSecurityServer } from '../../interop/demo-security-server.js';
import { uxp, xroadR1 } from '../../interop/dialects.js';
import { InteropClient } from '../../interop/interop-client.js';
import { parseServiceRef, parseSubsystem } from '../../interop/service-ref.js';
import type { Logger } from '../../observability/logger.js';
import { createDemoAgentRecords } from '../../careers/demo.js';
import type { AgentRecords } from '../../careers/port.js';
import { createInteropAgentRecords } from '../../careers/xroad.js';
import { createDemoPortal, DEMO_REQUESTS } from '../../portal/demo.js';
import { createInteropPortal } from '../../portal/xroad.js';
import type { PortalClient } from '../../portal/port.js';
import type { BreakerStore } from '../../limits/breaker/port.js';

// Moved to the core so the Worker reads X-Road settings the same way; re-exported for existing callers.
export { parseServiceRef } from '../../interop/service-ref.js';

/**
 * The keep-alive client (`http-client.ts`) with the client certificate (mutual TLS) and the
 * platform's CA, when configured; undefined when neither is.
 */
export function tlsFetch(tls: { cert?: string; key?: string; ca?: string }): HttpFetch | undefined {
  if (!tls.cert && !tls.ca) return undefined;
  return createKeepAliveFetch({
    tls: {
      ...(tls.cert ? { cert: readFileSync(tls.cert) } : {}),
      ...(tls.key ? { key: readFileSync(tls.key) } : {}),
      ...(tls.ca ? { ca: readFileSync(tls.ca) } : {}),
    },
  });
}

/** The portal the configuration asks for, the career agencies over the same client, and how to stop what it started. */
export async function createPortal(
  config: Config,
  cache: Cache,
  logger: Logger,
  /** Where the X-Road breakers are shared with the other instances (Redis); absent: per process. */
  breakerStore?: BreakerStore,
): Promise<{ portal: PortalClient; agents: AgentRecords; breakers: InteropClient['breakerStates']; close: () => Promise<void> }> {
  if (config.portal === 'demo') return { portal: createDemoPortal(), agents: createDemoAgentRecords(), breakers: () => [], close: async () => {} };
  let url = config.xroad.securityServerUrl;
  let fake: ServerType | undefined;
  if (config.portal === 'xroad-fake') {
    const { app } = createFakeSecurityServer(DEMO_REQUESTS);
    fake = await new Promise<ServerType>((resolve) => {
      const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(server));
    });
    url = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
    logger.info({ url }, 'fake security server for the demo portal');
  }
  const tlsAwareFetch = tlsFetch(config.xroad.tls);
  const client = new InteropClient({
    securityServerUrl: url!,
    client: parseSubsystem(config.xroad.client),
    dialect: config.xroad.dialect === 'uxp' ? uxp(config.xroad.uxpPathPrefix) : xroadR1,
    timeoutMs: config.xroad.timeoutMs,
    serviceTimeoutsMs: config.xroad.serviceTimeoutsMs,
    logger,
    // Every portal and career call over one pool of kept-alive connections (TLS ones when configured).
    fetch: tlsAwareFetch ?? keepAliveFetch,
    ...(breakerStore
      ? {
          breakerStore,
          onBreakerStoreError: (error: unknown) =>
            logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'breaker store unavailable: X-Road breakers are per instance until it answers'),
        }
      : {}),
  });
  const s = config.xroad.services;
  const portal = createInteropPortal(
    client,
    {
      requestStatus: parseServiceRef(s.requestStatus),
      feeDue: parseServiceRef(s.feeDue),
      catalogue: parseServiceRef(s.catalogue),
      identity: parseServiceRef(s.identity),
      payments: parseServiceRef(s.payments),
    },
    cache,
  );
  const agents = createInteropAgentRecords(client, careerServiceRefs(config));
  return { portal, agents, breakers: () => client.breakerStates(), close: async () => void fake?.close() };
}

/** `XROAD_SERVICE_AGENT_VERIFY`, `_AGENT_CAREER`, `_PENSION_FILE` as service references (both runtimes). */
export function careerServiceRefs(config: Config) {
  const c = config.xroad.careerServices;
  return { verify: parseServiceRef(c.verify), career: parseServiceRef(c.career), pension: parseServiceRef(c.pension) };
}
