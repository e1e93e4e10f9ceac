import type { z } from 'zod';
import type { UssdDialect } from '../src/channels/ussd/port.js';
import type { SmsCallbackProtection } from '../src/channels/sms/callback-auth.js';
import type { HttpFetch } from '../src/lib/http-fetch.js';
import type { Logger } from '../src/observability/logger.js';
import type { CallbackParser } from '../src/payments/payment-provider-callback.js';
import type { PaymentProvider } from '../src/payments/port.js';
import type { DeliveryReport } from '../src/sms/delivery-reports.js';
import type { InboundSms } from '../src/sms/inbound.js';
import type { SmsRoute } from '../src/sms/port.js';
import type { SandboxInbox } from '../src/sms/sandbox-inbox.js';
import type { UssdPushRoute } from '../src/ussd-push/port.js';
import type { AfricasTalkingAccount, AfricasTalkingSend } from './africastalking/sms.js';
import type { SmppLinkSettings } from './smpp-ussd/links.js';
import type { SmppUssdDialect } from './smpp-ussd/ussd.js';

/**
 * What a provider folder declares about itself, in one value exported from
 * `providers/<name>/index.ts` and listed in `providers/index.ts` (the one registry). The runtimes,
 * the configuration and the SMS callback routes read the registry; none of them names a provider.
 *
 * A manifest is portable TypeScript (ports, zod, `fetch`): the Worker imports the registry. What
 * only Node can do (an SMPP bind, an SDK built on Node's `http`) is declared as data (a USSD
 * `transport`, an SMS route's `link`) and the Node runtime supplies it: no provider file imports
 * `src/runtime/`.
 *
 * This file sits beside the registry rather than in `src/`: it is the contract the folders here
 * fulfil, it needs only types from `src/` (the ports), and what in `src/` reads the registry (the
 * configuration, the SMS callback routes, the Node wiring) takes its types from here too.
 */
export interface ProviderManifest {
  /** Its folder's name under `providers/`. */
  name: string;
  ussd?: UssdPart;
  sms?: SmsRoutePart;
  payment?: PaymentApiPart;
  ussdPush?: UssdPushPart;
}

/** The environment as the process has it. */
export type ProviderEnv = Readonly<Record<string, string | undefined>>;

/**
 * A provider's variables, read from the whole environment: zod, so each problem is an issue (with
 * the variable as its path, or a message naming the variables when they go together), and every
 * problem of every provider reaches the start-up report at once.
 */
export type EnvSchema<T> = z.ZodType<T>;

// ---------------------------------------------------------------------------------------------
// USSD

/**
 * A USSD dialect and how it arrives: over HTTP (`POST /ussd/<dialect name>`, nothing to configure
 * beyond the `USSD_<NAME>_*` settings every dialect has) or over an operator's SMPP link, which
 * only the Node runtime opens, one per `SMPP_USSD_<OP>_*` group this `env` reads.
 */
export type UssdPart = { transport: 'http'; dialect: UssdDialect } | { transport: 'smpp'; dialect: SmppUssdDialect; env: EnvSchema<readonly SmppLinkSettings[]> };

// ---------------------------------------------------------------------------------------------
// USSD push (USSN)

/**
 * A way to push a notification on a handset's screen (`src/ussd-push/`). `smpp`: on every SMPP USSD
 * link the runtime opens (`SMPP_USSD_<OP>_*`, route `smpp-<operator>`); `none`: portable code over
 * `fetch`, configured by its own variables (undefined when they are unset), under one route name.
 */
export type UssdPushPart = { link: 'smpp' } | PortableUssdPushPart<unknown>;

export interface PortableUssdPushPart<S> {
  link: 'none';
  /** Its name in `USSD_PUSH_ROUTES`. */
  route: string;
  env: EnvSchema<S | undefined>;
  /** A method (checked bivariantly): the settings are always those its own `env` produced. */
  create(settings: S, runtime: { from: string }): UssdPushRoute;
}

/** Keeps a portable push part's settings typed from its `env` (an identity). */
export function portableUssdPush<S>(part: Omit<PortableUssdPushPart<S>, 'link'>): PortableUssdPushPart<S> {
  return { link: 'none', ...part };
}

// ---------------------------------------------------------------------------------------------
// SMS

