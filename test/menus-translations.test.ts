import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/guichet.js';
import { CatalogError, catalogRows, fromCsv, fromPo, importRows, toCsv, toPo, type MenuSource } from '../src/cli/translations.js';
import { parseMenu } from '../src/engine/menu-parse.js';
import { MENUS_DIR } from '../testkit/harness.js';

/** `guichet menus export` / `import`: the translator workflow, on copies of the shipped menus. */

const scratch: string[] = [];
afterAll(() => scratch.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function menusCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'guichet-translations-'));
  scratch.push(dir);
  cpSync(MENUS_DIR, join(dir, 'menus'), { recursive: true });
  return join(dir, 'menus');
}

const yamlFiles = (dir: string) => Object.fromEntries(readdirSync(dir).filter((n) => n.endsWith('.yaml')).map((n) => [n, readFileSync(join(dir, n), 'utf8')]));
const shipped = (): MenuSource[] => Object.entries(yamlFiles(MENUS_DIR)).map(([name, text]) => ({ name, text }));

async function run(...argv: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await main(argv, (line) => lines.push(line));
  return { code, lines };
}

describe('export → import → export', () => {
  it.each([
    ['fon', 'csv'],
    ['yor', 'csv'],
    ['fon', 'po'],
    ['yor', 'po'],
    ['en', 'csv'],
  ] as const)('%s as %s: the same bytes, the YAML untouched', async (language, format) => {
    const dir = menusCopy();
    const before = yamlFiles(dir);
    const first = join(dir, '..', `first.${format}`);
    const second = join(dir, '..', `second.${format}`);
    expect((await run('menus', 'export', '--lang', language, '--format', format, '--out', first, dir)).code).toBe(0);
    const imported = await run('menus', 'import', first, dir);
    expect(imported).toEqual({ code: 0, lines: [expect.stringMatching(/^0 string\(s\) updated in 0 file\(s\), \d+ unchanged$/)] });
    expect(yamlFiles(dir)).toEqual(before);
    expect((await run('menus', 'export', '--lang', language, '--format', format, '--out', second, dir)).code).toBe(0);
    expect(readFileSync(second)).toEqual(readFileSync(first));
  });

  it('an edited CSV changes only the edited lines of the YAML, and exports back as edited', async () => {
    const dir = menusCopy();
    // One string without Fon yet, for the translator to write.
    const yamlPath = join(dir, 'service-public.yaml');
    const shippedText = readFileSync(yamlPath, 'utf8');
    const withoutOne = shippedText.replace(/\n      fon: "Akwɛ́ súsú byɔ́byɔ́[^\n]*/, '').replace(/(Try again in an hour\."\n      yor: "[^"\n]*"\n      review: \{ )fon: draft, (yor: draft \})/, '$1$2');
    expect(withoutOne).not.toBe(shippedText);
    writeFileSync(yamlPath, withoutOne);
    const before = readFileSync(yamlPath, 'utf8');
    const file = join(dir, '..', 'fon.csv');
    await run('menus', 'export', '--lang', 'fon', '--out', file, dir);
    const csv = readFileSync(file, 'utf8');
    const edited = csv
      // A reviewer approves the home title as it is and corrects the first option.
      .replace('service-public.yaml#nodes/home/text,draft,', 'service-public.yaml#nodes/home/text,reviewed,')
      .replace(/(service-public\.yaml#nodes\/home\/options\/0\/label,)draft,(\d*,\d*,Suivre une demande,)[^\r\n]*/, '$1reviewed,$2"Kpɔ́n nǔ e a byɔ́ é, ""PS"""')
      // A translator writes a missing one (left as draft).
      .replace(/(service-public\.yaml#nodes\/pay\.too_many\/text,)missing,(\d*,\d*,[^\r\n]*?une heure\.,)/, '$1draft,$2Akwɛ́ byɔ́byɔ́ gègě. Vɔ́ tɛ́n kpɔ́n gaxixo ɖokpo godo.');
    expect(edited).not.toBe(csv);
    writeFileSync(file, edited);
    expect((await run('menus', 'import', file, dir)).lines).toEqual(['3 string(s) updated in 1 file(s), 187 unchanged']);
    const after = readFileSync(join(dir, 'service-public.yaml'), 'utf8');
    const changed = after.split('\n').filter((line) => !before.split('\n').includes(line));
    expect(changed).toEqual([
      '    text: { fr: Service Public du Bénin, en: Benin Public Service, fon: "Azɔ̌ Gbɛtɔ́ Bɛnɛ tɔn", yor: "Iṣẹ́ Ìjọba Bẹ̀nẹ̀", review: { fon: reviewed, yor: draft } }',
      '      - label: { fr: Suivre une demande, en: Track a request, fon: "Kpɔ́n nǔ e a byɔ́ é, \\"PS\\"", yor: "Tọpa ìbéèrè", review: { fon: reviewed, yor: draft } }',
      '      fon: "Akwɛ́ byɔ́byɔ́ gègě. Vɔ́ tɛ́n kpɔ́n gaxixo ɖokpo godo."',
      '      review: { yor: draft, fon: draft }',
    ]);
    const menu = parseMenu(after, 'service-public.yaml');
    expect(menu.nodes['pay.too_many']).toMatchObject({ text: { fon: 'Akwɛ́ byɔ́byɔ́ gègě. Vɔ́ tɛ́n kpɔ́n gaxixo ɖokpo godo.', review: { fon: 'draft', yor: 'draft' } } });
    // Exported again, the strings and states are what was imported (the budgets of the other
    // strings of those screens moved with the new text); importing it again changes nothing.
    const again = join(dir, '..', 'again.csv');
    await run('menus', 'export', '--lang', 'fon', '--out', again, dir);
    expect(fromCsv(readFileSync(again, 'utf8')).rows).toEqual(fromCsv(edited).rows);
    expect((await run('menus', 'import', again, dir)).lines[0]).toMatch(/^0 string\(s\) updated/);
  });

  it('reads a PO file as Poedit writes it back: long strings wrapped over continuation lines, fuzzy removed when reviewed', () => {
    const rows = catalogRows(shipped(), 'yor');
    const po = toPo(rows, 'yor')
      .replace('#, fuzzy\nmsgctxt "service-public.yaml#nodes/language/text"', 'msgctxt "service-public.yaml#nodes/language/text"')
      .replace('msgstr "Iṣẹ́ kò sí fún ìgbà díẹ̀. Jọ̀wọ́ gbìyànjú lẹ́yìn náà."', 'msgstr ""\n"Iṣẹ́ kò sí fún ìgbà díẹ̀. "\n"Jọ̀wọ́ gbìyànjú lẹ́yìn náà."');
    const parsed = fromPo(po);
    expect(parsed.language).toBe('yor');
    expect(parsed.rows).toEqual(rows.map(({ budget: _budget, ...row }) => (row.context === 'service-public.yaml#nodes/language/text' ? { ...row, state: 'reviewed' } : row)));
    const report = importRows(shipped(), 'yor', parsed.rows);
    expect(report.updated).toBe(1);
    expect([...report.changed.values()][0]).toContain('text: { fr: "Langue:", en: "Language:", fon: "Sɔ́ gbè towe:", yor: "Yan èdè rẹ:", review: { fon: draft, yor: reviewed } }');
  });

  it('gives each string its French source, context, budget and state', () => {
    const rows = catalogRows(shipped(), 'fon');
    expect(rows.find((r) => r.context === 'service-public.yaml#nodes/track.npi/text')).toEqual({
      context: 'service-public.yaml#nodes/track.npi/text',
      state: 'draft',
      source: 'Votre NPI (10 chiffres):',
      translation: 'NPI towe (xàsinsɛ́n 10):',
      // The question must fit with its refusal notice above it, as the linter sizes it: 160 less
      // "NPI o do xasinsen 10." (21, spelled), "0.Leko 00.Xwe" (13) and two line breaks; in UCS-2,
      // 70 less "NPI ɔ́ ɖó xàsinsɛ́n 10." (23 UTF-16 units with its combining marks), 13 and 2.
      budget: { gsm7: 160 - 21 - 13 - 2, ucs2: 70 - 23 - 13 - 2 },
    });
    // An empty French label (no hint for this status) has nothing to translate.
    expect(rows.find((r) => r.context === 'service-public.yaml#labels/statusHint/submitted')).toMatchObject({ state: 'missing', source: '', translation: '' });
    // The placeholders' sample values count against the budget.
    const shown = rows.find((r) => r.context === 'service-public.yaml#nodes/track.not_found/text')!;
    expect(shown.budget!.gsm7).toBeLessThan(160 - 'XXXXXXXXXX'.length);
    expect(toCsv(rows, 'fon').split('\r\n')[0]).toBe('\ufeffcontext,state,max_gsm7,max_ucs2,fr,fon');
  });
});

describe('import refuses, and writes nothing', () => {
  const csvOf = (mutate: (csv: string) => string) => fromCsv(mutate(toCsv(catalogRows(shipped(), 'fon'), 'fon')));

  it.each([
    ['a context that names no string', (csv: string) => csv.replace('service-public.yaml#nodes/home/text,', 'service-public.yaml#nodes/nowhere/text,'), /nodes\/nowhere\/text: no translatable text there/],
    ['a file that is not a menu', (csv: string) => csv.replace('anip.yaml#title,', 'other.yaml#title,'), /other\.yaml#title: no such menu file/],
    ['a French source changed since the export', (csv: string) => csv.replace(',Service Public du Bénin,', ',Service Public,'), /the French text changed since the export/],
    ['an unknown state', (csv: string) => csv.replace('service-public.yaml#nodes/home/text,draft,', 'service-public.yaml#nodes/home/text,approved,'), /state "approved"/],
  ])('%s', (_name, mutate, reason) => {
    const { rows } = csvOf(mutate);
    expect(() => importRows(shipped(), 'fon', rows)).toThrow(CatalogError);
    expect(() => importRows(shipped(), 'fon', rows)).toThrow(reason);
  });

  it('over the CLI: exit 1 with the reason, the YAML as it was', async () => {
    const dir = menusCopy();
    const before = yamlFiles(dir);
    const file = join(dir, '..', 'bad.csv');
    writeFileSync(file, toCsv(catalogRows(shipped(), 'fon'), 'fon').replace(',Service Public du Bénin,', ',Autre,'));
    const result = await run('menus', 'import', file, dir);
    expect(result.code).toBe(1);
    expect(result.lines[0]).toMatch(/French text changed since the export.*\(nothing written\)$/);
    expect(yamlFiles(dir)).toEqual(before);
  });

  it.each([
    [['menus', 'export', '--lang', 'fr'], /French is the source language/],
    [['menus', 'export', '--lang', 'bariba'], /--lang wants one of fr, en, fon, yor/],
    [['menus', 'export', '--lang', 'fon', '--format', 'xlsx'], /--format wants csv or po/],
  ])('usage %j', async (argv, reason) => {
    const result = await run(...argv);
    expect(result.code).toBe(2);
    expect(result.lines[0]).toMatch(reason);
  });

  it('a broken CSV header or PO line is named', () => {
    expect(() => fromCsv('a,b\n1,2\n')).toThrow(/first line must be context,state/);
    expect(() => fromPo('msgid "x"\nnonsense\n')).toThrow(/PO line 2/);
  });
});
