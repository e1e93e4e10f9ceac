import { describe, expect, it } from 'vitest';
import { AT_DELIVERY_REPORTS, AT_INBOUND } from '../../providers/africastalking/sms.fixtures.js';
import { FEDAPAY_TRANSACTION, fedapayEvent } from '../../providers/fedapay/fixtures.js';
import { HUBTEL_REQUESTS, withBeninMobile } from '../../providers/hubtel/fixtures.js';
import { ussdDialects } from '../../providers/index.js';
import { KANNEL_INBOUND } from '../../providers/kannel/fixtures.js';
import { parseKannelInbound } from '../../providers/kannel/inbound.js';
import { kkiapayWebhookBody } from '../../providers/kkiapay/fixtures.js';
import { INBOUND_REQUESTS } from '../../providers/mtn-madapi/fixtures.js';
import { momoCallbackBody } from '../../providers/mtn-momo/fixtures.js';
import type { RawRequest, UssdDialect, UssdHop } from '../../src/channels/ussd/port.js';
import type { Screen } from '../../src/engine/types.js';
import { hmacHex } from '../../src/lib/secrets.js';
import { jsonSchema } from '../../src/http/openapi.js';
import { describedRoutes, type RouteDescriptor } from '../../src/http/route-descriptor.js';
import type { CallbackParser } from '../../src/payments/payment-provider-callback.js';
import { fullGateway, KEYS } from './full-gateway.js';

/**
 * The providers' wire formats in the OpenAPI document against the code that reads them: the
 * samples are the providers' recorded ones (`fixtures.ts`, kept out of the build, so the document
 * holds copies, checked equal here); a dialect accepts every sample of its schema and refuses one
 * without any field the schema requires; what a dialect answers fits its answer schema; a payment
 * callback sample passes its provider's own checks.
 */
const gateway = await fullGateway();
const DESCRIPTORS = describedRoutes(gateway.app);
const byId = (operationId: string): RouteDescriptor => {
  const found = DESCRIPTORS.find((d) => d.operationId === operationId);
  if (!found) throw new Error(`no operation ${operationId}`);
  return found;
};
const requestExample = (operationId: string, name: string): unknown => {
  const example = byId(operationId).request?.body?.examples[name];
  if (!example) throw new Error(`${operationId} has no example ${name}`);
  return example.value;
};
const queryExample = (operationId: string, name: string): unknown => byId(operationId).request?.queryExamples?.[name]?.value;

const PAYMENT_ID = '3f0c9a52-8d1e-4b7a-a6c4-2e9b1d7f5a30';

/** Kannel's captured query, decoded: what the query example must say. */
function capturedQuery(path: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(path.slice(path.indexOf('?') + 1)));
}

