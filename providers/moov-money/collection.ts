import { XMLParser } from 'fast-xml-parser';
import type { HttpAnswer, HttpFetch } from '../../src/lib/http-fetch.js';
import { z } from 'zod';
import { fetchWithin } from '../../src/lib/deadline.js';
import { parseEnv, type ProviderEnv } from '../manifest.js';
import {
  AmbiguousCollectionError,
  type CollectionRef,
  type CollectionRequest,
  type PaymentProvider,
  type ProviderStatus,
} from '../../src/payments/port.js';
import { describeFetchFailure, sendOnce } from '../../src/lib/fetch-failure.js';

/*
 * Moov Money (Flooz) Benin merchant API. Moov publishes no public documentation: the envelope,
 * operations, token recipe and status codes follow community SDKs only — Brainsial/moov-money-api-sdk
 * (`src/security/encryption_agent.ts`, `src/helper/soap_client.ts`, `src/action/*`) and
 * v1p3r75/moov-money-api-php-sdk (`src/Security/Encryption.php` after commit 8a03e56 "fix token
 * encryption error", Nov 2024; `src/Common/data/status.php`). Community code, not Moov's word: the
 * samples they were tested with are in `./fixtures.ts`. Web Crypto and `fetch` only, so this file
 * runs unchanged on Cloudflare Workers.
 */

export interface MoovConfig {
  /** The merchant API's SOAP endpoint, as Moov hands it to the merchant (one URL for every operation). */
  baseUrl: string;
  username: string;
  password: string;
  /** AES key for the token: 16, 24 or 32 bytes (used as AES-256, NUL-padded like PHP's OpenSSL). */
  encryptionKey: string;
  /** Per SOAP call; past it the push is treated as possibly sent (never resent). */
  timeoutMs?: number;
  /** Outbound HTTP: the global `fetch` unless the runtime hands one (Node: its keep-alive client). */
  fetch?: HttpFetch;
}

const SOAP_ENV_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
const MERCHANT_NS = 'http://api.merchant.tlc.com/';

/**
 * What a Moov status code means for a collection. `credentials`: our token was refused, so
 * nothing was done (an operator must fix the configuration; the job retries and logs it).
 * `moov-error`: Moov's own back end failed; that says nothing about the collection, so a status
 * question is asked again later and a push answered this way may have gone out.
 */
type MoovOutcome = 'succeeded' | 'pending' | 'failed' | 'credentials' | 'moov-error';

/**
 * Moov status codes, as data (meanings from the PHP SDK's `src/Common/data/status.php`). Only codes
 * that prove the collection is over map to `failed`: a failed payment is final, and a success
 * reported after it would be lost. A code not listed here is not guessed: the status question is
 * asked again later and the payment stays unfinished until a known code or its expiry.
 */
export const MOOV_STATUS_CODES: Readonly<Record<string, { outcome: MoovOutcome; meaning: string }>> = {
  '0': { outcome: 'succeeded', meaning: 'transaction completed' },
  '100': { outcome: 'pending', meaning: 'in pending state (waiting for the subscriber)' },
  '1': { outcome: 'failed', meaning: 'not allowed on the method transaction' },
  '2': { outcome: 'failed', meaning: 'not allowed on the transaction' },
  '3': { outcome: 'failed', meaning: 'number is not valid' },
  '4': { outcome: 'failed', meaning: 'not permitted for this user' },
  '6': { outcome: 'failed', meaning: 'destination not allowed to receive' },
  '7': { outcome: 'failed', meaning: 'destination is locked' },
  '8': { outcome: 'failed', meaning: 'balance insufficient' },
  '9': { outcome: 'failed', meaning: 'destination is inactive' },
  '10': { outcome: 'failed', meaning: 'insufficient funds' },
  '11': { outcome: 'failed', meaning: 'amount above the maximum' },
  '12': { outcome: 'failed', meaning: 'amount below the minimum' },
  '13': { outcome: 'failed', meaning: 'daily amount limit reached' },
  '14': { outcome: 'failed', meaning: 'monthly amount limit reached' },
  '15': { outcome: 'failed', meaning: 'daily transaction count reached' },
  '16': { outcome: 'failed', meaning: 'monthly transaction count reached' },
  '17': { outcome: 'failed', meaning: 'destination cannot receive this small an amount' },
  '18': { outcome: 'failed', meaning: 'destination balance at its maximum' },
  '19': { outcome: 'failed', meaning: 'sender daily transaction limit reached' },
  '20': { outcome: 'failed', meaning: 'sender monthly transaction limit reached' },
  '91': { outcome: 'failed', meaning: 'parameters not complete' },
  '92': { outcome: 'failed', meaning: 'USSD push timed out or cancelled' },
  '94': { outcome: 'failed', meaning: 'transaction does not exist' },
  '95': { outcome: 'failed', meaning: 'transaction failed due to error' },
  '555': { outcome: 'failed', meaning: 'subscriber not registered on Moov Money' },
  '98': { outcome: 'credentials', meaning: 'invalid credentials (token)' },
  '99': { outcome: 'moov-error', meaning: 'Moov internal error' },
  '-1': { outcome: 'moov-error', meaning: 'Moov internal error' },
};

