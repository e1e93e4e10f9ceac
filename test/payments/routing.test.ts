import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createNodeGateway } from '../../src/runtime/node/gateway.js';
import { silentLogger } from '../../src/observability/logger.js';
import { closeAfterEach } from '../../testkit/cleanup.js';
import { FAKE_FEDAPAY_SECRET_KEY, startFakeFedapay } from '../../testkit/fakes/fedapay.js';
import { until } from '../../testkit/until.js';

const closeLater = closeAfterEach();

/** The Node gateway as `npm start` builds it, with payments routed per operator from the environment. */
async function routedGateway() {
  const fedapay = closeLater(await startFakeFedapay());
  const gateway = await createNodeGateway(
    loadConfig({
      MENUS_WATCH: '0',
      PAYMENT_PROVIDER: 'sandbox',
      PAYMENT_ROUTES: 'MOOV=fedapay',
      FEDAPAY_BASE_URL: fedapay.baseUrl,
      FEDAPAY_SECRET_KEY: FAKE_FEDAPAY_SECRET_KEY,
      FEDAPAY_WEBHOOK_SECRET: 'wh_test',
    }),
    silentLogger,
  );
  closeLater(gateway);
  /** The holder's walk: the request, then confirm (`1`) or pay from another number (`3`, the wallet). */
  async function pay(sessionId: string, phoneNumber: string, requestNumber: string, otherWallet?: string) {
    let body = '';
    const last = otherWallet ? [`2*${requestNumber}*3`, `2*${requestNumber}*3*${otherWallet}`] : [`2*${requestNumber}*1`];
    for (const text of ['', '2', `2*${requestNumber}`, ...last]) {
      const res = await gateway.app.request('/ussd/africastalking', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ sessionId, serviceCode: '*123#', phoneNumber, text }).toString(),
      });
      body = await res.text();
    }
    return body;
  }
  return { gateway, fedapay, pay };
}

describe('payments routed by the payer operator (PAYMENT_ROUTES)', () => {
  it('a Moov payer is collected through FedaPay on its Moov wallet; an MTN payer through the default', async () => {
    const { fedapay, pay } = await routedGateway();
    expect(await pay('moov-1', '+2290197000001', 'PS00373-240002', '0195123456')).toMatch(/^END Paiement [0-9A-F]{8}: 1 900 FCFA/);
    await until(() => fedapay.sends.length === 1, 'the FedaPay push');
    expect(fedapay.sends[0]).toMatchObject({ mode: 'moov', body: { phone_number: { number: '0195123456', country: 'bj' } } });
    expect([...fedapay.transactions.values()][0]).toMatchObject({ amount: 1900, custom_metadata: { payment_id: expect.any(String) } });

    expect(await pay('mtn-1', '+2290197000001', 'PS00150-240004')).toMatch(/^END Paiement/);
    await new Promise((r) => setTimeout(r, 200));
    expect(fedapay.calls.create).toBe(1); // the MTN payer went to the sandbox, not FedaPay
  });

  it('refuses to start when a routed provider is not configured, naming the variable', async () => {
    // As `npm start` does it: the configuration is read, then the gateway built (the refusal now comes from the first).
    const start = async (env: Record<string, string>) => createNodeGateway(loadConfig(env), silentLogger);
    await expect(start({ PAYMENT_ROUTES: 'MOOV=fedapay' })).rejects.toThrow(/FEDAPAY_SECRET_KEY/);
    await expect(start({ PAYMENT_ROUTES: 'MOOV=paypal' })).rejects.toThrow(/payment provider "paypal" is not in providers\/index.ts/);
  });
});
