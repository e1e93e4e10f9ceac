import { describe, expect, it } from 'vitest';
import { parseUssdDeliver, renderUssdSubmit, type UssdDeliver } from './ussd.js';

const base: UssdDeliver = { service_type: 'USSD', source_addr: '2290197000001', destination_addr: '123', message: '*123#', ussd_service_op: 1, its_session_info: Uint8Array.from([7, 0]) };

const cases: { name: string; pdu: UssdDeliver; expected: object }[] = [
  { name: 'PSSR indication opens with the dialled string', pdu: base, expected: { ok: true, hop: { sessionId: '2290197000001:7', msisdn: '+2290197000001', serviceCode: '*123#', isBegin: true, hopId: '0700' } } },
  { name: 'dialled digits only', pdu: { ...base, message: '' }, expected: { ok: true, hop: { serviceCode: '*123#' } } },
  { name: 'USSR confirm continues with the answer', pdu: { ...base, message: '2', ussd_service_op: 18, its_session_info: Uint8Array.from([7, 2]) }, expected: { ok: true, hop: { input: { kind: 'latest', text: '2' }, isBegin: false, hopId: '0702' } } },
  { name: 'without its_session_info the number keys the dialogue', pdu: { ...base, its_session_info: undefined }, expected: { ok: true, hop: { sessionId: '2290197000001' } } },
  { name: 'end bit on another operation: the citizen left', pdu: { ...base, ussd_service_op: 33, its_session_info: Uint8Array.from([7, 3]) }, expected: { ok: true, ended: { sessionId: '2290197000001:7', reason: 'user_aborted' } } },
  { name: 'vendor operation without end bit: nothing to do', pdu: { ...base, ussd_service_op: 40 }, expected: { ok: true, notice: 'ussd_service_op 40' } },
  { name: 'foreign number', pdu: { ...base, source_addr: '254711000000' }, expected: { ok: false, kind: 'end', reason: 'notBeninNumber' } },
];

describe('USSD over SMPP: deliver_sm mapping', () => {
  it.each(cases)('$name', ({ pdu, expected }) => {
    expect(parseUssdDeliver(pdu)).toMatchObject(expected);
  });

  it.each([
    [{ text: 'Menu', end: false }, { ussd_service_op: 2, data_coding: 0, info: [7, 2] }],
    [{ text: 'Fin', end: true }, { ussd_service_op: 17, data_coding: 0, info: [7, 3] }],
    [{ text: 'Français', end: false }, { ussd_service_op: 2, data_coding: 8, info: [7, 2] }],
  ])('answers %j', (screen, expected) => {
    const submit = renderUssdSubmit(screen, { source_addr: '2290197000001', destination_addr: '123', its_session_info: '0700' });
    expect(submit).toMatchObject({ service_type: 'USSD', source_addr: '123', destination_addr: '2290197000001', short_message: screen.text, ussd_service_op: expected.ussd_service_op, data_coding: expected.data_coding });
    expect([...submit.its_session_info!]).toEqual(expected.info);
  });
});