describe('the samples are the providers’ recorded ones', () => {
  it.each([
    { what: 'Hubtel initiation', documented: () => requestExample('ussd.hubtel.hop', 'initiation'), recorded: () => withBeninMobile(HUBTEL_REQUESTS.sdkInitiation) },
    { what: 'Hubtel response', documented: () => requestExample('ussd.hubtel.hop', 'response'), recorded: () => withBeninMobile(HUBTEL_REQUESTS.response) },
    { what: 'Hubtel release', documented: () => requestExample('ussd.hubtel.hop', 'release'), recorded: () => withBeninMobile(HUBTEL_REQUESTS.release) },
    { what: 'MADAPI begin', documented: () => requestExample('ussd.mtn-madapi.hop', 'begin'), recorded: () => INBOUND_REQUESTS.begin.body },
    { what: 'MADAPI continue', documented: () => requestExample('ussd.mtn-madapi.hop', 'continue'), recorded: () => INBOUND_REQUESTS.continue.body },
    { what: 'MADAPI timeout', documented: () => requestExample('ussd.mtn-madapi.hop', 'timeout'), recorded: () => INBOUND_REQUESTS.timeout.body },
    { what: 'AT incoming SMS', documented: () => requestExample('sms.africastalking.inbound', 'status'), recorded: () => AT_INBOUND },
    { what: 'AT report delivered', documented: () => requestExample('sms.africastalking.deliveryReport', 'delivered'), recorded: () => AT_DELIVERY_REPORTS.find((r) => r.form.status === 'Success')?.form },
    { what: 'AT report failed', documented: () => requestExample('sms.africastalking.deliveryReport', 'failed'), recorded: () => AT_DELIVERY_REPORTS.find((r) => r.form.status === 'Failed')?.form },
    { what: 'Kannel get-url', documented: () => queryExample('sms.kannel.inboundGet', 'gsm'), recorded: () => capturedQuery(KANNEL_INBOUND[1]!.path) },
    { what: 'Kannel post-url query', documented: () => queryExample('sms.kannel.inboundPost', 'ucs2'), recorded: () => capturedQuery(KANNEL_INBOUND[2]!.path) },
    { what: 'Kannel post-url body', documented: () => requestExample('sms.kannel.inboundPost', 'gsm'), recorded: () => KANNEL_INBOUND[3]!.text },
    { what: 'MoMo callback', documented: () => requestExample('paymentCallback.mtn-momo', 'successful'), recorded: () => momoCallbackBody(PAYMENT_ID, 'SUCCESSFUL', { financialTransactionId: '1839405211' }) },
    {
      what: 'FedaPay webhook',
      documented: () => requestExample('paymentCallback.fedapay', 'approved'),
      recorded: () => fedapayEvent('transaction.approved', { ...FEDAPAY_TRANSACTION, status: 'approved', custom_metadata: { payment_id: PAYMENT_ID } }),
    },
    { what: 'KKiaPay webhook', documented: () => requestExample('paymentCallback.kkiapay', 'success'), recorded: () => kkiapayWebhookBody({ transactionId: 'LVFNrK1nx', partnerId: PAYMENT_ID, success: true, amount: 1900 }) },
  ])('$what', ({ documented, recorded }) => {
    expect(recorded()).toBeDefined();
    expect(documented()).toEqual(recorded());
  });
});

/** A sample as the dialect's route hands it over: the body encoded as the provider sends it. */
function raw(contentType: string, value: unknown): RawRequest {
  return { contentType, body: contentType === 'application/json' ? JSON.stringify(value) : new URLSearchParams(value as Record<string, string>).toString() };
}

const httpDialects = ussdDialects.filter((d): d is UssdDialect & { wire: NonNullable<UssdDialect['wire']> } => d.wire !== undefined);

