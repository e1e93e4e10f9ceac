import { describe, expect, it } from 'vitest';
import { normalizeMsisdn, operatorOf } from '../../src/lib/msisdn.js';

describe('normalizeMsisdn', () => {
  const accepted: [string, string, string | null][] = [
    ['+2290197000001', '+2290197000001', 'MTN'],
    ['2290197000001', '+2290197000001', 'MTN'],
    ['002290197000001', '+2290197000001', 'MTN'],
    ['0197000001', '+2290197000001', 'MTN'],
    [' 2290197000001', '+2290197000001', 'MTN'], // an unencoded + decoded as a space
    ['+229 01 97 00 00 01', '+2290197000001', 'MTN'],
    ['97000001', '+2290197000001', 'MTN'], // pre-2024 8-digit form
    ['22997000001', '+2290197000001', 'MTN'],
    ['+22966000002', '+2290166000002', 'MTN'],
    ['0164000000', '+2290164000000', 'MOOV'],
    ['95123456', '+2290195123456', 'MOOV'],
    ['0141000000', '+2290141000000', 'CELTIIS'],
    ['40123456', '+2290140123456', 'CELTIIS'],
  ];
  it.each(accepted)('%s → %s (%s)', (raw, e164, operator) => {
    expect(normalizeMsisdn(raw)).toEqual({ ok: true, e164, operator });
  });

  const refused = ['', '12345', '+254711000000', '+33612345678', '01970000011', '019700000', 'abc', '+229abcdefgh', '9'.repeat(40)];
  it.each(refused)('refuses %j', (raw) => {
    expect(normalizeMsisdn(raw).ok).toBe(false);
  });

  it('knows no operator for fixed lines', () => {
    expect(operatorOf('+2290120212345')).toBeNull();
  });
});
