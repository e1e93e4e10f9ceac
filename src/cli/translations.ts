import { isMap, isScalar, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import { budgetOf, catalogOf, translationState, type TranslationState } from '../engine/catalog.js';
import { REVIEW_STATES, type Language, type ReviewState } from '../engine/languages.js';
import { parseMenu } from '../engine/menu-parse.js';

/**
 * The translator workflow: `guichet menus export --lang fon` writes every translatable string of
 * the menus as CSV or gettext PO (French source, context, length budget, review state);
 * `guichet menus import FILE` writes the translations and states back into the menu YAML.
 *
 * Import edits the YAML text in place (the scalar that changed, or one new `key: value` pair),
 * never re-serialises the document: comments, quoting and flow maps the agency wrote stay as they
 * are, and a file with nothing edited is not touched at all, so export → import → export gives the
 * same bytes.
 */

export type CatalogFormat = 'csv' | 'po';

/** One menu file as read: its name in the export's contexts, and its text. */
export interface MenuSource {
  name: string;
  text: string;
}

export interface CatalogRow {
  /** `<file>#<path>`, e.g. `service-public.yaml#nodes/track.ask/text`. */
  context: string;
  state: TranslationState;
  source: string;
  translation: string;
  budget?: { gsm7: number; ucs2: number };
}

export class CatalogError extends Error {}

/** Every translatable string of the menus, in file then menu order. */
export function catalogRows(menus: readonly MenuSource[], language: Language, screenLimit = 160): CatalogRow[] {
  const rows: CatalogRow[] = [];
  for (const source of menus) {
    const menu = parseMenu(source.text, source.name);
    for (const entry of catalogOf(menu)) {
      const budget = budgetOf(menu, entry, language, screenLimit);
      rows.push({
        context: `${source.name}#${entry.key}`,
        state: translationState(entry.text, language),
        source: entry.text.fr,
        translation: entry.text[language] ?? '',
        ...(budget ? { budget } : {}),
      });
    }
  }
  return rows;
}

// --- CSV (RFC 4180, UTF-8 with a byte-order mark so spreadsheets read ɛ and ɔ right) --------------

const BOM = '\ufeff';
const CSV_COLUMNS = ['context', 'state', 'max_gsm7', 'max_ucs2', 'fr'] as const;

function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function toCsv(rows: readonly CatalogRow[], language: Language): string {
  const lines = [[...CSV_COLUMNS, language].join(',')];
  for (const row of rows) {
    lines.push([row.context, row.state, String(row.budget?.gsm7 ?? ''), String(row.budget?.ucs2 ?? ''), row.source, row.translation].map(csvField).join(','));
  }
  return BOM + lines.join('\r\n') + '\r\n';
}

function parseCsvRecords(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const body = text.startsWith(BOM) ? text.slice(1) : text;
  while (i < body.length) {
    const ch = body[i]!;
    if (quoted) {
      if (ch === '"' && body[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (ch === '"') quoted = false;
      else field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && body[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += ch;
    i++;
  }
  if (quoted) throw new CatalogError('CSV: a quoted field is not closed');
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records.filter((r) => !(r.length === 1 && r[0] === ''));
}

export function fromCsv(text: string): { language: string; rows: CatalogRow[] } {
  const [header, ...records] = parseCsvRecords(text);
  if (!header || CSV_COLUMNS.some((column, i) => header[i] !== column) || header.length !== CSV_COLUMNS.length + 1) {
    throw new CatalogError(`CSV: the first line must be ${CSV_COLUMNS.join(',')},<language> (as guichet menus export writes it)`);
  }
  const rows = records.map((record, i) => {
    if (record.length !== header.length) throw new CatalogError(`CSV line ${i + 2}: ${record.length} fields, ${header.length} expected`);
    const [context, state, , , source, translation] = record as [string, string, string, string, string, string];
    return { context, state: state as TranslationState, source, translation };
  });
  return { language: header[CSV_COLUMNS.length]!, rows };
}

// --- gettext PO ----------------------------------------------------------------------------------

function poString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t')}"`;
}

/**
 * PO as Poedit, Weblate and `msgmerge` read it: `msgctxt` carries the context, a draft is
 * `#, fuzzy` (gettext's own "needs review"), the budget is an extracted comment.
 */
export function toPo(rows: readonly CatalogRow[], language: Language): string {
  const out = [
    `# Guichet menus: ${language} translations of the French texts. Written by guichet menus export;`,
    '# read back by guichet menus import. "fuzzy" marks a draft; remove it once a native speaker reviewed.',
    'msgid ""',
    'msgstr ""',
    '"Content-Type: text/plain; charset=UTF-8\\n"',
    `"Language: ${language}\\n"`,
    '',
  ];
  for (const row of rows) {
    if (row.budget) out.push(`#. max ${row.budget.gsm7} GSM-7 characters, ${row.budget.ucs2} with letters outside GSM-7 (UCS-2)`);
    out.push(`#: ${row.context}`);
    if (row.state === 'draft') out.push('#, fuzzy');
    out.push(`msgctxt ${poString(row.context)}`, `msgid ${poString(row.source)}`, `msgstr ${poString(row.translation)}`, '');
  }
  return out.join('\n');
}

function unquotePo(literal: string, line: number): string {
  const match = /^"((?:[^"\\]|\\.)*)"$/.exec(literal.trim());
  if (!match) throw new CatalogError(`PO line ${line}: not a quoted string`);
  return match[1]!.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
}

export function fromPo(text: string): { language: string | undefined; rows: CatalogRow[] } {
  const rows: CatalogRow[] = [];
  let language: string | undefined;
  type Field = 'msgctxt' | 'msgid' | 'msgstr';
  let entry: { flags: string[]; msgctxt?: string; msgid?: string; msgstr?: string } = { flags: [] };
  let current: Field | undefined;
  const flush = () => {
    if (entry.msgid === undefined) return;
    if (entry.msgid === '' && entry.msgctxt === undefined) {
      language = /(?:^|\n)Language: *([^\n]*)/.exec(entry.msgstr ?? '')?.[1]?.trim();
    } else {
      if (entry.msgctxt === undefined) throw new CatalogError(`PO: the entry "${entry.msgid}" has no msgctxt (the context names the string)`);
      const translation = entry.msgstr ?? '';
      rows.push({ context: entry.msgctxt, state: translation === '' ? 'missing' : entry.flags.includes('fuzzy') ? 'draft' : 'reviewed', source: entry.msgid, translation });
    }
    entry = { flags: [] };
    current = undefined;
  };
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    const number = index + 1;
    if (line === '') return flush();
    if (line.startsWith('#,')) {
      if (entry.msgid !== undefined) flush();
      entry.flags.push(...line.slice(2).split(',').map((f) => f.trim()));
      return;
    }
    if (line.startsWith('#')) {
      if (entry.msgid !== undefined) flush();
      return;
    }
    const keyword = /^(msgctxt|msgid|msgstr)\s+(.*)$/.exec(line);
    if (keyword) {
      const field = keyword[1] as Field;
      if (field === 'msgctxt' && entry.msgid !== undefined) flush();
      current = field;
      entry[field] = unquotePo(keyword[2]!, number);
      return;
    }
    if (line.startsWith('"') && current) {
      entry[current] = (entry[current] ?? '') + unquotePo(line, number);
      return;
    }
    throw new CatalogError(`PO line ${number}: "${line.slice(0, 40)}" is not a PO line this tool reads (msgctxt, msgid, msgstr, comments)`);
  });
  flush();
  return { language, rows };
}

