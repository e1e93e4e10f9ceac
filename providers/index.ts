import type { UssdDialect } from '../src/channels/ussd/port.js';
import type { PaymentProvider } from '../src/payments/port.js';
import { africasTalking } from './africastalking/index.js';
import { arkesel } from './arkesel/index.js';
import { fedapay } from './fedapay/index.js';
import { hubtel } from './hubtel/index.js';
import { kannel } from './kannel/index.js';
import { kkiapay } from './kkiapay/index.js';
import { parseEnv, type PaymentApiPart, type ProviderEnv, type ProviderManifest, type SmsCallbackEndpoint, type SmsRoutePart, type UssdPart, type UssdPushPart } from './manifest.js';
import { moovMoney } from './moov-money/index.js';
import { mtnMadapi } from './mtn-madapi/index.js';
import { mtnMomo } from './mtn-momo/index.js';
import { nalo } from './nalo/index.js';
import { sandboxPayment } from './sandbox-payment/index.js';
import { sandboxSms } from './sandbox-sms/index.js';
import { smppSms } from './smpp-sms/index.js';
import { smppUssdProvider } from './smpp-ussd/index.js';

/**
 * The one registry of providers: every folder beside this file, by its manifest
 * (`providers/<name>/index.ts`, typed by `manifest.ts`). Adding an operator, aggregator, SMS route or
 * payment API is a folder and one line here; the configuration, the runtimes and the callback
 * routes read what follows, and `registry.test.ts` fails for a folder left out. The order is each
 * view's: the web simulator offers the dialects in it, Africa's Talking (its default) first.
 */
export const providerManifests: readonly ProviderManifest[] = [
  // USSD
  africasTalking,
  hubtel,
  nalo,
  arkesel,
  mtnMadapi,
  smppUssdProvider,
  // Payments
  sandboxPayment,
  mtnMomo,
  fedapay,
  moovMoney,
  kkiapay,
  // SMS (Africa's Talking's route is in its manifest above)
  sandboxSms,
  kannel,
  smppSms,
];

// Views of the registry, for the parts of Guichet that need one capability each.

/**
 * Every USSD dialect, by how it arrives: over HTTP (`POST /ussd/<name>`) or over an operator's
 * SMPP link (`SMPP_USSD_<OP>_*`). The cross-dialect suite (`test/ussd-dialects.test.ts`) walks
 * each of them and fails for one without a test driver.
 */
export type UssdRegistration = UssdPart;
export const ussdRegistry: readonly UssdRegistration[] = providerManifests.flatMap((manifest) => (manifest.ussd ? [manifest.ussd] : []));

/** The HTTP dialects, for the `/ussd/:provider` routes. */
export const ussdDialects: readonly UssdDialect[] = ussdRegistry.flatMap((entry) => (entry.transport === 'http' ? [entry.dialect] : []));

/** The SMS routes' parts, each reading its own variables (`SMS_ROUTES` then picks among the routes they configure). */
export const smsRouteParts: readonly SmsRoutePart[] = providerManifests.flatMap((manifest) => (manifest.sms ? [manifest.sms] : []));

/** The HTTP callbacks of every SMS route, each with the route whose secret and allowlist guard it. */
export const smsCallbackEndpoints: readonly { route: string; endpoint: SmsCallbackEndpoint }[] = smsRouteParts.flatMap(({ callbacks }) =>
  callbacks ? callbacks.endpoints.map((endpoint) => ({ route: callbacks.route, endpoint })) : [],
);

/** The SMS routes with HTTP callbacks: the ones `SMS_<ROUTE>_CALLBACK_SECRET` and `SMS_<ROUTE>_ALLOW_IPS` may name. */
export const smsCallbackRoutes: readonly string[] = [...new Set(smsCallbackEndpoints.map((entry) => entry.route))];

/** Payment APIs by registry name: `PAYMENT_PROVIDER` and `PAYMENT_ROUTES` pick among them. */
export const paymentApis: Readonly<Record<string, PaymentApiPart>> = Object.fromEntries(
  providerManifests.flatMap((manifest) => (manifest.payment ? [[manifest.payment.name, manifest.payment] as const] : [])),
);

/** Each payment API built from the environment (its variables read and checked, every problem named). */
export const paymentProviders: Readonly<Record<string, (env: ProviderEnv) => PaymentProvider>> = Object.fromEntries(
  Object.entries(paymentApis).map(([name, api]) => [name, (env: ProviderEnv) => api.create(parseEnv(api.env, env))]),
);

/** The USSD push parts (`USSD_PUSH_ROUTES` picks among the routes they configure). */
export const ussdPushParts: readonly UssdPushPart[] = providerManifests.flatMap((manifest) => (manifest.ussdPush ? [manifest.ussdPush] : []));
