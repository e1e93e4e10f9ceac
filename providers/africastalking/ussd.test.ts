import { describe, expect, it } from 'vitest';
import { africasTalkingUssd } from './ussd.js';

const FORM = 'application/x-www-form-urlencoded';

/** Raw bodies as Africa's Talking posts them, and what the adapter must make of them. */
const incomingCases: { name: string; contentType?: string; body: string; expected: unknown }[] = [
  {
    name: 'first hop',
    body: 'sessionId=ATUid_7c1a3b9e0f&serviceCode=%2A123%23&phoneNumber=%2B2290197000001&networkCode=61602&text=',
    expected: { ok: true, hop: { sessionId: 'ATUid_7c1a3b9e0f', msisdn: '+2290197000001', serviceCode: '*123#', input: { kind: 'cumulative', text: '' }, isBegin: true, network: '61602' } },
  },
  {
    name: 'later hop carries the whole history',
    body: 'sessionId=ATUid_7c1a3b9e0f&serviceCode=%2A123%23&phoneNumber=%2B2290197000001&networkCode=61602&text=1%2APS00373-240001',
    expected: { ok: true, hop: { input: { kind: 'cumulative', text: '1*PS00373-240001' }, isBegin: false } },
  },
  {
    name: 'unencoded + in phoneNumber arrives as a space',
    body: 'sessionId=s&serviceCode=*123%23&phoneNumber=+2290197000001&text=',
    expected: { ok: true, hop: { msisdn: '+2290197000001' } },
  },
  {
    name: 'pre-2024 8-digit number gets its 01',
    body: 'sessionId=s&serviceCode=*123%23&phoneNumber=%2B22997000001&text=',
    expected: { ok: true, hop: { msisdn: '+2290197000001' } },
  },
  {
    name: 'charset parameter on the content type',
    contentType: `${FORM}; charset=UTF-8`,
    body: 'sessionId=s&serviceCode=*123%23&phoneNumber=0197000001&text=2',
    expected: { ok: true, hop: { input: { kind: 'cumulative', text: '2' } } },
  },
  { name: 'missing sessionId', body: 'serviceCode=*123%23&phoneNumber=0197000001&text=', expected: { ok: false, kind: 'reject', status: 400, reason: 'missing field(s): sessionId' } },
  { name: 'missing everything', body: '', expected: { ok: false, kind: 'reject', status: 400, reason: 'missing field(s): sessionId, serviceCode, phoneNumber' } },
  { name: 'JSON instead of a form', contentType: 'application/json', body: '{"sessionId":"s"}', expected: { ok: false, kind: 'reject', status: 415 } },
  { name: 'escaped invalid UTF-8', body: 'sessionId=s&serviceCode=*123%23&phoneNumber=0197000001&text=%FF%FE', expected: { ok: false, kind: 'reject', status: 400, reason: 'fields are not valid UTF-8' } },
  { name: 'text over 1 KiB', body: `sessionId=s&serviceCode=*123%23&phoneNumber=0197000001&text=${'1*'.repeat(600)}`, expected: { ok: false, kind: 'end', reason: 'inputTooLong' } },
  { name: 'foreign number', body: 'sessionId=s&serviceCode=*123%23&phoneNumber=%2B254711082000&text=', expected: { ok: false, kind: 'end', reason: 'notBeninNumber' } },
  { name: 'oversized sessionId', body: `sessionId=${'x'.repeat(200)}&serviceCode=*123%23&phoneNumber=0197000001&text=`, expected: { ok: false, kind: 'reject', status: 400 } },
];

describe("Africa's Talking USSD dialect", () => {
  it.each(incomingCases)('parses: $name', ({ contentType, body, expected }) => {
    expect(africasTalkingUssd.parse({ contentType: contentType ?? FORM, body })).toMatchObject(expected as object);
  });

  it.each([
    [{ text: 'Menu\n1.Suivre', end: false }, 'CON Menu\n1.Suivre'],
    [{ text: 'Au revoir', end: true }, 'END Au revoir'],
  ])('renders %j', (screen, body) => {
    expect(africasTalkingUssd.render(screen)).toEqual({ contentType: 'text/plain; charset=utf-8', body });
  });
});
