import { mkdtempSync, readFileSync, readdirSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/guichet.js';
import { menuToMermaid } from '../src/engine/graph.js';
import { lintMenu } from '../src/engine/lint.js';
import { parseMenu } from '../src/engine/menu-parse.js';

const ROOT = new URL('..', import.meta.url).pathname;

async function run(...argv: string[]): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    const code = await main(argv, (line) => lines.push(line));
    return { code, output: lines.join('\n') };
  } finally {
    process.chdir(cwd);
  }
}

const header = `id: fixture
title: { fr: Essai, en: Test }
serviceCodes: ["*555#"]
services: [demo.lookup]
start: home
nodes:
`;

/** One failing fixture per lint rule: the smallest menu that breaks it. */
const fixtures: { rule: string; severity: 'error' | 'warning'; nodes: string; path: string; message: RegExp }[] = [
  {
    rule: 'unreachable',
    severity: 'warning',
    nodes: `  home: { type: message, text: { fr: Fin, en: End } }\n  orphan: { type: message, text: { fr: Seul, en: Alone } }\n`,
    path: 'nodes.orphan',
    message: /no path from "home"/,
  },
  {
    rule: 'dead-end',
    severity: 'error',
    nodes: `  home: { type: choice, text: { fr: A, en: A }, options: [{ label: { fr: B, en: B }, next: loop }] }\n  loop: { type: message, text: { fr: Encore, en: Again }, next: home }\n`,
    path: 'nodes.home',
    message: /no closing screen/,
  },
  {
    rule: 'loop-without-screen',
    severity: 'error',
    nodes: `  home: { type: goto, next: a }\n  a: { type: goto, next: home }\n  end: { type: message, text: { fr: Fin, en: End } }\n`,
    path: 'nodes.home.next',
    message: /goto loop/,
  },
  {
    rule: 'reserved-key',
    severity: 'error',
    nodes: `  home: { type: choice, text: { fr: A, en: A }, options: [{ key: "98", label: { fr: Suite, en: More }, next: end }] }\n  end: { type: message, text: { fr: Fin, en: End } }\n`,
    path: 'nodes.home.options.0',
    message: /collides with the reserved next page input/,
  },
  {
    rule: 'duplicate-key',
    severity: 'error',
    nodes: `  home: { type: choice, text: { fr: A, en: A }, options: [{ label: { fr: Un, en: One }, next: end }, { key: "1", label: { fr: Autre, en: Other }, next: end }] }\n  end: { type: message, text: { fr: Fin, en: End } }\n`,
    path: 'nodes.home.options.1',
    message: /option "1" is also option 1/,
  },
  {
    rule: 'missing-translation',
    severity: 'error',
    nodes: `  home: { type: message, text: { fr: Bonjour } }\n`,
    path: 'nodes.home.text',
    message: /no en text/,
  },
  {
    rule: 'screen-too-long',
    severity: 'error',
    nodes: `  home:\n    type: choice\n    text: { fr: "Choisissez votre pièce d'état civil pour être servi rapidement à l'accueil du centre", en: "Choose" }\n    options:\n      - { label: { fr: "Acte de naissance sécurisé pour un enfant mineur", en: Birth }, next: end }\n      - { label: { fr: "Certificat de nationalité béninoise", en: Nationality }, next: end }\n  end: { type: message, text: { fr: Fin, en: End } }\n`,
    path: 'nodes.home.text',
    message: /2 pages in fr: \d+ UCS-2 characters for a 70-character screen; UCS-2 is forced by "ê" → "e"/,
  },
  {
    rule: 'survey-not-asked',
    severity: 'warning',
    nodes: `  home:\n    type: message\n    text: { fr: "Votre demande de passeport est enregistrée. Présentez-vous au CCSP de votre choix avec votre ticket, votre NPI et deux photos d'identité récentes.", en: "Recorded." }\n    survey: ussd\n`,
    path: 'nodes.home.survey',
    message: /in fr the screen and the survey question take \d+ GSM-7 characters for a 160-character screen: the screen closes without the survey/,
  },
];

describe('guichet menus lint: one failing fixture per rule', () => {
  it.each(fixtures)('$rule', ({ rule, severity, nodes, path, message }) => {
    const menu = parseMenu(header + nodes, 'fixture.yaml');
    const found = lintMenu(menu).filter((p) => p.rule === rule);
    const atPath = found.find((p) => p.path.join('.') === path);
    expect(atPath, JSON.stringify(found)).toMatchObject({ severity, message: expect.stringMatching(message) });
  });

  it('finds nothing wrong in the menus this repository serves', () => {
    for (const file of readdirSync(join(ROOT, 'menus')).filter((f) => f.endsWith('.yaml'))) {
      expect(lintMenu(parseMenu(readFileSync(join(ROOT, 'menus', file), 'utf8'), file)), file).toEqual([]);
    }
  });
});

