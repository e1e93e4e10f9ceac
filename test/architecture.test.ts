import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { build, type Metafile, type Plugin } from 'esbuild';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Issue 13, item 2: nothing the Worker runs, and nothing in the core, may reach Node. Three checks,
 * each also run once against a deliberate slip, so that a check that stopped seeing anything would
 * fail here instead of passing quietly:
 * 1. the Worker entry bundled for a neutral platform, as wrangler bundles it, reaches no `node:`
 *    module and no Node-only package;
 * 2. the import graph of the core (the files `tsconfig.core.json` covers) reaches neither the Node
 *    runtime, the CLI nor those packages, followed through every file it imports;
 * 3. the core's type program holds no Node types: a package's `.d.ts` saying
 *    `/// <reference types="node" />` (ioredis's does) would bring them back silently, and with them
 *    `Buffer` and `process` would type-check again.
 *
 * Tried on the files themselves too, then removed: `import { hostname } from 'node:os'` in
 * `src/engine/paging.ts` failed checks 1 and 2 (the bundle check printing the chain from the Worker
 * entry through `http/app.ts`, the simulator and the engine to `node:os`), and an
 * `import type { Redis } from 'ioredis'` in `src/cache/port.ts` failed checks 2 and 3; with both in,
 * `tsc -p tsconfig.core.json` passed, ioredis's types having brought Node's back.
 */
const ROOT = resolve(new URL('..', import.meta.url).pathname);
const WORKER_ENTRY = join(ROOT, 'src/runtime/worker/main.ts');

/** Packages that need Node (sockets, threads, its Buffer): each stays in `src/runtime/node/` or a Node-only adapter. */
const NODE_ONLY_PACKAGES = ['ioredis', 'bullmq', 'pino', 'prom-client', 'smpp', 'undici', '@hono/node-server'];
const NODE_BUILTINS = new Set(builtinModules);

function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** `node:fs`, a bare builtin (`fs/promises`) or a Node-only package. */
function nodeOnly(specifier: string): boolean {
  return specifier.startsWith('node:') || NODE_BUILTINS.has(packageOf(specifier)) || NODE_ONLY_PACKAGES.includes(packageOf(specifier));
}

/** Files of the Node runtime and the CLI, which the core must never import. */
function nodeSide(file: string): boolean {
  const path = relative(ROOT, file);
  return path.startsWith('src/runtime/node/') || path.startsWith('src/cli/');
}

function shown(file: string): string {
  const path = relative(ROOT, file);
  // The dependency tree may sit outside the checkout (a shared node_modules).
  return path.includes('node_modules/') ? path.slice(path.lastIndexOf('node_modules/')) : path;
}

// ---------------------------------------------------------------------------------------------
// 1. The Worker bundle.

interface BundleFinding {
  specifier: string;
  chain: string[];
}

/**
 * Bundles as wrangler does (workerd/worker/browser conditions, menus as text) with nothing external
 * but what Workers themselves provide (`cloudflare:*`). A Node-only import is recorded with the chain
 * of files that led to it, then left external so that every such import is found in one run.
 */
async function nodeImportsOfWorkerBundle(entry: { file: string } | { contents: string }): Promise<BundleFinding[]> {
  const reached: { specifier: string; importer: string }[] = [];
  const recordNodeOnly: Plugin = {
    name: 'record-node-only',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /^[^./]/ }, (args) => {
        if (!nodeOnly(args.path)) return undefined;
        reached.push({ specifier: args.path, importer: args.importer });
        return { path: args.path, external: true };
      });
    },
  };
  const result = await build({
    ...('file' in entry ? { entryPoints: [entry.file] } : { stdin: { contents: entry.contents, resolveDir: ROOT, sourcefile: 'slip.ts', loader: 'ts' as const } }),
    bundle: true,
    write: false,
    outfile: join(ROOT, 'worker.js'),
    platform: 'neutral',
    format: 'esm',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['browser', 'module', 'main'],
    loader: { '.yaml': 'text' },
    external: ['cloudflare:*'],
    metafile: true,
    logLevel: 'silent',
    plugins: [recordNodeOnly],
  });
  return reached.map(({ specifier, importer }) => ({ specifier, chain: [...chainTo(result.metafile, relative(ROOT, importer)), specifier] }));
}