const parser = new XMLParser({ removeNSPrefix: true, parseTagValue: false, ignoreAttributes: true });

const returnShape = z.object({
  status: z.string().min(1),
  description: z.string().optional(),
  referenceid: z.string().optional(),
  transid: z.string().optional(),
});
const faultShape = z.object({ faultcode: z.string().optional(), faultstring: z.string().optional() }).passthrough();
const envelopeShape = z.object({ Envelope: z.object({ Body: z.record(z.string(), z.unknown()) }) });

type MoovAnswer = { kind: 'return'; status: string; description: string; referenceid: string } | { kind: 'fault'; fault: string };

/** Reads a SOAP answer; `null` when it is not one (an HTML error page, a cut-off body, another operation). */
function readAnswer(xml: string, responseElement: string): MoovAnswer | null {
  let doc: unknown;
  try {
    doc = parser.parse(xml);
  } catch {
    return null;
  }
  const envelope = envelopeShape.safeParse(doc);
  if (!envelope.success) return null;
  const body = envelope.data.Envelope.Body;
  if ('Fault' in body) {
    const fault = faultShape.safeParse(body.Fault);
    const code = fault.success ? (fault.data.faultcode ?? '') : '';
    const text = fault.success ? (fault.data.faultstring ?? '') : '';
    return { kind: 'fault', fault: `${code} ${text}`.trim() || 'no fault string' };
  }
  const operation = body[responseElement];
  // The SDKs disagree on the answer's element: Brainsial's client reads `<result>` for a push and
  // `<response>` for a status, the PHP SDK's tests show `<return>`; both accept whichever comes.
  const wrapped = z.object({ result: returnShape.optional(), response: returnShape.optional(), return: returnShape.optional() }).safeParse(operation);
  if (!wrapped.success) return null;
  const found = wrapped.data.result ?? wrapped.data.response ?? wrapped.data.return;
  if (!found) return null;
  const { status, description, referenceid } = found;
  return { kind: 'return', status, description: description ?? '', referenceid: referenceid ?? '' };
}

function outcomeOf(status: string): { outcome: MoovOutcome | 'unknown'; meaning: string } {
  return MOOV_STATUS_CODES[status] ?? { outcome: 'unknown', meaning: 'unknown status code' };
}

function reasonOf(answer: { status: string; description: string }): string {
  return `moov ${answer.status}: ${answer.description || outcomeOf(answer.status).meaning}`;
}

const XML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes text for an XML element, dropping the control characters XML 1.0 cannot carry at all. */
function xmlText(value: string): string {
  return value.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '').replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);
}

function envelope(operation: string): string {
  return (
    `<soapenv:Envelope xmlns:soapenv="${SOAP_ENV_NS}" xmlns:api="${MERCHANT_NS}">` +
    `<soapenv:Header/><soapenv:Body>${operation}</soapenv:Body></soapenv:Envelope>`
  );
}

function keyBytesOf(encryptionKey: string): Uint8Array {
  const bytes = new TextEncoder().encode(encryptionKey);
  if (bytes.length !== 16 && bytes.length !== 24 && bytes.length !== 32) {
    throw new Error(`moov: the encryption key must be 16, 24 or 32 bytes, not ${bytes.length}`);
  }
  return bytes;
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * The API token, as the community SDKs build it today: `0:user:password` in AES-256-CBC under the
 * key, IV sixteen zero bytes, PKCS#7 padding, the raw cipher text base64-encoded once (Brainsial's
 * `encryption_agent.ts`; the PHP SDK since 8a03e56, which withdrew its first recipe — IV from the
 * key's SHA-256 and a second base64 — as broken). A 16- or 24-byte key is right-padded with NUL
 * bytes to 32, as PHP's OpenSSL does (Node's `createCipheriv` would refuse it).
 */
