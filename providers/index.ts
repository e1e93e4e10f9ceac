import type { UssdDialect } from '../src/channels/ussd/port.js';
import { africasTalkingUssd } from './africastalking/ussd.js';
import { arkeselUssd } from './arkesel/ussd.js';
import { hubtelUssd } from './hubtel/ussd.js';
import { mtnMadapiUssd } from './mtn-madapi/ussd.js';
import { naloUssd } from './nalo/ussd.js';
import { smppUssd, type SmppUssdDialect } from './smpp-ussd/ussd.js';
import type { PaymentProvider } from '../src/payments/port.js';
import { createFedapay, fedapayConfigFromEnv } from './fedapay/collection.js';
import { createKkiapay, kkiapayConfigFromEnv } from './kkiapay/collection.js';
import { createMoovMoney, moovConfigFromEnv } from './moov-money/collection.js';
import { createMomoCollection, momoConfigFromEnv } from './mtn-momo/collection.js';
import { createSandboxPaymentProvider } from './sandbox-payment/payment.js';

/**
 * The one registry of providers. Adding an operator, aggregator or payment API is a folder
 * beside this file and one line here; nothing in the engine or the channels changes.
 */
/**
 * Every USSD dialect, by how it arrives: over HTTP (`POST /ussd/<name>`) or over an operator's
 * SMPP link (`SMPP_USSD_<OP>_*`). The cross-dialect suite (`test/ussd-dialects.test.ts`) walks
 * each of them and fails for one without a test driver.
 */
export type UssdRegistration = { transport: 'http'; dialect: UssdDialect } | { transport: 'smpp'; dialect: SmppUssdDialect };

export const ussdRegistry: readonly UssdRegistration[] = [
  { transport: 'http', dialect: africasTalkingUssd },
  { transport: 'http', dialect: hubtelUssd },
  { transport: 'http', dialect: naloUssd },
  { transport: 'http', dialect: arkeselUssd },
  { transport: 'http', dialect: mtnMadapiUssd },
  { transport: 'smpp', dialect: smppUssd },
];

/** The HTTP dialects, for the `/ussd/:provider` routes. */
export const ussdDialects: readonly UssdDialect[] = ussdRegistry.flatMap((entry) => (entry.transport === 'http' ? [entry.dialect] : []));

/** Payment APIs by registry name: `PAYMENT_PROVIDER` picks one. */
export const paymentProviders: Readonly<Record<string, (env: Readonly<Record<string, string | undefined>>) => PaymentProvider>> = {
  sandbox: (env) => createSandboxPaymentProvider({ approveAfterMs: Number(env.SANDBOX_APPROVE_AFTER_MS ?? 3000) }),
  'mtn-momo': (env) => createMomoCollection(momoConfigFromEnv(env)),
  fedapay: (env) => createFedapay(fedapayConfigFromEnv(env)),
  'moov-money': (env) => createMoovMoney(moovConfigFromEnv(env)),
  kkiapay: (env) => createKkiapay(kkiapayConfigFromEnv(env)),
};
