import { DEMO_MSISDN } from '../portal/demo.js';
import type { AccessLogStore } from './port.js';
import { accessLogHolderKey } from './recorder.js';

/**
 * The embedded default's log shows something before anyone looks: the demo portal's second holder
 * (invented, `+2290166000002`) once tried the README walk-through's request by SMS. Written through
 * the store like any entry, so it chains and verifies like one.
 */
export async function seedDemoAccessLog(store: AccessLogStore, piiHashKey: string, now = Date.now()): Promise<void> {
  await store.append(await accessLogHolderKey(piiHashKey, DEMO_MSISDN), {
    channel: 'sms',
    caller: '+2290166****02',
    agency: 'PS00373',
    at: new Date(now - 26 * 3_600_000).toISOString(),
    subject: 'PS00373-240002',
  });
}
