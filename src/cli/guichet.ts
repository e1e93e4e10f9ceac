import { readFile, readdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { loadConfig } from '../config.js';
import { lintMenu, type LintProblem } from '../engine/lint.js';
import { MenuError, lineOf, parseMenu } from '../engine/menu-parse.js';
import { menuJsonSchema } from '../engine/json-schema.js';
import { measureText, unitLimit } from '../lib/gsm7.js';
import { createNodeGateway } from '../runtime/node/gateway.js';
import { silentLogger } from '../observability/logger.js';
import { menuToMermaid } from '../engine/graph.js';
import { Transcript, replayTranscript } from './transcript.js';
import { MadapiUsageError, madapiSubscribe } from './madapi.js';
import { migrateLegacyPayments } from './migrate-redis.js';
import { AccessLogUsageError, accessLogExport, accessLogVerify } from './access-log.js';
import { createRedisClient } from '../runtime/node/redis-client.js';
import { Redis } from 'ioredis';
import { LANGUAGES, isLanguage, type Language } from '../engine/languages.js';
import { CatalogError, catalogRows, fromCsv, fromPo, importRows, toCsv, toPo } from './translations.js';


const USAGE = `guichet — tools for agencies' USSD menus

  guichet menus lint [FILE|DIR…] [--json] [--limit 160]   check menus (default: menus/)
  guichet menus test [DIR]                                 replay transcripts (default: menus/tests/)
  guichet menus graph FILE [--out FILE.mmd]                the flow as a Mermaid diagram
  guichet menus schema [--check]                           write (or check) schema/menu.schema.json
  guichet menus export --lang fon [--format csv|po] [--out FILE] [--limit 160] [FILE|DIR…]
                                                           strings to translate: French source, context, budget, state
  guichet menus import FILE [--lang fon] [DIR]             write a translated CSV/PO back into the menu YAML
  guichet simulate [--url URL] [--phone +229…] [--code *123#] [--menus DIR]
                                                           a phone in the terminal (in-process unless --url)
  guichet madapi subscribe --service-code *123# --callback-url URL [--target-system GUICHET] [--ledger FILE]
                                                           register the MTN MADAPI callback (MADAPI_API_KEY), once
  guichet access-log verify FILE|-                         check an exported access log's hash chain (1: broken)
  guichet access-log export --holder +229… [--out FILE]    a holder's access log from Redis, as JSON lines
                                                           (REDIS_URL…, REDIS_PREFIX, PII_HASH_KEY as the gateway's)
  guichet redis migrate                                    move payments of before issue 15 to the cluster layout
                                                           (REDIS_URL or REDIS_SENTINELS, REDIS_PREFIX; gateways stopped)
Exit codes: 0 fine, 1 problems found, 2 wrong usage or unreadable input.`;

export const SCHEMA_FILE = 'schema/menu.schema.json';

class UsageError extends Error {}

export async function main(argv: string[], out: (line: string) => void = console.log): Promise<number> {
  const [group, command, ...rest] = argv;
  try {
    if (group === 'menus' && command === 'lint') return await lint(rest, out);
    if (group === 'menus' && command === 'test') return await test(rest, out);
    if (group === 'menus' && command === 'graph') return await graph(rest, out);
    if (group === 'menus' && command === 'schema') return await schema(rest, out);
    if (group === 'menus' && command === 'export') return await exportTranslations(rest, out);
    if (group === 'menus' && command === 'import') return await importTranslations(rest, out);
    if (group === 'madapi' && command === 'subscribe') return await madapiSubscribe(rest, out);
    if (group === 'redis' && command === 'migrate') return await redisMigrate(out);
    if (group === 'access-log' && command === 'verify') return await accessLogVerify(rest, out);
    if (group === 'access-log' && command === 'export') return await accessLogExport(rest, out);
    if (group === 'simulate') return await simulate([command, ...rest].filter((a): a is string => a !== undefined), out);
    throw new UsageError(group === undefined || group === 'help' || group === '--help' ? '' : `unknown command: ${argv.join(' ')}`);
  } catch (error) {
    if (error instanceof UsageError || error instanceof MadapiUsageError || error instanceof AccessLogUsageError) {
      if (error.message) out(error.message);
      out(USAGE);
      return 2;
    }
    out(error instanceof Error ? error.message : String(error));
    return 2;
  }
}

async function menuFiles(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths.length > 0 ? paths : ['menus']) {
    if (/\.ya?ml$/.test(path)) files.push(path);
    else files.push(...(await readdir(path)).filter((n) => /\.ya?ml$/.test(n)).sort().map((n) => join(path, n)));
  }
  return files;
}