/** The import chain from the entry to `target`, from esbuild's metafile (paths relative to the root). */
function chainTo(metafile: Metafile, target: string): string[] {
  const importers = new Map<string, string>();
  for (const [file, input] of Object.entries(metafile.inputs)) for (const imported of input.imports) if (!importers.has(imported.path)) importers.set(imported.path, file);
  const chain = [target];
  for (let at = target; importers.has(at) && chain.length < 50; ) chain.unshift((at = importers.get(at)!));
  return chain.map((file) => shown(resolve(ROOT, file)));
}

// ---------------------------------------------------------------------------------------------
// 2. The core's import graph.

const CORE_CONFIG = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.core.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } })!;
const CORE_FILES = CORE_CONFIG.fileNames.map((file) => resolve(file));

interface GraphFinding {
  /** From a core file to what it must not reach. */
  chain: string[];
}

/** `./x.js` as written in TypeScript sources: the `.ts` file, else the file itself (`.yaml`, `.json`). */
function resolveRelative(from: string, specifier: string): string | undefined {
  const target = resolve(dirname(from), specifier);
  const candidates = [target.replace(/\.js$/, '.ts'), `${target}.ts`, join(target, 'index.ts'), target];
  return candidates.find((file) => existsSync(file) && !file.endsWith('/'));
}

/**
 * Every import (also `import type`, re-exports, `import()`), followed from the core files through
 * whatever they import, so that a core file importing a Node-only adapter is caught at the package
 * that adapter imports. `extra` adds files that exist only in memory (the deliberate slip).
 */
