import { describe, expect, it } from 'vitest';
import { paymentProviders } from '../../providers/index.js';
import { createFedapay, DEFAULT_FEDAPAY_MODES } from '../../providers/fedapay/collection.js';
import { createKkiapay } from '../../providers/kkiapay/collection.js';
import { createMoovMoney } from '../../providers/moov-money/collection.js';
import { MOOV_TOKEN_VECTORS } from '../../providers/moov-money/fixtures.js';
import { createMomoCollection } from '../../providers/mtn-momo/collection.js';
import { createSandboxPaymentProvider } from '../../providers/sandbox-payment/payment.js';
import { FAKE_FEDAPAY_SECRET_KEY, FAKE_FEDAPAY_WEBHOOK_SECRET, startFakeFedapay } from '../../testkit/fakes/fedapay.js';
import { FAKE_KKIAPAY_KEYS, startFakeKkiapay } from '../../testkit/fakes/kkiapay.js';
import { FAKE_MOMO_CREDENTIALS, startFakeMomo } from '../../testkit/fakes/momo.js';
import { startFakeMoov } from '../../testkit/fakes/moov.js';
import { describePaymentProviderConformance, type PaymentProviderEntry } from '../../testkit/payment-provider-conformance.js';

/*
 * The payment provider conformance suite (testkit/payment-provider-conformance.ts) run once per
 * provider registered in providers/index.ts, each against its loopback fake. Here only what each
 * provider is: how it is built, which calls it makes, and what it declares it cannot do, with the
 * reason. A registered provider without an entry fails the suite.
 */

/** Client deadline in this suite: a hanging fake never answers at all; a healthy call on a busy 2-core machine fits easily. */
const DEADLINE_MS = 500;

const ENTRIES: Readonly<Record<string, PaymentProviderEntry>> = {
  sandbox: {
    make: () => createSandboxPaymentProvider({ approveAfterMs: 60_000 }),
    network: { unsupported: 'the sandbox makes no network calls and sends no callbacks' },
  },
  'mtn-momo': {
    make: (baseUrl) => createMomoCollection({ baseUrl, ...FAKE_MOMO_CREDENTIALS, timeoutMs: DEADLINE_MS }),
    network: {
      start: startFakeMomo,
      operations: ['token', 'accountholder', 'requesttopay', 'status'],
      advisory: { accountholder: 'the account-holder check only stops a collection on a clear "result": false' },
      callbacks: 'hint',
      forgedAnswer: [202],
      amountReported: true,
      currencyReported: true,
      refunds: { unsupported: 'a request-to-pay has no refunded status (Collection API: PENDING, SUCCESSFUL, FAILED)' },
    },
  },
  'moov-money': {
    make: (baseUrl) => createMoovMoney({ baseUrl, ...moovCredentials(), timeoutMs: DEADLINE_MS }),
    network: {
      start: () => startFakeMoov(MOOV_TOKEN_VECTORS[0].token),
      operations: ['push', 'status'],
      callbacks: { unsupported: 'Moov Money sends no callback: it is polled (community SDKs)' },
      amountReported: { unsupported: 'getTransactionStatus carries no amount (Brainsial/moov-money-api-sdk test server)' },
      currencyReported: { unsupported: 'getTransactionStatus carries no currency' },
      refunds: { unsupported: 'no refund operation or status in the community SDKs' },
    },
  },
  fedapay: {
    make: (baseUrl) => createFedapay({ baseUrl, secretKey: FAKE_FEDAPAY_SECRET_KEY, webhookSecret: FAKE_FEDAPAY_WEBHOOK_SECRET, modes: DEFAULT_FEDAPAY_MODES, timeoutMs: DEADLINE_MS }),
    network: {
      start: () => startFakeFedapay(),
      operations: ['create', 'token', 'send', 'status'],
      callbacks: 'signed',
      forgedAnswer: [403],
      amountReported: true,
      currencyReported: { unsupported: 'a transaction names its currency by currency_id, not by code (fedapay-node test/TransactionTest.ts)' },
      refunds: true,
    },
  },
  kkiapay: {
    make: (baseUrl) => createKkiapay({ baseUrl, ...FAKE_KKIAPAY_KEYS, timeoutMs: DEADLINE_MS }),
    network: {
      start: startFakeKkiapay,
      operations: ['debit', 'status'],
      callbacks: 'hint',
      forgedAnswer: [401, 403],
      amountReported: true,
      currencyReported: { unsupported: 'the status answer carries no currency (PythonBenin/kkiapay-python readme)' },
      refunds: {
        unsupported:
          'a revert is ours to ask (kkiapay/nodejs-sdk refund → /api/v1/transactions/revert) and Guichet never does; the status list documents no reverted status',
      },
    },
  },
};

function moovCredentials() {
  const { username, password, encryptionKey } = MOOV_TOKEN_VECTORS[0];
  return { username, password, encryptionKey };
}

describe('payment provider conformance: the registry', () => {
  it('every provider registered in providers/index.ts has a conformance entry, and no entry is stale', () => {
    expect(Object.keys(ENTRIES).sort()).toEqual(Object.keys(paymentProviders).sort());
  });
});

for (const name of Object.keys(paymentProviders)) {
  const entry = ENTRIES[name];
  // A registered provider without an entry is the registry case's failure.
  if (entry) describePaymentProviderConformance(name, entry);
}