interface ReportedProblem extends Omit<LintProblem, 'path' | 'rule'> {
  file: string;
  line?: number;
  rule: LintProblem['rule'] | 'schema';
  path: string;
}

async function lint(args: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' }, limit: { type: 'string' } } });
  const limit = values.limit === undefined ? 160 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 40 || limit > 182) throw new UsageError('--limit wants 40..182');
  const problems: ReportedProblem[] = [];
  for (const file of await menuFiles(positionals)) {
    const text = await readFile(file, 'utf8');
    try {
      const menu = parseMenu(text, file);
      for (const p of lintMenu(menu, { screenLimit: limit })) {
        problems.push({ ...p, file, line: lineOf(text, p.path), path: p.path.join('.') });
      }
    } catch (error) {
      if (!(error instanceof MenuError)) throw error;
      for (const p of error.problems) problems.push({ file, line: p.line, rule: 'schema', severity: 'error', path: p.path, message: p.reason });
    }
  }
  if (values.json) out(JSON.stringify(problems, null, 2));
  else {
    for (const p of problems) out(`${p.file}${p.line ? `:${p.line}` : ''}: ${p.severity} ${p.rule} ${p.path}: ${p.message}`);
    const errors = problems.filter((p) => p.severity === 'error').length;
    out(`${errors} error(s), ${problems.length - errors} warning(s)`);
  }
  return problems.some((p) => p.severity === 'error') ? 1 : 0;
}

/** The enrolment code every replayed transcript receives by SMS. */
export const TRANSCRIPT_CAREER_CODE = '246810';

