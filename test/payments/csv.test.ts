import { describe, expect, it } from 'vitest';
import { csvCell, csvRow } from '../../src/payments/csv.js';
import { readCsv } from '../../testkit/read-csv.js';

describe('CSV cells (RFC 4180 + the OWASP formula rule)', () => {
  it.each<[string, string]>([
    ['TX-123', 'TX-123'],
    ['', ''],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['line\nbreak', '"line\nbreak"'],
    ['cr\rhere', '"cr\rhere"'],
    ['=HYPERLINK("http://evil","x")', `"'=HYPERLINK(""http://evil"",""x"")"`],
    ['+33612345678', `"'+33612345678"`],
    ['-2+3', `"'-2+3"`],
    ['@SUM(A1:A9)', `"'@SUM(A1:A9)"`],
    ['\t=1', `"'\t=1"`],
    ['\r=1', `"'\r=1"`],
  ])('%j is written %j', (value, written) => {
    expect(csvCell(value)).toBe(written);
    const back = readCsv(`${written}\n`)[0]?.[0] ?? '';
    // Read back: the same text, behind a quote mark when it could have started a formula.
    expect(back).toBe(/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);
  });

  it('writes our numbers as numbers and refuses a non-finite one', () => {
    expect(csvRow(['2026-11-23', 'mtn-momo', 3, 5700])).toBe('2026-11-23,mtn-momo,3,5700');
    expect(() => csvCell(Number.NaN)).toThrow(/finite/);
  });
});
