import { describe, expect, it } from 'vitest';
import { HUBTEL_REQUESTS, withBeninMobile } from './fixtures.js';
import { hubtelUssd } from './ussd.js';

const J = 'application/json';
const cases: { name: string; body: string; contentType?: string; expected: object }[] = [
  {
    name: 'initiation with the dialled string',
    body: '{"Type":"Initiation","Mobile":"2290197000001","SessionId":"3c796dac28174f739de4262d08409c51","ServiceCode":"123","Message":"*123*1#","Operator":"mtn","Sequence":1,"ClientState":"","Platform":"USSD"}',
    expected: { ok: true, hop: { sessionId: '3c796dac28174f739de4262d08409c51', msisdn: '+2290197000001', serviceCode: '*123*1#', input: { kind: 'latest', text: '' }, isBegin: true, hopId: '1', network: 'mtn' } },
  },
  {
    name: 'initiation with only the code digits',
    body: '{"Type":"Initiation","Mobile":"2290197000001","SessionId":"s","ServiceCode":"123","Message":"","Sequence":1}',
    expected: { ok: true, hop: { serviceCode: '*123#' } },
  },
  {
    name: 'response carries the latest input only',
    body: '{"Type":"Response","Mobile":"2290197000001","SessionId":"s","ServiceCode":"123","Message":"PS00373-240001","Operator":"mtn","Sequence":3,"ClientState":"","Platform":"USSD"}',
    expected: { ok: true, hop: { input: { kind: 'latest', text: 'PS00373-240001' }, isBegin: false, hopId: '3' } },
  },
  { name: 'release', body: '{"Type":"Release","Mobile":"2290197000001","SessionId":"s","Sequence":4}', expected: { ok: true, ended: { sessionId: 's', reason: 'user_aborted' } } },
  { name: 'timeout', body: '{"Type":"Timeout","Mobile":"2290197000001","SessionId":"s","Sequence":4}', expected: { ok: true, ended: { sessionId: 's', reason: 'app_timeout' } } },
  { name: 'unknown type', body: '{"Type":"Ping","SessionId":"s"}', expected: { ok: false, kind: 'reject', status: 400, reason: 'unknown Type "Ping"' } },
  { name: 'not JSON', body: 'Type=Initiation', expected: { ok: false, kind: 'reject', status: 400, reason: 'body is not valid JSON' } },
  { name: 'a JSON array', body: '[1]', expected: { ok: false, kind: 'reject', status: 400 } },
  { name: 'form content type', body: '{}', contentType: 'application/x-www-form-urlencoded', expected: { ok: false, kind: 'reject', status: 415 } },
  { name: 'missing Mobile', body: '{"Type":"Response","SessionId":"s","Message":"1","Sequence":2}', expected: { ok: false, kind: 'reject', status: 400, reason: 'missing field(s): Mobile' } },
  { name: 'constructor is no Type', body: '{"Type":"constructor","SessionId":"s"}', expected: { ok: false, kind: 'reject', status: 400, reason: 'unknown Type "constructor"' } },
  { name: 'Ghana number', body: '{"Type":"Initiation","Mobile":"233244000000","SessionId":"s","ServiceCode":"123","Message":"*123#","Sequence":1}', expected: { ok: false, kind: 'end', reason: 'notBeninNumber' } },
];

/** The published samples (fixtures.ts), replayed as sent: Hubtel's lowercase `Type` and its mixed-case neighbours. */
const samples: { name: string; body: Record<string, unknown>; expected: object }[] = [
  { name: `${HUBTEL_REQUESTS.sdkInitiation.name}, as published (a Ghanaian number)`, body: HUBTEL_REQUESTS.sdkInitiation.body, expected: { ok: false, kind: 'end', reason: 'notBeninNumber' } },
  {
    name: `${HUBTEL_REQUESTS.sdkInitiation.name}, Benin caller`,
    body: withBeninMobile(HUBTEL_REQUESTS.sdkInitiation),
    expected: { ok: true, hop: { sessionId: '234567ityjhgwe654765utrye', serviceCode: '*711*23#', isBegin: true, network: 'mtn' } },
  },
  // The Hubtel App sends a service id, not a dialled code: nothing a USSD menu can open on.
  { name: HUBTEL_REQUESTS.appInitiation.name, body: withBeninMobile(HUBTEL_REQUESTS.appInitiation), expected: { ok: false, kind: 'reject', status: 400, reason: 'missing field(s): ServiceCode' } },
  { name: HUBTEL_REQUESTS.response.name, body: withBeninMobile(HUBTEL_REQUESTS.response), expected: { ok: true, hop: { input: { kind: 'latest', text: '1' }, isBegin: false, hopId: '2' } } },
  { name: HUBTEL_REQUESTS.release.name, body: HUBTEL_REQUESTS.release.body, expected: { ok: true, ended: { sessionId: '234567ityjhgwe654765utrye', reason: 'user_aborted' } } },
  { name: HUBTEL_REQUESTS.timeout.name, body: HUBTEL_REQUESTS.timeout.body, expected: { ok: true, ended: { sessionId: '234567ityjhgwe654765utrye', reason: 'app_timeout' } } },
  ...(['INITIATION', 'Initiation', 'iNiTiAtIoN'] as const).map((type) => ({
    name: `Type ${type}`,
    body: { ...withBeninMobile(HUBTEL_REQUESTS.sdkInitiation), Type: type },
    expected: { ok: true, hop: { isBegin: true } },
  })),
  ...(['RELEASE', 'Release', 'TimeOut'] as const).map((type) => ({ name: `Type ${type}`, body: { ...HUBTEL_REQUESTS.release.body, Type: type }, expected: { ok: true, ended: {} } })),
];

describe('Hubtel published samples', () => {
  it.each(samples)('parses: $name', ({ body, expected }) => {
    expect(hubtelUssd.parse({ contentType: J, body: JSON.stringify(body) })).toMatchObject(expected);
  });
});

describe('Hubtel-style USSD dialect', () => {
  it.each(cases)('parses: $name', ({ body, contentType, expected }) => {
    expect(hubtelUssd.parse({ contentType: contentType ?? J, body })).toMatchObject(expected);
  });

  it.each([
    [{ text: 'Menu\n1.Suivre', end: false }, { Type: 'Response', Message: 'Menu\n1.Suivre', ClientState: '', Label: 'Menu', DataType: 'input', FieldType: 'text' }],
    [{ text: 'Au revoir', end: true }, { Type: 'Release', Message: 'Au revoir', ClientState: '', Label: 'Au revoir', DataType: 'display', FieldType: 'text' }],
  ])('renders %j', (screen, expected) => {
    const rendered = hubtelUssd.render(screen);
    expect(rendered.contentType).toBe('application/json');
    expect(JSON.parse(rendered.body)).toEqual(expected);
  });
});
