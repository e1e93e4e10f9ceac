import { expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createNodeGateway } from '../../src/runtime/node/gateway.js';
import { silentLogger } from '../../src/observability/logger.js';
import { MENUS_DIR } from '../../testkit/harness.js';

/**
 * Issue 11 item 1, end to end: the Node gateway as `npm start` builds it enforces the SMS callback
 * secrets from its environment (not only the routes in isolation).
 */
const SECRET = 'kannel-callback-secret-0123';

it.each([
  ['/sms/kannel/inbound?from=%2B2290197000001&to=7070&text=STOP&id=1', 'GET'],
  ['/sms/kannel/dlr?id=950204765&type=1', 'GET'],
  ['/sms/africastalking/inbound', 'POST'],
  ['/sms/africastalking/dlr', 'POST'],
])('%s: refused without the secret, served with it', async (path, method) => {
  const gateway = await createNodeGateway(
    loadConfig({ MENUS_DIR, MENUS_WATCH: '0', SMS_KANNEL_CALLBACK_SECRET: SECRET, SMS_AFRICASTALKING_CALLBACK_SECRET: SECRET }),
    silentLogger,
  );
  try {
    const body = method === 'POST' ? 'from=%2B2290197000001&to=7070&text=STOP&id=x1&status=Success&phoneNumber=%2B2290197000001' : undefined;
    const init = { method, headers: { 'content-type': 'application/x-www-form-urlencoded' }, ...(body ? { body } : {}) };
    const refused = await gateway.app.request(path, init);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'unauthorized' });
    const joined = path.includes('?') ? `${path}&secret=${SECRET}` : `${path}?secret=${SECRET}`;
    expect((await gateway.app.request(joined, init)).status).toBeLessThan(300);
  } finally {
    await gateway.close();
  }
});