export async function moovToken(username: string, password: string, encryptionKey: string): Promise<string> {
  const keyBytes = keyBytesOf(encryptionKey);
  const padded = new Uint8Array(32);
  padded.set(keyBytes);
  const key = await crypto.subtle.importKey('raw', padded, { name: 'AES-CBC' }, false, ['encrypt']);
  const sealed = await crypto.subtle.encrypt({ name: 'AES-CBC', iv: new Uint8Array(16) }, key, new TextEncoder().encode(`0:${username}:${password}`));
  return base64(new Uint8Array(sealed));
}

/**
 * Moov Money Benin, collection by USSD push (`PushWithPending`), followed by polling
 * `getTransactionStatus` with the reference id Moov answers (Moov sends no callback). The push
 * has no idempotency key, so it is sent at most once per payment: its reference id is kept with
 * the payment as soon as it comes back, and an answer lost on the way is never followed by a
 * second push (see AmbiguousCollectionError).
 */
export function createMoovMoney(config: MoovConfig): PaymentProvider {
  const http = config.fetch ?? fetch;
  const timeoutMs = config.timeoutMs ?? 15_000;
  keyBytesOf(config.encryptionKey); // a wrong key stops the gateway at start, not at the first payment
  let token: Promise<string> | null = null;

  function tokenOnce(): Promise<string> {
    token ??= moovToken(config.username, config.password, config.encryptionKey).catch((error: unknown) => {
      token = null;
      throw error;
    });
    return token;
  }

  function post(body: string, signal?: AbortSignal): Promise<HttpAnswer> {
    return fetchWithin(
      http,
      config.baseUrl,
      {
        method: 'POST',
        // SOAP 1.1 requires the header; empty means "the URL says it" (JAX-WS dispatches on the body).
        headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' },
        body,
      },
      timeoutMs,
      signal,
    );
  }

  async function checkStatus(ref: CollectionRef, signal?: AbortSignal): Promise<ProviderStatus> {
    // Never pushed, or the push answer was lost: Moov names transactions only by its own id.
    if (!ref.providerReference) return { status: 'pending' };
    const res = await post(
      envelope(`<api:getTransactionStatus><token>${xmlText(await tokenOnce())}</token><request><transid>${xmlText(ref.providerReference)}</transid></request></api:getTransactionStatus>`),
      signal,
    );
    const answer = readAnswer(await res.text(), 'getTransactionStatusResponse');
    if (!answer) throw new Error(`moov status: HTTP ${res.status}, no SOAP answer`);
    if (answer.kind === 'fault') throw new Error(`moov status: SOAP fault ${answer.fault}`);
    if (!res.ok) throw new Error(`moov status: HTTP ${res.status}`);
    const { outcome } = outcomeOf(answer.status);
    switch (outcome) {
      case 'succeeded':
        return { status: 'succeeded', providerTransactionId: answer.referenceid || ref.providerReference };
      case 'pending':
        return { status: 'pending' };
      case 'failed':
        return { status: 'failed', reason: reasonOf(answer) };
      case 'credentials':
        throw new Error(`${reasonOf(answer)}: check MOOV_USERNAME, MOOV_PASSWORD and MOOV_ENCRYPTION_KEY`);
      case 'moov-error':
        throw new Error(`moov status: ${reasonOf(answer)}`);
      case 'unknown':
        // Not final: asked again at the next poll, and the expiry closes the payment if it never clears.
        throw new Error(`moov status: unknown status code ${answer.status} (${answer.description || 'no description'})`);
    }
  }

  async function requestCollection(request: CollectionRequest, signal?: AbortSignal): Promise<ProviderStatus> {
    // An earlier attempt already pushed and kept Moov's id: only its status may be asked now.
    if (request.providerReference) return checkStatus({ paymentId: request.paymentId, providerReference: request.providerReference }, signal);
    if (!Number.isInteger(request.amountXof) || request.amountXof <= 0) return { status: 'failed', reason: `moov: invalid amount ${request.amountXof} XOF` };
    const body = envelope(
      '<api:PushWithPending>' +
        `<token>${xmlText(await tokenOnce())}</token>` +
        `<msisdn>${xmlText(request.payerMsisdn.replace(/^\+/, ''))}</msisdn>` +
        `<message>${xmlText(request.description)}</message>` +
        `<amount>${request.amountXof}</amount>` +
        `<externaldata1>${xmlText(request.paymentId)}</externaldata1>` +
        '<externaldata2></externaldata2>' +
        '<fee>0</fee>' +
        '</api:PushWithPending>',
    );
    // Everything above this line sends nothing: its errors are plainly retryable.
    signal?.throwIfAborted();

    const res = await sendOnce('moov push', () => post(body, signal));
    const { text } = res;
    const answer = readAnswer(text, 'PushWithPendingResponse');
    // A 4xx without a SOAP fault comes from the HTTP layer (wrong URL, a proxy, throttling): the
    // merchant service never saw the request.
    if (res.status >= 400 && res.status < 500 && answer?.kind !== 'fault') throw new Error(`moov push: HTTP ${res.status}, refused before processing`);
    // A fault, a 5xx or an unreadable body: Moov may have pushed the prompt all the same.
    if (!answer) throw new AmbiguousCollectionError(`moov push: HTTP ${res.status}, no SOAP answer`);
    if (answer.kind === 'fault') throw new AmbiguousCollectionError(`moov push: SOAP fault ${answer.fault}`);
    if (!res.ok) throw new AmbiguousCollectionError(`moov push: HTTP ${res.status}`);

    const { outcome } = outcomeOf(answer.status);
    if (outcome === 'failed') return { status: 'failed', reason: reasonOf(answer) };
    if (outcome === 'credentials') throw new Error(`moov push: ${reasonOf(answer)}: check MOOV_USERNAME, MOOV_PASSWORD and MOOV_ENCRYPTION_KEY`);
    if (outcome === 'moov-error' || outcome === 'unknown') throw new AmbiguousCollectionError(`moov push: ${reasonOf(answer)}`);
    // 0 or 100: the prompt went out. PushWithPending "stays pending until the customer confirms"
    // (both SDKs' READMEs), so even 0 only means initiated: success comes from getTransactionStatus.
    // Without a reference id (Brainsial's pending sample has none) the payment is still followed:
    // pending, polled, and expired into the report if nothing ever names it.
    if (!answer.referenceid) return { status: 'pending' };

    let kept: string;
    try {
      kept = await request.rememberReference(answer.referenceid);
    } catch (error) {
      throw new AmbiguousCollectionError(`moov push: pushed as ${answer.referenceid} but the reference was not kept (${describeFetchFailure(error)})`, { cause: error });
    }
    // Another attempt kept its reference first (two workers raced): that one is followed.
    if (kept !== answer.referenceid) return checkStatus({ paymentId: request.paymentId, providerReference: kept }, signal);
    return { status: 'pending' };
  }

  // No idempotency key: a second PushWithPending is a second PIN prompt.
  return { name: 'moov-money', resendSafe: false, requestCollection, checkStatus };
}

/** `MOOV_*`: secrets come from env only; a missing or malformed one stops the gateway at start, naming the variable. */
export const moovEnv = z
  .object({
    MOOV_BASE_URL: z.string().url(),
    MOOV_USERNAME: z.string().min(1),
    MOOV_PASSWORD: z.string().min(1),
    MOOV_ENCRYPTION_KEY: z.string().refine((key) => [16, 24, 32].includes(new TextEncoder().encode(key).length), 'must be 16, 24 or 32 bytes'),
    MOOV_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  })
  .transform(
    (e): MoovConfig => ({
      baseUrl: e.MOOV_BASE_URL,
      username: e.MOOV_USERNAME,
      password: e.MOOV_PASSWORD,
      encryptionKey: e.MOOV_ENCRYPTION_KEY,
      timeoutMs: e.MOOV_TIMEOUT_MS,
    }),
  );

export function moovConfigFromEnv(env: ProviderEnv): MoovConfig {
  return parseEnv(moovEnv, env);
}
