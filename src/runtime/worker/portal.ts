import type { Cache } from '../../cache/port.js';
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
import type { PortalClient } from '../../portal/port.js';
import { createInteropPortal } from '../../portal/xroad.js';

/**
 * A Workers binding with its own `fetch`: the `[[mtls_certificates]]` binding, whose `fetch`
 * presents the uploaded client certificate in the TLS handshake (Cloudflare's "mTLS certificates
 * for Workers"). Declared here, as the sessions store declares its few platform types.
 */
export interface FetcherBinding {
  fetch(input: Request | string | URL, init?: RequestInit): Promise<Response>;
}

/**
 * The portal the configuration asks for, over `fetch` (the same `InteropClient` and
 * `createInteropPortal` as Node). `xroad`: with the mTLS binding when it is bound (mutual TLS with
 * the security server), the plain `fetch` otherwise. `xroad-fake`: the in-process fake security
 * server (demo requests), called without a network.
 */
export function createWorkerPortal(config: Config, cache: Cache, logger: Logger, mtls: FetcherBinding | undefined): { portal: PortalClient; agents: AgentRecords; client?: InteropClient } {
  if (config.portal === 'demo') return { portal: createDemoPortal(), agents: createDemoAgentRecords() };
  let url = config.xroad.securityServerUrl;
  let portalFetch: typeof fetch | undefined;
  if (config.portal === 'xroad-fake') {
    const { app } = createFakeSecurityServer(DEMO_REQUESTS);
    url = 'https://security-server.invalid';
    portalFetch = (async (input: Request | string | URL, init?: RequestInit) => app.fetch(new Request(input, init))) as typeof fetch;
  } else if (mtls) {
    // Called as a method: the binding's fetch needs its own `this`.
    portalFetch = ((input: Request | string | URL, init?: RequestInit) => mtls.fetch(input, init)) as typeof fetch;
    logger.info({}, 'X-Road: mutual TLS through the XROAD_MTLS certificate binding');
  } else if (url?.startsWith('https:')) {
    logger.warn({}, 'X-Road over https without a client certificate: bind one as XROAD_MTLS (wrangler.toml [[mtls_certificates]]) if the security server asks for it');
  }
  // Always a bound wrapper: the client calls `this.fetch(...)`, and workerd refuses the global fetch
  // called on another object ("Illegal invocation").
  portalFetch ??= ((input: Request | string | URL, init?: RequestInit) => fetch(input, init)) as typeof fetch;
  const client = new InteropClient({
    securityServerUrl: url!,
    client: parseSubsystem(config.xroad.client),
    dialect: config.xroad.dialect === 'uxp' ? uxp(config.xroad.uxpPathPrefix) : xroadR1,
    timeoutMs: config.xroad.timeoutMs,
    serviceTimeoutsMs: config.xroad.serviceTimeoutsMs,
    logger,
    fetch: portalFetch,
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
  const c = config.xroad.careerServices;
  const agents = createInteropAgentRecords(client, { verify: parseServiceRef(c.verify), career: parseServiceRef(c.career), pension: parseServiceRef(c.pension) });
  return { portal, agents, client };
}