// --- Import into the YAML ------------------------------------------------------------------------

export interface ImportReport {
  /** Menu file name → its new text, only for files that changed. */
  changed: Map<string, string>;
  /** Strings whose translation or state changed. */
  updated: number;
  /** Rows left as they were: nothing new, or no translation (an empty cell never deletes one). */
  unchanged: number;
}

interface Splice {
  at: number;
  end: number;
  text: string;
}

/**
 * Applies catalog rows to the menu files. Refuses the whole import (nothing written) on a row
 * whose context names no string, whose French source no longer matches (the French changed
 * since the export: translate the new text), or whose state is not draft/reviewed.
 */
export function importRows(menus: readonly MenuSource[], language: Language, rows: readonly CatalogRow[]): ImportReport {
  if (language === 'fr') throw new CatalogError('French is the source language: edit it in the YAML');
  const byFile = new Map<string, CatalogRow[]>();
  for (const row of rows) {
    const file = row.context.slice(0, row.context.indexOf('#'));
    if (!row.context.includes('#') || !menus.some((m) => m.name === file)) throw new CatalogError(`${row.context}: no such menu file`);
    byFile.set(file, [...(byFile.get(file) ?? []), row]);
  }
  const report: ImportReport = { changed: new Map(), updated: 0, unchanged: 0 };
  for (const source of menus) {
    const fileRows = byFile.get(source.name);
    if (!fileRows) continue;
    const menu = parseMenu(source.text, source.name);
    const entries = new Map(catalogOf(menu).map((entry) => [entry.key, entry]));
    const doc = parseDocument(source.text, { keepSourceTokens: false });
    const splices: Splice[] = [];
    for (const row of fileRows) {
      const key = row.context.slice(source.name.length + 1);
      const entry = entries.get(key);
      if (!entry) throw new CatalogError(`${row.context}: no translatable text there (a plain-string text is the same in every language)`);
      if (row.source !== entry.text.fr) throw new CatalogError(`${row.context}: the French text changed since the export ("${entry.text.fr}"): export again and translate it`);
      if (row.translation === '') {
        report.unchanged++;
        continue;
      }
      const state: ReviewState = row.state === 'missing' ? 'draft' : row.state;
      if (!(REVIEW_STATES as readonly string[]).includes(state)) throw new CatalogError(`${row.context}: state "${row.state}" (draft or reviewed)`);
      const node = doc.getIn(entry.path, true) as Node | undefined;
      if (!isMap(node)) throw new CatalogError(`${row.context}: not a map in the YAML`);
      const before = splices.length;
      splices.push(...textSplices(source.text, node, language, row.translation, state));
      if (splices.length > before) report.updated++;
      else report.unchanged++;
    }
    if (splices.length === 0) continue;
    let text = source.text;
    // From the end, so earlier offsets stay right; at one offset, the later edit first, so the
    // text keeps the order they were made in (the translation, then its review mark).
    const ordered = splices.map((splice, index) => ({ splice, index })).sort((a, b) => b.splice.at - a.splice.at || b.index - a.index);
    for (const { splice } of ordered) text = text.slice(0, splice.at) + splice.text + text.slice(splice.end);
    // The edited file must still be a menu, holding exactly what was imported.
    const edited = catalogOf(parseMenu(text, source.name));
    for (const row of fileRows) {
      if (row.translation === '') continue;
      const entry = edited.find((e) => `${source.name}#${e.key}` === row.context);
      const state = row.state === 'missing' ? 'draft' : row.state;
      if (!entry || entry.text[language] !== row.translation || translationState(entry.text, language) !== state) {
        throw new CatalogError(`${row.context}: could not be written into the YAML as read (please report): edit it by hand`);
      }
    }
    report.changed.set(source.name, text);
  }
  return report;
}

