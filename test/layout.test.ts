import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * What may import what between the top folders. Shared test code lives in testkit/: the tests and
 * the benchmarks import it, never each other; production code (src/, providers/ outside their
 * `*.test.ts`) imports none of testkit/, test/ or bench/, so no fake or harness ships.
 */
const ROOT = normalize(new URL('..', import.meta.url).pathname);
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;
const isTest = (file: string) => /\.test\.ts$/.test(file);

function filesUnder(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && SOURCE.test(entry.name))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
    .filter((file) => !file.split('/').includes('node_modules'));
}

/** The repository paths a file's source imports (static, type-only, re-exports, `import()`), relative ones only. */
function importedPaths(file: string, source: string): { specifier: string; path: string }[] {
  return ts
    .preProcessFile(source, true, true)
    .importedFiles.map((imported) => imported.fileName)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => ({ specifier, path: relative(ROOT, join(ROOT, dirname(file), specifier)) }));
}

interface Rule {
  name: string;
  files: () => string[];
  forbidden: readonly string[];
}

const RULES: Rule[] = [
  { name: 'bench/ imports nothing from test/', files: () => filesUnder('bench'), forbidden: ['test'] },
  { name: 'test/ imports nothing from bench/', files: () => filesUnder('test'), forbidden: ['bench'] },
  { name: 'testkit/ imports nothing from test/ or bench/', files: () => filesUnder('testkit'), forbidden: ['test', 'bench'] },
  { name: 'src/ (its tests aside) imports nothing from testkit/, test/ or bench/', files: () => filesUnder('src').filter((f) => !isTest(f)), forbidden: ['testkit', 'test', 'bench'] },
  {
    name: 'providers/ (their tests aside) import nothing from testkit/, test/ or bench/',
    files: () => filesUnder('providers').filter((f) => !isTest(f)),
    forbidden: ['testkit', 'test', 'bench'],
  },
];

const offences = (rule: Rule, file: string, source: string) =>
  importedPaths(file, source)
    .filter(({ path }) => rule.forbidden.some((folder) => path === folder || path.startsWith(`${folder}/`)))
    .map(({ specifier }) => `${file} imports ${specifier}`);

describe('layout: who imports whom', () => {
  it.each(RULES.map((rule) => [rule.name, rule] as const))('%s', (_name, rule) => {
    const files = rule.files();
    expect(files.length).toBeGreaterThan(0);
    expect(files.flatMap((file) => offences(rule, file, readFileSync(join(ROOT, file), 'utf8')))).toEqual([]);
  });

  it('sees every kind of import, and none in comments', () => {
    const source = [
      "// import { x } from '../test/in-a-comment.js';",
      "import { freePort } from '../test/lib.js';",
      "import type { Fake } from '../test/types.js';",
      "export { until } from '../test/until.js';",
      "const later = await import('../test/later.js');",
      "import { Hono } from 'hono';",
      "import { here } from './lib.js';",
    ].join('\n');
    expect(offences(RULES[0]!, 'bench/example.bench.ts', source)).toEqual([
      'bench/example.bench.ts imports ../test/lib.js',
      'bench/example.bench.ts imports ../test/types.js',
      'bench/example.bench.ts imports ../test/until.js',
      'bench/example.bench.ts imports ../test/later.js',
    ]);
  });
});
