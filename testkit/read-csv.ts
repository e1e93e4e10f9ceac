/** An RFC 4180 reader, to prove what a spreadsheet would read back from a row we wrote. */
export function readCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') record.push(cell), (cell = '');
    else if (ch === '\n') record.push(cell), records.push(record), (record = []), (cell = '');
    else cell += ch;
  }
  // A last record without its newline.
  if (cell !== '' || record.length > 0) record.push(cell), records.push(record);
  return records;
}
