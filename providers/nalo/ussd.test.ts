import { describe, expect, it } from 'vitest';
import { naloUssd } from './ussd.js';

const cases: { name: string; body: string; expected: object }[] = [
  {
    name: 'new session: USERDATA is the dialled string',
    body: '{"USERID":"NALOTest_USSD","MSISDN":"2290197000001","USERDATA":"*123#","MSGTYPE":true,"NETWORK":"MTN"}',
    expected: { ok: true, hop: { sessionId: 'tel:+2290197000001', msisdn: '+2290197000001', serviceCode: '*123#', input: { kind: 'latest', text: '' }, isBegin: true, echo: { USERID: 'NALOTest_USSD', MSISDN: '2290197000001' } } },
  },
  {
    name: 'continuing: USERDATA is the latest input',
    body: '{"USERID":"NALOTest_USSD","MSISDN":"2290197000001","USERDATA":"1","MSGTYPE":false,"NETWORK":"MTN","SESSIONID":"n-42"}',
    expected: { ok: true, hop: { sessionId: 'id:n-42', input: { kind: 'latest', text: '1' }, isBegin: false } },
  },
  // A SESSIONID equal to a number cannot name that number's phone-keyed session: the kinds of key live apart.
  {
    name: 'a SESSIONID that spells a phone number stays a SESSIONID key',
    body: '{"USERID":"u","MSISDN":"2290197000002","USERDATA":"1","MSGTYPE":false,"SESSIONID":"tel:+2290197000001"}',
    expected: { ok: true, hop: { sessionId: 'id:tel:+2290197000001', msisdn: '+2290197000002' } },
  },
  { name: 'the number in any form keys one handset', body: '{"USERID":"u","MSISDN":"0197000001","USERDATA":"*123#","MSGTYPE":true}', expected: { ok: true, hop: { sessionId: 'tel:+2290197000001' } } },
  { name: 'MSGTYPE as text', body: '{"USERID":"u","MSISDN":"2290197000001","USERDATA":"*123#","MSGTYPE":"true"}', expected: { ok: true, hop: { isBegin: true } } },
  { name: 'MSGTYPE missing', body: '{"USERID":"u","MSISDN":"2290197000001","USERDATA":"1"}', expected: { ok: false, kind: 'reject', status: 400 } },
  { name: 'opening without a dialled string', body: '{"USERID":"u","MSISDN":"2290197000001","USERDATA":"hello","MSGTYPE":true}', expected: { ok: false, kind: 'reject', status: 400, reason: 'missing field(s): USERDATA (dialled string)' } },
];

describe('Nalo USSD dialect', () => {
  it.each(cases)('parses: $name', ({ body, expected }) => {
    expect(naloUssd.parse({ contentType: 'application/json', body })).toMatchObject(expected);
  });

  it('renders with the request echoed, MSGTYPE false to close', () => {
    const parsed = naloUssd.parse({ contentType: 'application/json', body: '{"USERID":"u1","MSISDN":"2290197000001","USERDATA":"*123#","MSGTYPE":true}' });
    if (!parsed.ok || !('hop' in parsed)) throw new Error('expected a hop');
    expect(JSON.parse(naloUssd.render({ text: 'Au revoir', end: true }, parsed.hop).body)).toEqual({ USERID: 'u1', MSISDN: '2290197000001', MSG: 'Au revoir', MSGTYPE: false });
    expect(JSON.parse(naloUssd.render({ text: 'Menu', end: false }, parsed.hop).body).MSGTYPE).toBe(true);
  });
});