async function test(args: string[], out: (line: string) => void): Promise<number> {
  const dir = args[0] ?? 'menus/tests';
  const menusDir = join(dir, '..');
  const files = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort();
  if (files.length === 0) throw new Error(`${dir}: no transcripts`);
  let failed = 0;
  for (const name of files) {
    const parsed = Transcript.safeParse(parseYaml(await readFile(join(dir, name), 'utf8')));
    if (!parsed.success) {
      out(`✗ ${name}: not a transcript: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      failed++;
      continue;
    }
    // A fresh embedded gateway per transcript: no language or session carried over.
    // Its own clock too, so a transcript can let sessions and resume windows expire.
    let clockOffsetMs = parsed.data.at ? Date.parse(parsed.data.at) - Date.now() : 0;
    const now = () => Date.now() + clockOffsetMs;
    // Career enrolment codes are random; a transcript types back TRANSCRIPT_CAREER_CODE (README
    // "Career and pension status"), and the loopback-SMSC test proves the random one over SMS.
    const gateway = await createNodeGateway(loadConfig({ MENUS_DIR: menusDir, MENUS_WATCH: '0', LOG_LEVEL: 'silent' }), silentLogger, { now, careerCode: () => TRANSCRIPT_CAREER_CODE });
    const result = await replayTranscript(gateway.app, parsed.data, `transcript-${basename(name)}`, (ms) => (clockOffsetMs += ms));
    await gateway.close();
    if (result.ok) out(`✓ ${name}: ${result.name}`);
    else {
      failed++;
      out(`✗ ${name}: ${result.name}: hop ${result.mismatch!.hop}\n  expected: ${JSON.stringify(result.mismatch!.expected)}\n  actual:   ${JSON.stringify(result.mismatch!.actual)}`);
    }
  }
  out(`${files.length - failed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

async function graph(args: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { out: { type: 'string' } } });
  const file = positionals[0];
  if (!file) throw new UsageError('menus graph wants a menu file');
  const mermaid = menuToMermaid(parseMenu(await readFile(file, 'utf8'), file));
  if (values.out) {
    await writeFile(values.out, mermaid);
    out(`wrote ${values.out}`);
  } else out(mermaid);
  return 0;
}

async function schema(args: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseArgs({ args, options: { check: { type: 'boolean' } } });
  const generated = JSON.stringify(menuJsonSchema(), null, 2) + '\n';
  if (values.check) {
    const current = await readFile(SCHEMA_FILE, 'utf8').catch(() => '');
    if (current === generated) {
      out(`${SCHEMA_FILE} is up to date`);
      return 0;
    }
    out(`${SCHEMA_FILE} is stale: run guichet menus schema`);
    return 1;
  }
  await writeFile(SCHEMA_FILE, generated);
  out(`wrote ${SCHEMA_FILE}`);
  return 0;
}

/** Menu files by the name the catalogs give them (the file name, unique within `menus/`). */
async function menuSources(paths: string[]): Promise<{ name: string; text: string; path: string }[]> {
  const sources = await Promise.all((await menuFiles(paths)).map(async (path) => ({ name: basename(path), path, text: await readFile(path, 'utf8') })));
  const names = sources.map((s) => s.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new UsageError(`two menu files are named ${twice}: export them separately`);
  return sources;
}

function languageOption(value: string | undefined): Language {
  if (!isLanguage(value)) throw new UsageError(`--lang wants one of ${LANGUAGES.join(', ')}`);
  if (value === 'fr') throw new UsageError('--lang fr: French is the source language');
  return value;
}

async function exportTranslations(args: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { lang: { type: 'string' }, format: { type: 'string', default: 'csv' }, out: { type: 'string' }, limit: { type: 'string' } } });
  const language = languageOption(values.lang);
  if (values.format !== 'csv' && values.format !== 'po') throw new UsageError('--format wants csv or po');
  const limit = values.limit === undefined ? 160 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 40 || limit > 182) throw new UsageError('--limit wants 40..182');
  const rows = catalogRows(await menuSources(positionals), language, limit);
  const text = values.format === 'po' ? toPo(rows, language) : toCsv(rows, language);
  if (values.out) {
    await writeFile(values.out, text);
    const counts = ['missing', 'draft', 'reviewed'].map((state) => `${rows.filter((r) => r.state === state).length} ${state}`).join(', ');
    out(`wrote ${values.out}: ${rows.length} strings in ${language} (${counts})`);
  } else process.stdout.write(text);
  return 0;
}

async function importTranslations(args: string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { lang: { type: 'string' } } });
  const [file, ...menuPaths] = positionals;
  if (!file) throw new UsageError('menus import wants the CSV or PO file');
  const text = await readFile(file, 'utf8');
  const parsed = /\.po$/i.test(file) ? fromPo(text) : fromCsv(text);
  const language = languageOption(values.lang ?? parsed.language);
  if (parsed.language !== undefined && parsed.language !== language) throw new UsageError(`${file} holds ${parsed.language} texts, not ${language}`);
  const sources = await menuSources(menuPaths);
  try {
    const report = importRows(sources, language, parsed.rows);
    for (const [name, edited] of report.changed) await writeFile(sources.find((s) => s.name === name)!.path, edited);
    out(`${report.updated} string(s) updated in ${report.changed.size} file(s), ${report.unchanged} unchanged`);
    return 0;
  } catch (error) {
    if (!(error instanceof CatalogError)) throw error;
    out(`${file}: ${error.message} (nothing written)`);
    return 1;
  }
}