/** One SMS route an environment configures: its name in `SMS_ROUTES` and what its factory takes. */
export interface SmsRouteInstance<S> {
  route: string;
  /** The variable that configures it, for "configured but unused" reports; absent for a built-in route (the sandbox). */
  variable?: string;
  settings: S;
}

/** What the runtime gives every SMS route it builds. */
export interface SmsRouteRuntime {
  logger: Logger;
  /** The route's `SMS_<ROUTE>_CALLBACK_SECRET` / `_ALLOW_IPS`, for a callback URL the route writes itself (Kannel's dlr-url). */
  callbacks: SmsCallbackProtection | undefined;
  /** Files a delivery report the route learns of other than through an HTTP callback (the sandbox at once, SMPP on its link). */
  recordReport(report: DeliveryReport): Promise<unknown>;
  /** A citizen's message arriving on the route's own link (SMPP). */
  receive(sms: InboundSms): Promise<void>;
  /** Where the sandbox route keeps what it would have sent, for the web simulator (`src/sms/sandbox-inbox.ts`); other routes ignore it. */
  sandboxInbox?: SandboxInbox;
}

interface SmsRoutePartBase<S> {
  /** Reads the provider's SMS variables: the routes they configure, none when they are unset. */
  env: EnvSchema<readonly SmsRouteInstance<S>[]>;
  /**
   * The variables that would configure a route of this name, for the report naming what to set
   * (`SMS_ROUTES=MTN=kannel` without Kannel's URL); undefined when the name is not one of its routes.
   */
  variablesFor(route: string): string | undefined;
  /** The HTTP callbacks (inbound messages, delivery reports) the provider's route owns. */
  callbacks?: SmsCallbacks;
}

/**
 * Built by the manifest from portable code (`fetch`, timers), on any runtime. `create` is a method
 * (checked bivariantly) so a part typed for its own settings is an `SmsRoutePart`: the settings it
 * gets are always those its own `env` produced.
 */
export interface PortableSmsRoutePart<S> extends SmsRoutePartBase<S> {
  link: 'none';
  create(settings: S, runtime: SmsRouteRuntime): SmsRoute;
}

/** An operator's SMSC bind: the Node runtime opens the link and builds the route on it (`src/runtime/node/smpp/`). */
export interface SmppSmsRoutePart extends SmsRoutePartBase<SmppLinkSettings> {
  link: 'smpp';
}

/** Africa's Talking's SDK (axios on Node's `http`): the Node runtime makes the client, the manifest the route. */
export interface AfricasTalkingSdkSmsRoutePart extends SmsRoutePartBase<AfricasTalkingAccount> {
  link: 'africastalking-sdk';
  create(settings: AfricasTalkingAccount, runtime: SmsRouteRuntime, send: AfricasTalkingSend): SmsRoute;
}

/** An SMS route, by the Node-only link it needs from the runtime (`none`: it needs none). */
export type SmsRoutePart = PortableSmsRoutePart<unknown> | SmppSmsRoutePart | AfricasTalkingSdkSmsRoutePart;

/** An SMS route the configuration found, ready for the runtime: built with what it supplies. */
export type ConfiguredSmsRoute =
  | { route: string; link: 'none'; create(runtime: SmsRouteRuntime): SmsRoute }
  | { route: string; link: 'smpp'; settings: SmppLinkSettings }
  | { route: string; link: 'africastalking-sdk'; settings: AfricasTalkingAccount; create(runtime: SmsRouteRuntime, send: AfricasTalkingSend): SmsRoute };

/** Keeps a portable part's settings typed from its `env` (an identity: `sms: portableSmsRoute({...})`). */
export function portableSmsRoute<S>(part: Omit<PortableSmsRoutePart<S>, 'link'>): PortableSmsRoutePart<S> {
  return { link: 'none', ...part };
}

/**
 * The callbacks of one route, guarded by its `SMS_<ROUTE>_CALLBACK_SECRET` and `SMS_<ROUTE>_ALLOW_IPS`
 * before anything is read; what they carry is filed under the route's name.
 */
export interface SmsCallbacks {
  route: string;
  endpoints: readonly SmsCallbackEndpoint[];
}