describe('each dialect’s schemas say what the dialect reads', () => {
  const cases = httpDialects.flatMap((dialect) => [
    { name: `${dialect.name} hop`, dialect, body: dialect.wire.hop.request, parse: (r: RawRequest) => dialect.parse(r) },
    ...(dialect.wire.sessionEnd && dialect.parseSessionEnd ? [{ name: `${dialect.name} session end`, dialect, body: dialect.wire.sessionEnd.request, parse: (r: RawRequest) => dialect.parseSessionEnd!(r) }] : []),
  ]);

  it.each(cases)('$name: every sample is accepted', ({ body, parse }) => {
    for (const [name, example] of Object.entries(body.examples)) {
      const parsed = parse(raw(body.contentType, example.value));
      expect(parsed.ok || parsed.kind !== 'reject', `${name}: ${JSON.stringify(parsed)}`).toBe(true);
    }
  });

  it.each(cases)('$name: without any field the schema requires, a sample is refused', ({ body, parse }) => {
    const required = (jsonSchema(body.schema, 'input').required ?? []) as string[];
    expect(required.length).toBeGreaterThan(0);
    for (const field of required) {
      const refused = Object.values(body.examples).some((example) => {
        const { [field]: _dropped, ...without } = example.value as Record<string, unknown>;
        const parsed = parse(raw(body.contentType, without));
        return !parsed.ok && parsed.kind === 'reject';
      });
      expect(refused, `${field} is required by the schema but no sample is refused without it`).toBe(true);
    }
  });

  const screens: Screen[] = [
    { text: 'Service Public\n1. Suivre une demande', end: false },
    { text: 'Merci.', end: true },
  ];

  it.each(httpDialects)('$name: what it answers fits the answer schema', (dialect) => {
    const answer = dialect.wire.hop.answer;
    const first = Object.values(dialect.wire.hop.request.examples)[0]!.value;
    const parsed = dialect.parse(raw(dialect.wire.hop.request.contentType, first));
    const hop: UssdHop | undefined = parsed.ok && 'hop' in parsed ? parsed.hop : undefined;
    const rendered = [...screens.map((screen) => dialect.render(screen, hop)), ...screens.map((screen) => dialect.render(screen))];
    // What the hop URL answers to an end or a notice, for dialects that send those there.
    const ends = Object.values(dialect.wire.hop.request.examples).some((example) => {
      const result = dialect.parse(raw(dialect.wire.hop.request.contentType, example.value));
      return result.ok && !('hop' in result);
    });
    if (ends) rendered.push(dialect.acknowledge?.() ?? { contentType: 'application/json', body: '{}' });
    for (const { contentType, body } of rendered) {
      expect(contentType).toContain(answer.contentType);
      const value = answer.contentType === 'application/json' ? JSON.parse(body) : body;
      const checked = answer.schema.safeParse(value);
      expect(checked.success, `${body}: ${checked.success ? '' : JSON.stringify(checked.error.issues)}`).toBe(true);
    }
    for (const [name, example] of Object.entries(answer.examples)) expect(answer.schema.safeParse(example.value).success, name).toBe(true);
  });

  it('Africa’s Talking’s session-end answer fits its schema', () => {
    const at = httpDialects.find((d) => d.name === 'africastalking')!;
    const ack = at.acknowledge!();
    expect(at.wire.sessionEnd!.answer.schema.safeParse(ack.body).success).toBe(true);
    expect(ack.contentType).toContain(at.wire.sessionEnd!.answer.contentType);
  });
});

describe('each callback sample passes its reader', () => {
  it('Kannel: the documented queries are read by the inbound parser', () => {
    for (const operationId of ['sms.kannel.inboundGet', 'sms.kannel.inboundPost']) {
      const descriptor = byId(operationId);
      for (const [name, example] of Object.entries(descriptor.request?.queryExamples ?? {})) {
        const body = descriptor.request?.body ? new TextEncoder().encode(String(Object.values(descriptor.request.body.examples)[0]!.value)) : new Uint8Array();
        const parsed = parseKannelInbound({
          method: descriptor.method === 'POST' ? 'POST' : 'GET',
          rawQuery: new URLSearchParams(example.value as Record<string, string>).toString(),
          header: (h) => (h === 'content-type' ? 'text/plain; charset="UTF-8"' : undefined),
          body,
        });
        expect(parsed.ok, `${operationId} ${name}: ${JSON.stringify(parsed)}`).toBe(true);
      }
    }
  });

  it.each(['mtn-momo', 'fedapay', 'kkiapay'])('%s: the sample passes the provider’s own checks', async (name) => {
    const provider = gateway.providers.byName(name) as (ReturnType<typeof gateway.providers.all>[number] & CallbackParser) | undefined;
    const doc = provider?.callbackDoc;
    expect(doc).toBeDefined();
    for (const [exampleName, example] of Object.entries(doc!.request.examples)) {
      const rawBody = JSON.stringify(example.value);
      const t = Math.floor(Date.now() / 1000);
      const headers: Record<string, string> = {
        'x-fedapay-signature': `t=${t},s=${await hmacHex(KEYS.fedapayWebhook, `${t}.${rawBody}`)}`,
        'x-kkiapay-secret': KEYS.kkiapayWebhook,
      };
      const verdict = await provider!.parseCallback({ rawBody, header: (h) => headers[h.toLowerCase()] }, Date.now());
      expect(verdict.kind, `${exampleName}: ${JSON.stringify(verdict)}`).not.toBe('rejected');
      expect(verdict.kind === 'ignored' ? null : 'paymentId' in verdict ? verdict.paymentId : null).toBe(PAYMENT_ID);
      expect(doc!.request.schema.safeParse(example.value).success).toBe(true);
    }
  });
});
