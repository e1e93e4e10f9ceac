import { describe, expect, it } from 'vitest';
import { SMSC_ADDRESSING, SMSC_STYLES } from './fixtures.js';
import { parseUssdDeliver, REDELIVERY_WINDOW_MS, renderUssdSubmit, type UssdDeliver } from './ussd.js';

const base: UssdDeliver = { service_type: 'USSD', source_addr: '2290197000001', destination_addr: '123', message: '*123#', ussd_service_op: 1, its_session_info: Uint8Array.from([7, 0]) };

const cases: { name: string; pdu: UssdDeliver; expected: object }[] = [
  {
    name: 'PSSR indication opens with the dialled string',
    pdu: { ...base, sequence_number: 41, bindId: 'b1' },
    expected: { ok: true, hop: { sessionId: '2290197000001:7', msisdn: '+2290197000001', serviceCode: '*123#', isBegin: true, hopId: 'b1:41', resend: { key: '1:0700:*123#', withinMs: REDELIVERY_WINDOW_MS } } },
  },
  { name: 'dialled digits only', pdu: { ...base, message: '' }, expected: { ok: true, hop: { serviceCode: '*123#' } } },
  {
    name: 'USSR confirm continues with the answer',
    pdu: { ...base, message: '2', ussd_service_op: 18, its_session_info: Uint8Array.from([7, 2]), sequence_number: 42, bindId: 'b1' },
    expected: { ok: true, hop: { input: { kind: 'latest', text: '2' }, isBegin: false, hopId: 'b1:42', resend: { key: '18:0702:2' } } },
  },
  { name: 'without its_session_info the number keys the dialogue', pdu: { ...base, its_session_info: undefined }, expected: { ok: true, hop: { sessionId: '2290197000001', resend: { key: '1::*123#' } } } },
  { name: 'end bit on another operation: the citizen left', pdu: { ...base, ussd_service_op: 33, its_session_info: Uint8Array.from([7, 3]) }, expected: { ok: true, ended: { sessionId: '2290197000001:7', reason: 'user_aborted' } } },
  { name: 'vendor operation without end bit: nothing to do', pdu: { ...base, ussd_service_op: 40 }, expected: { ok: true, notice: 'ussd_service_op 40' } },
  { name: 'foreign number', pdu: { ...base, source_addr: '254711000000' }, expected: { ok: false, kind: 'end', reason: 'notBeninNumber' } },
];

describe('USSD over SMPP: deliver_sm mapping', () => {
  it.each(cases)('$name', ({ pdu, expected }) => {
    expect(parseUssdDeliver(pdu)).toMatchObject(expected);
  });

  it('without a bind the PDU number identifies nothing', () => {
    const parsed = parseUssdDeliver({ ...base, sequence_number: 41 });
    expect(parsed.ok && 'hop' in parsed && 'hopId' in parsed.hop).toBe(false);
  });

  it.each(Object.values(SMSC_STYLES))('$name: every hop of the walk has its own resend key, so none looks like a copy of the one before', (style) => {
    const keys = style.walk.map((hop) => {
      const parsed = parseUssdDeliver({ ...base, ...SMSC_ADDRESSING, message: hop.short_message, ussd_service_op: hop.ussd_service_op, its_session_info: Uint8Array.from(hop.its_session_info) });
      if (!parsed.ok || !('hop' in parsed)) throw new Error('expected a hop');
      return parsed.hop.resend!.key;
    });
    expect(new Set(keys).size).toBe(3);
  });

  it.each([
    [{ text: 'Menu', end: false }, { ussd_service_op: 2, data_coding: 0, info: [7, 2] }],
    [{ text: 'Fin', end: true }, { ussd_service_op: 17, data_coding: 0, info: [7, 3] }],
    [{ text: 'Français', end: false }, { ussd_service_op: 2, data_coding: 8, info: [7, 2] }],
  ])('answers %j (SMPP 3.4 sequence policy)', (screen, expected) => {
    const submit = renderUssdSubmit(screen, { source_addr: '2290197000001', destination_addr: '123', its_session_info: '0700' }, 'sequence');
    expect(submit).toMatchObject({ service_type: 'USSD', source_addr: '123', destination_addr: '2290197000001', short_message: screen.text, ussd_service_op: expected.ussd_service_op, data_coding: expected.data_coding });
    expect([...submit.its_session_info!]).toEqual(expected.info);
  });

  it.each([
    [{ text: 'Menu', end: false }],
    [{ text: 'Fin', end: true }],
  ])('echo policy sends its_session_info back unchanged: %j', (screen) => {
    const submit = renderUssdSubmit(screen, { source_addr: '2290197000001', destination_addr: '123', its_session_info: '1234' }, 'echo');
    expect([...submit.its_session_info!]).toEqual([0x12, 0x34]);
  });

  it('answers with the ton/npi the deliver_sm came with, swapped to our side', () => {
    const parsed = parseUssdDeliver({ ...base, ...SMSC_ADDRESSING, source_addr_ton: 1, source_addr_npi: 1, dest_addr_ton: 3, dest_addr_npi: 9 });
    if (!parsed.ok || !('hop' in parsed)) throw new Error('expected a hop');
    expect(renderUssdSubmit({ text: 'Menu', end: false }, parsed.hop.echo!)).toMatchObject({ source_addr: '123', source_addr_ton: 3, source_addr_npi: 9, destination_addr: '2290197000001', dest_addr_ton: 1, dest_addr_npi: 1 });
  });
});
