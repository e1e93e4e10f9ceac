import { describe, expect, it } from 'vitest';
import { INBOUND_REQUEST_EXAMPLE, INBOUND_REQUESTS, INBOUND_RESPONSE_EXAMPLE } from './fixtures.js';
import { mtnMadapiUssd } from './ussd.js';

const body = (value: unknown) => JSON.stringify(value);

const cases: { name: string; body: string; expected: object }[] = [
  { name: 'the swagger example as given (a number outside Benin)', body: body(INBOUND_REQUEST_EXAMPLE), expected: { ok: false, kind: 'end', reason: 'notBeninNumber' } },
  { name: 'begin', body: body(INBOUND_REQUESTS.begin.body), expected: { ok: true, hop: { sessionId: '01235', msisdn: '+2290197000001', serviceCode: '*123#', isBegin: true } } },
  { name: 'begin with an integer messageType', body: body(INBOUND_REQUESTS.beginNumericType.body), expected: { ok: true, hop: { serviceCode: '*123*2#', isBegin: true } } },
  { name: 'continue', body: body(INBOUND_REQUESTS.continue.body), expected: { ok: true, hop: { input: { kind: 'latest', text: '1' }, isBegin: false } } },
  { name: 'continue with an integer messageType', body: body({ ...INBOUND_REQUESTS.continue.body, messageType: 1 }), expected: { ok: true, hop: { isBegin: false } } },
  { name: 'end', body: body({ ...INBOUND_REQUESTS.continue.body, messageType: '2' }), expected: { ok: true, ended: { sessionId: '01235', reason: 'user_aborted' } } },
  { name: 'notification', body: body({ ...INBOUND_REQUESTS.continue.body, messageType: 3 }), expected: { ok: true, notice: 'notification' } },
  { name: 'cancel (abort, with its reason)', body: body(INBOUND_REQUESTS.cancel.body), expected: { ok: true, ended: { sessionId: '01235', reason: 'user_aborted' } } },
  { name: 'timeout', body: body(INBOUND_REQUESTS.timeout.body), expected: { ok: true, ended: { sessionId: '01235', reason: 'network_timeout' } } },
  { name: 'unknown messageType', body: '{"sessionId":"x","messageType":"9"}', expected: { ok: false, kind: 'reject', status: 400, reason: 'unknown messageType "9"' } },
  { name: 'messageType naming an Object member', body: '{"sessionId":"x","messageType":"constructor"}', expected: { ok: false, kind: 'reject', status: 400 } },
];

describe('MTN MADAPI USSD dialect', () => {
  it.each(cases)('parses: $name', ({ body, expected }) => {
    expect(mtnMadapiUssd.parse({ contentType: 'application/json', body })).toMatchObject(expected);
  });

  it.each([
    [{ text: 'Menu', end: false }, { userInputRequired: true, messageType: 1 }],
    [{ text: 'Fin', end: true }, { userInputRequired: false, messageType: 2 }],
  ])('answers %j in the InboundResponse envelope', (screen, expected) => {
    const parsed = mtnMadapiUssd.parse({ contentType: 'application/json', body: body(INBOUND_REQUESTS.begin.body) });
    if (!parsed.ok || !('hop' in parsed)) throw new Error('expected a hop');
    const answer = JSON.parse(mtnMadapiUssd.render(screen, parsed.hop).body) as typeof INBOUND_RESPONSE_EXAMPLE;
    expect(answer).toEqual({
      statusCode: '0000',
      statusMessage: '',
      transactionId: '01235',
      data: { inboundResponse: screen.text, ...expected, serviceCode: '123', msisdn: '2290197000001' },
      _link: { self: { href: '/v1/messages/ussd/inbound' } },
    });
    // The same keys and value types as the swagger's example, no more, no fewer.
    expect(Object.keys(answer).sort()).toEqual(Object.keys(INBOUND_RESPONSE_EXAMPLE).sort());
    expect(Object.keys(answer.data).sort()).toEqual(Object.keys(INBOUND_RESPONSE_EXAMPLE.data).sort());
    expect(typeof answer.data.messageType).toBe(typeof INBOUND_RESPONSE_EXAMPLE.data.messageType);
  });
});
