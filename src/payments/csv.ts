/**
 * A small CSV writer for the finance report: RFC 4180 fields (one with a comma, a double quote,
 * CR or LF is quoted, its quotes doubled; records stay LF-separated as the report always was,
 * which spreadsheet and RFC 4180 readers accept) plus OWASP's CSV-injection rule
 * (owasp.org/www-community/attacks/CSV_Injection): a text cell starting with `=`, `+`, `-`, `@`,
 * tab or CR gets a leading `'` and is quoted, so a spreadsheet shows it as text and never runs it.
 *
 * Provider values (transaction ids, references) come from outside; numbers we computed are
 * written as numbers. A maintained package (`csv-stringify` with its `escape_formulas` option)
 * could replace this once the project takes a dependency for it.
 */
export type CsvCell = string | number;

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export function csvCell(value: CsvCell): string {
  if (typeof value === 'number') {
    // Our own integers (counts, XOF totals): a non-finite number is a bug, never a cell.
    if (!Number.isFinite(value)) throw new Error('csv: not a finite number');
    return String(value);
  }
  if (FORMULA_START.test(value)) return `"'${value.replace(/"/g, '""')}"`;
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvRow(cells: readonly CsvCell[]): string {
  return cells.map(csvCell).join(',');
}
