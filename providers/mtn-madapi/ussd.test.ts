import { describe, expect, it } from 'vitest';
import { mtnMadapiUssd } from './ussd.js';

const cases: { name: string; body: string; expected: object }[] = [
  {
    name: 'begin',
    body: '{"sessionId":"8a7b-55","messageType":"0","msisdn":"2290197000001","serviceCode":"123","ussdString":"*123#","cellId":"61602-0042","language":"fr","imsi":"616020000000001"}',
    expected: { ok: true, hop: { sessionId: '8a7b-55', msisdn: '+2290197000001', serviceCode: '*123#', isBegin: true } },
  },
  { name: 'begin with numeric messageType', body: '{"sessionId":"x","messageType":0,"msisdn":"2290197000001","serviceCode":"123","ussdString":"*123*2#"}', expected: { ok: true, hop: { serviceCode: '*123*2#' } } },
  { name: 'continue', body: '{"sessionId":"x","messageType":"1","msisdn":"2290197000001","serviceCode":"123","ussdString":"4"}', expected: { ok: true, hop: { input: { kind: 'latest', text: '4' }, isBegin: false } } },
  { name: 'end', body: '{"sessionId":"x","messageType":"2","msisdn":"2290197000001"}', expected: { ok: true, ended: { sessionId: 'x', reason: 'user_aborted' } } },
  { name: 'notification', body: '{"sessionId":"x","messageType":"3","msisdn":"2290197000001"}', expected: { ok: true, notice: 'notification' } },
  { name: 'cancel', body: '{"sessionId":"x","messageType":"4"}', expected: { ok: true, ended: { sessionId: 'x', reason: 'user_aborted' } } },
  { name: 'timeout', body: '{"sessionId":"x","messageType":"5"}', expected: { ok: true, ended: { sessionId: 'x', reason: 'network_timeout' } } },
  { name: 'unknown messageType', body: '{"sessionId":"x","messageType":"9"}', expected: { ok: false, kind: 'reject', status: 400, reason: 'unknown messageType "9"' } },
];

describe('MTN MADAPI USSD dialect', () => {
  it.each(cases)('parses: $name', ({ body, expected }) => {
    expect(mtnMadapiUssd.parse({ contentType: 'application/json', body })).toMatchObject(expected);
  });

  it('renders the session echoed, 2 to close', () => {
    const parsed = mtnMadapiUssd.parse({ contentType: 'application/json', body: cases[0]!.body });
    if (!parsed.ok || !('hop' in parsed)) throw new Error('expected a hop');
    expect(JSON.parse(mtnMadapiUssd.render({ text: 'Fin', end: true }, parsed.hop).body)).toEqual({
      sessionId: '8a7b-55', messageType: '2', msisdn: '2290197000001', serviceCode: '123', ussdString: 'Fin', inboundResponse: 'Fin', userInputRequired: false,
    });
  });
});