/** The edits that make one localized-text map hold `translation` and `state` for the language. */
function textSplices(source: string, map: YAMLMap, language: Language, translation: string, state: ReviewState): Splice[] {
  const splices: Splice[] = [];
  const pair = pairOf(map, language);
  if (pair && isScalar(pair.value)) {
    if (pair.value.value !== translation) splices.push(replaceScalar(pair.value, JSON.stringify(translation)));
  } else if (!pair) {
    const languagePairs = map.items.filter((p) => isScalar(p.key) && p.key.value !== 'review');
    splices.push(insertAfter(source, map, languagePairs.at(-1) ?? map.items.at(-1)!, language, JSON.stringify(translation)));
  } else throw new CatalogError(`the ${language} text is not a plain string in the YAML`);

  // No mark means reviewed (the texts written before review states): only a draft needs one.
  const review = pairOf(map, 'review');
  const mark = review && isMap(review.value) ? pairOf(review.value, language) : undefined;
  if (mark && isScalar(mark.value)) {
    if (mark.value.value !== state) splices.push(replaceScalar(mark.value, state));
  } else if (state === 'draft') {
    if (!review) splices.push(insertAfter(source, map, map.items.at(-1)!, 'review', `{ ${language}: ${state} }`));
    else if (isMap(review.value)) splices.push(insertAfter(source, review.value, review.value.items.at(-1)!, language, state));
    else throw new CatalogError('review: not a map in the YAML');
  }
  return splices;
}

function pairOf(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((p) => isScalar(p.key) && p.key.value === key);
}

function replaceScalar(node: Node, text: string): Splice {
  const [start, end] = node.range!;
  return { at: start, end, text };
}

/** A new `key: value` after `after`: on its own line in a block map, `, key: value` in a flow map. */
function insertAfter(source: string, map: YAMLMap, after: Pair, key: string, value: string): Splice {
  const valueNode = (after.value ?? after.key) as Node;
  if (map.flow) {
    const at = valueNode.range![1];
    return { at, end: at, text: `, ${key}: ${value}` };
  }
  const keyNode = after.key as Node;
  const keyStart = keyNode.range![0];
  const indent = keyStart - (source.lastIndexOf('\n', keyStart - 1) + 1);
  let end = valueNode.range![1];
  while (end > keyStart && /\s/.test(source[end - 1]!)) end--;
  const lineEnd = source.indexOf('\n', end);
  const at = lineEnd === -1 ? source.length : lineEnd;
  return { at, end: at, text: `\n${' '.repeat(indent)}${key}: ${value}` };
}
