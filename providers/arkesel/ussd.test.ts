import { describe, expect, it } from 'vitest';
import { arkeselUssd } from './ussd.js';

const cases: { name: string; body: string; expected: object }[] = [
  {
    name: 'new session',
    body: '{"sessionID":"ark-9f2c","userID":"guichet","newSession":true,"msisdn":"2290197000001","userData":"*123*1*PS00373-240001#","network":"MTN"}',
    expected: { ok: true, hop: { sessionId: 'ark-9f2c', msisdn: '+2290197000001', serviceCode: '*123*1*PS00373-240001#', isBegin: true } },
  },
  { name: 'continuing', body: '{"sessionID":"ark-9f2c","userID":"guichet","newSession":false,"msisdn":"2290197000001","userData":"2","network":"MTN"}', expected: { ok: true, hop: { input: { kind: 'latest', text: '2' }, isBegin: false } } },
  { name: 'newSession not a boolean', body: '{"sessionID":"a","newSession":"yes","msisdn":"2290197000001","userData":"1"}', expected: { ok: false, kind: 'reject', status: 400, reason: 'newSession must be a boolean' } },
  { name: 'missing sessionID', body: '{"newSession":false,"msisdn":"2290197000001","userData":"1"}', expected: { ok: false, kind: 'reject', status: 400, reason: 'missing field(s): sessionID' } },
];

describe('Arkesel USSD dialect', () => {
  it.each(cases)('parses: $name', ({ body, expected }) => {
    expect(arkeselUssd.parse({ contentType: 'application/json', body })).toMatchObject(expected);
  });

  it('renders with continueSession', () => {
    const parsed = arkeselUssd.parse({ contentType: 'application/json', body: cases[0]!.body });
    if (!parsed.ok || !('hop' in parsed)) throw new Error('expected a hop');
    expect(JSON.parse(arkeselUssd.render({ text: 'Menu', end: false }, parsed.hop).body)).toEqual({
      sessionID: 'ark-9f2c', userID: 'guichet', msisdn: '2290197000001', message: 'Menu', continueSession: true,
    });
  });
});