function nodeImportsOfCore(roots: readonly string[], extra: Readonly<Record<string, string>> = {}): GraphFinding[] {
  const importedBy = new Map<string, string>();
  const findings: GraphFinding[] = [];
  const chainOf = (file: string): string[] => {
    const chain = [file];
    for (let at = file; importedBy.has(at); ) chain.unshift((at = importedBy.get(at)!));
    return chain.map(shown);
  };
  const queue = [...roots];
  const seen = new Set(queue);
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (!/\.[cm]?tsx?$/.test(file)) continue;
    const source = extra[file] ?? readFileSync(file, 'utf8');
    const { importedFiles, typeReferenceDirectives } = ts.preProcessFile(source, true, true);
    for (const reference of typeReferenceDirectives) if (reference.fileName === 'node') findings.push({ chain: [...chainOf(file), '/// <reference types="node" />'] });
    for (const { fileName: specifier } of importedFiles) {
      if (!specifier.startsWith('.')) {
        if (nodeOnly(specifier)) findings.push({ chain: [...chainOf(file), specifier] });
        continue;
      }
      const target = resolveRelative(file, specifier);
      if (!target) throw new Error(`${shown(file)}: cannot resolve ${specifier}`);
      if (nodeSide(target)) {
        findings.push({ chain: [...chainOf(file), shown(target)] });
        continue;
      }
      if (seen.has(target)) continue;
      seen.add(target);
      importedBy.set(target, file);
      queue.push(target);
    }
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------
// 3. The core's types.

/** Files of the core's type program that are Node's own types, and the files that asked for them. */
function nodeTypesInCoreProgram(roots: readonly string[]): { nodeTypeFiles: number; requestedBy: string[] } {
  const program = ts.createProgram({ rootNames: roots, options: CORE_CONFIG.options });
  const files = program.getSourceFiles();
  return {
    nodeTypeFiles: files.filter((file) => /\/@types\/node\//.test(file.fileName)).length,
    requestedBy: files.filter((file) => file.typeReferenceDirectives.some((reference) => reference.fileName === 'node')).map((file) => shown(file.fileName)),
  };
}

const explain = (chains: string[][]) => chains.map((chain) => chain.join(' → ')).join('\n');

describe('no Node in the Worker or the core', () => {
  it('the Worker entry bundles for a neutral platform without a node: module or a Node-only package', async () => {
    const findings = await nodeImportsOfWorkerBundle({ file: WORKER_ENTRY });
    expect(explain(findings.map((f) => f.chain)), 'what imported what').toBe('');
  }, 60_000);

  it('a deliberate slip is caught by the bundle check: the Worker plus the BullMQ queue', async () => {
    const findings = await nodeImportsOfWorkerBundle({ contents: "import './src/runtime/worker/main.ts';\nimport './src/jobs/bullmq.ts';" });
    expect(explain(findings.map((f) => f.chain))).toContain('src/jobs/bullmq.ts → bullmq');
  }, 60_000);

  it('the core covers the engine, the channels, the capability ports, the providers and the Worker entry, not the Node side', () => {
    const covered = new Set(CORE_FILES.map((file) => relative(ROOT, file)));
    for (const file of ['src/engine/engine.ts', 'src/http/app.ts', 'src/sessions/port.ts', 'src/sessions/memory.ts', 'src/sessions/durable-object.ts', 'src/jobs/memory.ts', 'providers/index.ts', 'src/runtime/worker/main.ts']) expect(covered, file).toContain(file);
    for (const file of covered) expect(nodeSide(resolve(ROOT, file)) || /\/(redis|bullmq)\.ts$/.test(file) || file.endsWith('.test.ts'), file).toBe(false);
  });

  it('no core file imports the Node runtime, the CLI or a Node-only package, directly or through another file', () => {
    const findings = nodeImportsOfCore(CORE_FILES);
    expect(explain(findings.map((f) => f.chain)), 'what imported what').toBe('');
  });

  it('a deliberate slip is caught by the import walk: an engine file importing the Redis cache and the gateway', () => {
    const slip = join(ROOT, 'src/engine/slip.ts');
    const findings = nodeImportsOfCore([...CORE_FILES, slip], { [slip]: "import type { RedisCache } from '../cache/redis.js';\nexport { createNodeGateway } from '../runtime/node/gateway.js';\n" });
    const fromSlip = findings.map((f) => f.chain.join(' → ')).filter((chain) => chain.startsWith('src/engine/slip.ts'));
    expect(fromSlip.sort()).toEqual(['src/engine/slip.ts → src/cache/redis.ts → ioredis', 'src/engine/slip.ts → src/runtime/node/gateway.ts']);
  });

  it("the core's types hold none of Node's", () => {
    expect(nodeTypesInCoreProgram(CORE_FILES)).toEqual({ nodeTypeFiles: 0, requestedBy: [] });
  }, 60_000);

  it('a deliberate slip is caught by the types check: the Redis session store in the core program', () => {
    const { nodeTypeFiles, requestedBy } = nodeTypesInCoreProgram([...CORE_FILES, join(ROOT, 'src/sessions/redis.ts')]);
    expect(nodeTypeFiles).toBeGreaterThan(0);
    expect(requestedBy.some((file) => file.startsWith('node_modules/ioredis/'))).toBe(true);
  }, 60_000);
});

// ---------------------------------------------------------------------------------------------
// Issue 13, item 1: one rule for every capability folder.

const BACKEND_FILES = ['memory.ts', 'redis.ts', 'bullmq.ts', 'durable-object.ts', 'cloudflare-queues.ts'];

/** Folders under src/ holding a port and at least one backend file named for its backend. */
function capabilityFolders(dir = join(ROOT, 'src')): { folder: string; backends: string[] }[] {
  const entries = readdirSync(dir, { withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => e.name);
  const backends = BACKEND_FILES.filter((file) => files.includes(file));
  const here = files.includes('port.ts') && backends.length > 0 ? [{ folder: relative(ROOT, dir), backends }] : [];
  return [...here, ...entries.filter((e) => e.isDirectory()).flatMap((e) => capabilityFolders(join(dir, e.name)))];
}

describe('capability folders: port.ts, one file per backend, conformance.ts, one test file running it', () => {
  const folders = capabilityFolders();

  it('finds the capabilities', () => {
    expect(folders.map((f) => f.folder).sort()).toEqual(expect.arrayContaining(['src/cache', 'src/jobs', 'src/limits', 'src/payments/store', 'src/sessions', 'src/sms/store']));
  });

  it.each(folders)('$folder', ({ folder, backends }) => {
    const path = (file: string) => join(ROOT, folder, file);
    // The port declares; adapters live in the files named for their backend.
    expect(readFileSync(path('port.ts'), 'utf8'), 'an adapter inside port.ts').not.toMatch(/\bclass \w+ implements\b/);
    if (backends.length < 2) return;
    expect(existsSync(path('conformance.ts')), 'conformance.ts').toBe(true);
    const testFile = `${basename(folder)}.test.ts`;
    expect(existsSync(path(testFile)), testFile).toBe(true);
    const test = readFileSync(path(testFile), 'utf8');
    expect(test).toMatch(/from '\.\/conformance\.js'/);
    for (const backend of backends) expect(test, `${testFile} runs ${backend}`).toContain(`from './${backend.replace(/\.ts$/, '.js')}'`);
  });
});
