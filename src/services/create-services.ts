import type { AccessLogStore } from '../access-log/port.js';
import { createAccessLogServices } from '../access-log/services.js';
import type { AttemptLimiter } from '../limits/port.js';
import type { PortalClient } from '../portal/port.js';
import { createCareerServices, type CareerServicesDeps } from './career-services.js';
import { createCcspDirectory, type CcspData } from './ccsp-directory.js';
import { createPortalServices } from './portal-services.js';
import type { ServiceHandler, ServiceRegistry } from './service-registry.js';

/** What the menu services are built from; each runtime (and the test harness) gives its own. */
export interface ServicesDeps {
  /** The national portal (X-Road in production, the demo portal in the embedded default). */
  portal: PortalClient;
  /**
   * Failed identity proofs per caller number and per NPI. Give the payments' holder proof the same
   * limiter, so tracking and paying count one set of mistakes. Absent: in memory, this process only.
   */
  attempts?: AttemptLimiter;
  /** `PII_HASH_KEY`: keys the attempt counters' names. Absent: the built-in key (embedded default, tests). */
  piiHashKey?: string;
  /** `menus/data/ccsp.yaml`, read by the runtime (a file on Node, bundled text on Workers). */
  ccsp: CcspData;
  /** The payment menu services (`payments.quote`, `payments.start`, `payments.check`), when payments are wired. */
  payments?: { services: ServiceRegistry };
  /**
   * The career and pension services (`careers.*`, menu `carriere`): the agencies' records, the
   * enrolment store and the SMS outbox the codes leave through. Absent: not served (a menu naming
   * them is then refused at load). Its attempts, key and clock default to the ones above.
   */
  careers?: CareerServicesDeps;
  /** The CCSP appointment services (`appointments.*`, `src/appointments/`), when appointments are wired. */
  appointments?: { services: ServiceRegistry };
  /** The clock of the attempt locks; tests move it. */
  now?: () => number;
  /**
   * Who looked at my file (`accessLog.recent`): the holders' access log. Give `portal` wrapped by
   * `withAccessLog` over the same store, so lookups are written where they are read. Absent
   * (Workers for now): the menu answers "unavailable".
   */
  accessLog?: AccessLogStore;
}

/**
 * The one service registry every runtime serves: menus' action nodes call these by name, and a
 * menu file naming a service absent here is refused at load.
 *
 * Adding a portal-backed menu service: one file in `src/services/` exporting
 * `createXxx(portal, ...): ServiceRegistry`, one line below, and the menu YAML that calls it
 * (plus the portal call in `src/portal/` if the portal has to learn a new question). The two
 * runtimes and the test harness all call this function, so none of them changes.
 */
export function createServices(deps: ServicesDeps): ServiceRegistry {
  const proofs = {
    ...(deps.attempts ? { attempts: deps.attempts } : {}),
    ...(deps.piiHashKey ? { piiHashKey: deps.piiHashKey } : {}),
    ...(deps.now ? { now: deps.now } : {}),
  };
  return merge([
    createPortalServices(deps.portal, proofs),
    createCcspDirectory(deps.ccsp),
    createAccessLogServices({ portal: deps.portal, holderProof: proofs, ...(deps.accessLog ? { store: deps.accessLog } : {}) }),
    deps.payments?.services ?? {},
    deps.careers ? createCareerServices({ ...proofs, ...deps.careers }) : {},
    deps.appointments?.services ?? {},
  ]);
}

/** One registry from several; a name two of them claim is a wiring mistake, refused rather than overwritten. */
function merge(parts: readonly ServiceRegistry[]): ServiceRegistry {
  const registry: Record<string, ServiceHandler> = {};
  for (const part of parts) {
    for (const [name, handler] of Object.entries(part)) {
      if (Object.hasOwn(registry, name)) throw new Error(`invalid wiring: two menu services named "${name}"`);
      registry[name] = handler;
    }
  }
  return registry;
}