/** `guichet redis migrate`: the one-off move of payments written before the cluster layout. */
async function redisMigrate(out: (line: string) => void): Promise<number> {
  const config = loadConfig(process.env);
  if (!config.redis) throw new UsageError('redis migrate needs REDIS_URL or REDIS_SENTINELS');
  // Payments of before issue 15 exist only on one Redis: move them there, then move to a cluster.
  if (config.redis.kind === 'cluster') throw new UsageError('redis migrate runs on the single Redis (REDIS_URL or REDIS_SENTINELS) the old payments are on');
  const redis = createRedisClient(config.redis, { maxRetriesPerRequest: 1, connectTimeout: 5_000 });
  try {
    if (!(redis instanceof Redis)) throw new UsageError('redis migrate runs on a single Redis');
    const moved = await migrateLegacyPayments(redis, config.redisPrefix);
    out(`moved ${moved.payments} payment(s) and ${moved.indexes} request index(es) under ${config.redisPrefix}`);
    return 0;
  } finally {
    redis.disconnect();
  }
}

/** A feature phone in the terminal: type an input, see the next screen, until the session ends. */
async function simulate(args: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      url: { type: 'string' },
      phone: { type: 'string', default: '+2290197000001' },
      code: { type: 'string', default: '*123#' },
      menus: { type: 'string', default: 'menus' },
      record: { type: 'string' },
      name: { type: 'string' },
    },
  });
  let send: (text: string) => Promise<string>;
  let close = async () => {};
  const sessionId = `simulate-${Date.now()}`;
  const body = (text: string) => new URLSearchParams({ sessionId, serviceCode: values.code!, phoneNumber: values.phone!, text }).toString();
  if (values.url) {
    send = async (text) => (await fetch(`${values.url}/ussd/africastalking`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body(text) })).text();
  } else {
    // In process nothing can show the SMS: the enrolment code is the transcripts' one, so a walk can be finished and recorded.
    const gateway = await createNodeGateway(loadConfig({ MENUS_DIR: values.menus, MENUS_WATCH: '0', LOG_LEVEL: 'silent' }), silentLogger, { careerCode: () => TRANSCRIPT_CAREER_CODE });
    send = async (text) => (await gateway.app.request('/ussd/africastalking', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body(text) })).text();
    close = () => gateway.close();
  }
  // Lines are read through the iterator, not `question()`: piped input arrives all at once.
  const rl = createInterface({ input: process.stdin, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  const inputs: string[] = [];
  let answer = await send('');
  const hops: Transcript['hops'] = [{ expect: answer }];
  for (;;) {
    out(handset(answer));
    if (!answer.startsWith('CON ')) break;
    process.stdout.write('> ');
    const line = await lines.next();
    if (line.done) break;
    inputs.push(line.value.trim());
    answer = await send(inputs.join('*'));
    hops.push({ send: line.value.trim(), expect: answer });
  }
  rl.close();
  if (values.record) {
    const transcript: Transcript = { name: values.name ?? `walk of ${values.code}`, dial: values.code!, phone: values.phone!, hops };
    await writeFile(values.record, transcriptYaml(transcript));
    out(`recorded ${values.record}`);
  }
  await close();
  return 0;
}

/** A transcript as YAML, screens as literal blocks so they read as on the phone. */
export function transcriptYaml(transcript: Transcript): string {
  return stringifyYaml(transcript, { lineWidth: 0, blockQuote: 'literal' });
}

/** A screen drawn as the handset shows it, with its size under it. */
export function handset(answer: string): string {
  const text = answer.replace(/^(CON|END) /, '');
  const lines = text.split('\n');
  const width = Math.max(22, ...lines.map((l) => [...l].length));
  const measure = measureText(text);
  const footer = ` ${measure.units}/${unitLimit(160, measure.encoding)} ${measure.encoding}${answer.startsWith('END') ? ' · END' : ''} `;
  return [
    `┌${'─'.repeat(width + 2)}┐`,
    ...lines.map((l) => `│ ${l}${' '.repeat(width - [...l].length)} │`),
    `└${footer}${'─'.repeat(Math.max(0, width + 2 - footer.length))}┘`,
  ].join('\n');
}