describe('guichet CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'guichet-lint-'));
  const broken = join(dir, 'broken.yaml');
  writeFileSync(broken, header + fixtures[1]!.nodes.replace('home: { type: choice', 'home: { type: choice') + fixtures[0]!.nodes.replace(/ {2}home:.*\n/, ''));

  it('lint exits 0 on the repository menus', async () => {
    expect(await run('menus', 'lint')).toEqual({ code: 0, output: '0 error(s), 0 warning(s)' });
  });

  it('lint exits 1 with file:line, severity, rule and path', async () => {
    const { code, output } = await run('menus', 'lint', broken);
    expect(code).toBe(1);
    expect(output).toContain(`${broken}:7: error dead-end nodes.home: no closing screen`);
    expect(output).toContain(`${broken}:9: warning unreachable nodes.orphan`);
  });

  it('lint --json gives machine-readable problems', async () => {
    const { code, output } = await run('menus', 'lint', '--json', broken);
    expect(code).toBe(1);
    expect(JSON.parse(output)).toEqual(expect.arrayContaining([expect.objectContaining({ file: broken, rule: 'dead-end', severity: 'error', line: 7, path: 'nodes.home' })]));
  });

  it('lint reports schema errors with their line', async () => {
    const { code, output } = await run('menus', 'lint', 'test/fixtures/menus-broken');
    expect(code).toBe(1);
    expect(output).toContain('test/fixtures/menus-broken/broken.yaml:11: error schema nodes.home.options.0.next: no node named "track.ask"');
  });

  it('wrong usage exits 2', async () => {
    expect((await run('menus', 'frobnicate')).code).toBe(2);
    expect((await run('menus', 'lint', '--limit', '999')).code).toBe(2);
    expect((await run('menus', 'lint', 'no/such/dir')).code).toBe(2);
  });

  it('the committed JSON Schema matches the zod schema', async () => {
    expect(await run('menus', 'schema', '--check')).toEqual({ code: 0, output: 'schema/menu.schema.json is up to date' });
  });

  it('every menu file points editors at the schema', () => {
    for (const file of readdirSync(join(ROOT, 'menus')).filter((f) => f.endsWith('.yaml'))) {
      expect(readFileSync(join(ROOT, 'menus', file), 'utf8').split('\n')[0], file).toBe('# yaml-language-server: $schema=../schema/menu.schema.json');
    }
  });

  // Counted, not written down: every area adds its own transcripts.
  const TRANSCRIPTS = readdirSync(join(ROOT, 'menus', 'tests')).filter((f) => f.endsWith('.yaml')).length;
  it('menus test replays every transcript in menus/tests', async () => {
    const { code, output } = await run('menus', 'test');
    expect(code).toBe(0);
    expect(output).toMatch(new RegExp(`^${TRANSCRIPTS} passed, 0 failed$`, 'm'));
  });

  it('menus test fails on a transcript whose screen differs, showing both', async () => {
    const work = mkdtempSync(join(tmpdir(), 'guichet-transcripts-'));
    cpSync(join(ROOT, 'menus'), work, { recursive: true });
    cpSync(join(ROOT, 'test/fixtures/transcripts-broken/wrong-screen.yaml'), join(work, 'tests', 'wrong-screen.yaml'));
    const { code, output } = await run('menus', 'test', join(work, 'tests'));
    expect(code).toBe(1);
    expect(output).toContain('✗ wrong-screen.yaml: expects a screen the menu does not show: hop 1');
    expect(output).toContain('expected: "CON Bienvenue"');
    expect(output).toMatch(new RegExp(`^${TRANSCRIPTS} passed, 1 failed$`, 'm'));
  });

  it('menus graph writes a Mermaid flowchart', async () => {
    const { code, output } = await run('menus', 'graph', 'menus/service-public.yaml');
    expect(code).toBe(0);
    expect(output.startsWith('flowchart TD\n')).toBe(true);
    const mermaid = menuToMermaid(parseMenu(readFileSync(join(ROOT, 'menus/service-public.yaml'), 'utf8'), 'x'));
    expect(mermaid).toMatch(/n0 -- "1 Suivre une demande" --> n1/);
    expect(mermaid).toMatch(/\{\{"track\.lookup: portal\.requestStatus"\}\}/);
  });
});
