import { describe, expect, it } from 'vitest';
import { createDemoAgentRecords } from '../careers/demo.js';
import { MemoryEnrolmentStore } from '../careers/enrolment/memory.js';
import { silentLogger } from '../observability/logger.js';
import { createEmbeddedPayments } from '../payments/embedded-payments.js';
import { createLogSmsOutbox } from '../sms/outbox.js';
import { createDemoPortal } from '../portal/demo.js';
import { createServices } from './create-services.js';

const ccsp = { littoral: [{ name: 'CCSP Cotonou 1', place: 'Akpakpa' }] };

describe('createServices', () => {
  it('serves the portal, directory and payment services under their menu names', () => {
    const portal = createDemoPortal();
    const names = Object.keys(createServices({ portal, ccsp, payments: createEmbeddedPayments(portal) })).sort();
    expect(names).toEqual(['accessLog.recent', 'directory.ccsp', 'payments.check', 'payments.quote', 'payments.start', 'portal.requestStatus']);
    expect(Object.keys(createServices({ portal, ccsp })).sort()).toEqual(['accessLog.recent', 'directory.ccsp', 'portal.requestStatus']);
  });

  it('serves the career services when given their records, store and outbox', () => {
    const careers = { records: createDemoAgentRecords(), enrolments: new MemoryEnrolmentStore(), outbox: createLogSmsOutbox(silentLogger) };
    const names = Object.keys(createServices({ portal: createDemoPortal(), ccsp, careers })).filter((name) => name.startsWith('careers.'));
    expect(names.sort()).toEqual(['careers.confirm', 'careers.enrol', 'careers.enrolment', 'careers.lastAct', 'careers.nextStep', 'careers.pension', 'careers.retirement', 'careers.unenrol']);
  });

  it('refuses two services of one name instead of letting the last win', () => {
    const clash = { services: { 'portal.requestStatus': async () => ({ outcome: 'ok' as const }) } };
    expect(() => createServices({ portal: createDemoPortal(), ccsp, payments: clash })).toThrow(/two menu services named "portal.requestStatus"/);
  });
});
