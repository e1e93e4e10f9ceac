/**
 * Cloudflare Workers entry point: the same `createApp` as Node, with sessions in Durable Objects
 * and menus bundled as text (Workers have no file system). Background jobs (Queues) and the
 * production portal client are wired here as they land; until then the demo portal serves.
 */
import { parse as parseYaml } from 'yaml';
import ccspYaml from '../../../menus/data/ccsp.yaml';
import servicePublicYaml from '../../../menus/service-public.yaml';
import { ussdDialects } from '../../../providers/index.js';
import { DurableObjectSessionStore, type DurableNamespace } from '../../sessions/durable-object.js';
import { createApp } from '../../http/app.js';
import { MenuRegistry } from '../../engine/menu-registry.js';
import { parseMenu } from '../../engine/menu-parse.js';
import type { Logger } from '../../observability/logger.js';
import { createDemoPortal } from '../../portal/demo.js';
import { CcspData } from '../../services/ccsp-directory.js';
import { createServices } from '../../services/create-services.js';

export { SessionObject } from '../../sessions/durable-object.js';

interface Env {
  SESSIONS: DurableNamespace;
}

const consoleLogger: Logger = {
  debug: () => {},
  info: (fields, message) => console.log(JSON.stringify({ level: 'info', message, ...fields })),
  warn: (fields, message) => console.warn(JSON.stringify({ level: 'warn', message, ...fields })),
  error: (fields, message) => console.error(JSON.stringify({ level: 'error', message, ...fields })),
};

// No payments yet: they need Queues for their background jobs.
const services = createServices({ portal: createDemoPortal(), ccsp: CcspData.parse(parseYaml(ccspYaml)) });
const menus = new MenuRegistry([parseMenu(servicePublicYaml, 'menus/service-public.yaml')]);

let app: ReturnType<typeof createApp> | undefined;

export default {
  fetch(request: Request, env: Env): Response | Promise<Response> {
    if (!app) {
      // Bindings arrive with the first request; the app is built once per isolate.
      const store = new DurableObjectSessionStore(env.SESSIONS);
      app = createApp({ menus, services, sessions: store, preferences: store, dialects: ussdDialects, logger: consoleLogger });
    }
    return app.fetch(request);
  },
};