export interface SmsCallbackEndpoint {
  methods: readonly ('GET' | 'POST')[];
  /** The URL the provider is given, under `/sms/<route>/`. */
  path: string;
  /** What the request says. Called only once the route's secret and allowlist have passed. */
  parse(request: SmsCallbackRequest): Promise<SmsCallbackEvent>;
  /** The 200 carries no body, or an empty text where the provider wants one (Kannel's smsbox). */
  okBody?: '';
}

/** A callback as it arrived, without the web framework. */
export interface SmsCallbackRequest {
  method: 'GET' | 'POST';
  /** The query as received, without `?`, still percent-encoded (Kannel's may hold raw UTF-16 bytes). */
  rawQuery: string;
  /** One query parameter, decoded. */
  query(name: string): string | undefined;
  header(name: string): string | undefined;
  bytes(): Promise<Uint8Array>;
  text(): Promise<string>;
}

export type SmsCallbackEvent =
  | { kind: 'inbound'; sms: Omit<InboundSms, 'route'> }
  | { kind: 'report'; report: Omit<DeliveryReport, 'route'> }
  /** Answered 400 with the reason. */
  | { kind: 'bad_request'; reason: string };

// ---------------------------------------------------------------------------------------------
// Payments

/**
 * How `/payments/<name>/callback` is believed. `signature`: HMAC over the raw body, its status
 * applied once verified; `shared-secret`: a secret header proves the caller, the status API
 * decides; `unsigned`: it only names a payment the status API is then asked about.
 */
export type PaymentCallbackTrust = 'signature' | 'shared-secret' | 'unsigned';

interface PaymentApiPartBase<S> {
  /** Registry name, as `PAYMENT_PROVIDER` and `PAYMENT_ROUTES` say it and payments keep it. */
  name: string;
  /** Its variables; read only when `PAYMENT_PROVIDER` or `PAYMENT_ROUTES` names it. */
  env: EnvSchema<S>;
}

/**
 * What the runtime gives every payment API it builds. `fetch`: the outbound HTTP client (Node: its
 * keep-alive client, `src/runtime/node/http-client.ts`); absent, the API uses the global `fetch`
 * (Workers, tests).
 */
export interface PaymentApiRuntime {
  fetch?: HttpFetch;
}

/**
 * A payment API taking callbacks must parse them: the type holds the declaration to the code.
 * `create` is a method (checked bivariantly) so a part typed for its own settings is a `PaymentApiPart`.
 */
export type PaymentApiPart<S = unknown> =
  | (PaymentApiPartBase<S> & { callback: PaymentCallbackTrust; create(settings: S, runtime?: PaymentApiRuntime): PaymentProvider & CallbackParser })
  | (PaymentApiPartBase<S> & { callback?: undefined; create(settings: S, runtime?: PaymentApiRuntime): PaymentProvider });

/** The settings with the runtime's HTTP client, when it gives one (the API's own `fetch` setting otherwise stays). */
export function withRuntimeFetch<S extends { fetch?: HttpFetch }>(settings: S, runtime: PaymentApiRuntime | undefined): S {
  return runtime?.fetch && !settings.fetch ? { ...settings, fetch: runtime.fetch } : settings;
}

/** Keeps a payment part's settings typed from its `env` (an identity). */
export function paymentApi<S>(part: PaymentApiPart<S>): PaymentApiPart<S> {
  return part;
}

// ---------------------------------------------------------------------------------------------
// Reading the environment

/** A zod issue as a line of the start-up report: `invalid configuration: VARIABLE: what is wrong`. */
export function configurationProblem(issue: { path: readonly PropertyKey[]; message: string }): string {
  const path = issue.path.map(String).join('.');
  return `invalid configuration: ${path ? `${path}: ` : ''}${issue.message}`;
}

export function readEnv<T>(schema: EnvSchema<T>, env: ProviderEnv): { ok: true; value: T } | { ok: false; problems: string[] } {
  const parsed = schema.safeParse(env);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, problems: parsed.error.issues.map(configurationProblem) };
}

/** The settings, or an error listing every problem, one per line, each naming its variable. */
export function parseEnv<T>(schema: EnvSchema<T>, env: ProviderEnv): T {
  const read = readEnv(schema, env);
  if (!read.ok) throw new Error(read.problems.join('\n'));
  return read.value;
}
