import { ussdDialects } from '../providers/index.js';
import { MemorySessionStore } from '../src/sessions/memory.js';
import type { PreferenceStore, SessionStore } from '../src/sessions/port.js';
import { createApp, type AppDeps } from '../src/http/app.js';
import { MenuRegistry } from '../src/engine/menu-registry.js';
import { silentLogger } from '../src/observability/logger.js';
import { createDemoPortal } from '../src/portal/demo.js';
import type { PortalClient } from '../src/portal/port.js';
import { createServices, type ServicesDeps } from '../src/services/create-services.js';
import type { ServiceRegistry } from '../src/services/service-registry.js';
import { loadAppointmentsConfig, loadCcspData, loadMenuFiles } from '../src/runtime/node/menu-files.js';
import { createEmbeddedPayments } from '../src/payments/embedded-payments.js';
import { createDemoAgentRecords } from '../src/careers/demo.js';
import { MemoryEnrolmentStore } from '../src/careers/enrolment/memory.js';
import { AppointmentCalendar } from '../src/appointments/calendar.js';
import { AppointmentService } from '../src/appointments/appointment-service.js';
import { MemoryAppointmentBook } from '../src/appointments/memory.js';
import { MemoryJobQueue } from '../src/jobs/memory.js';
import { createLogSmsOutbox } from '../src/sms/outbox.js';

export const MENUS_DIR = new URL('../menus/', import.meta.url).pathname;

/**
 * The services of the embedded default, built by the runtimes' own `createServices` from the real
 * menu data: the demo portal and embedded payments unless a test gives its own (payments default to
 * the embedded ones over the given portal).
 */
export async function defaultServices(overrides: Partial<ServicesDeps> = {}): Promise<ServiceRegistry> {
  const portal = overrides.portal ?? createDemoPortal();
  const ccsp = overrides.ccsp ?? (await loadCcspData(MENUS_DIR));
  return createServices({
    ccsp,
    // The career menu's services over the demo agents; codes go to a log outbox (a test that reads them gives its own).
    careers: { records: createDemoAgentRecords(), enrolments: new MemoryEnrolmentStore(), outbox: createLogSmsOutbox(silentLogger) },
    ...overrides,
    portal,
    payments: overrides.payments ?? startedEmbeddedPayments(portal),
    appointments: overrides.appointments ?? (await embeddedAppointments(ccsp)),
  });
}

/** The appointment services of the embedded default: a memory book over the shipped calendar, SMS to the log. */
export async function embeddedAppointments(ccsp: ServicesDeps['ccsp'], now?: () => number): Promise<AppointmentService> {
  const calendar = new AppointmentCalendar(ccsp, (await loadAppointmentsConfig(MENUS_DIR))!);
  return new AppointmentService({
    calendar,
    book: new MemoryAppointmentBook(calendar, now),
    outbox: createLogSmsOutbox(silentLogger),
    queue: new MemoryJobQueue(),
    preferences: { isOptedOut: async () => false },
    logger: silentLogger,
    ...(now ? { now } : {}),
  });
}

/** The embedded payments with their jobs running, as the gateway starts them. */
function startedEmbeddedPayments(portal: PortalClient): ReturnType<typeof createEmbeddedPayments> {
  const payments = createEmbeddedPayments(portal);
  payments.start();
  return payments;
}

export interface TestGateway {
  app: ReturnType<typeof createApp>;
  store: SessionStore & PreferenceStore;
  menus: MenuRegistry;
}

/** The embedded default, in process: `app.request()` drives it without a port. */
export async function createTestGateway(overrides: Partial<AppDeps> & { store?: SessionStore & PreferenceStore } = {}): Promise<TestGateway> {
  const services = overrides.services ?? (await defaultServices());
  const menus = overrides.menus ?? new MenuRegistry(await loadMenuFiles(MENUS_DIR, services));
  const store = overrides.store ?? new MemorySessionStore();
  const app = createApp({
    menus,
    services,
    sessions: store,
    preferences: store,
    dialects: ussdDialects,
    logger: silentLogger,
    ...overrides,
  });
  return { app, store, menus };
}

/** One Africa's Talking hop as the aggregator posts it. */
export async function atHop(
  app: TestGateway['app'],
  fields: { sessionId: string; text: string; phoneNumber?: string; serviceCode?: string },
): Promise<{ status: number; body: string }> {
  const form = new URLSearchParams({
    sessionId: fields.sessionId,
    serviceCode: fields.serviceCode ?? '*123#',
    phoneNumber: fields.phoneNumber ?? '+2290197000001',
    networkCode: '61602',
    text: fields.text,
  });
  const res = await app.request('/ussd/africastalking', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  return { status: res.status, body: await res.text() };
}
