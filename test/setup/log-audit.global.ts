import { existsSync, readFileSync, rmSync } from 'node:fs';

/**
 * Runs once around the whole suite: starts an empty audit file, and at the end fails the run if
 * any logged line holds a phone number whole, an NPI, a demo matricule or a birth date (the test
 * data's and any of their shape; a first-posting date has a birth date's shape).
 */
const PATTERNS: [string, RegExp][] = [
  ['a Benin phone number, unmasked', /(?<![\d*])(?:\+?229)?01\d{8}(?![\d*])/],
  ["the demo holder's NPI", /1234567890/],
  ["a demo agent's matricule (src/careers/demo.ts)", /(?<!\d)(?:1042173|1093318|1187540|2210884)(?!\d)/],
  ['a birth date typed at a prompt (DDMMYYYY)', /(?<![\d*])(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])(?:19|20)\d\d(?![\d*])/],
];

/**
 * UUIDs (request and message ids) and hex digests hold digit runs of a phone number's or a birth
 * date's shape by chance (`…-e0128908294c` failed a run once): they are blanked before the check. A
 * run of digits alone is never blanked, so a number written whole is still found.
 */
function withoutRandomIds(line: string): string {
  return line
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>')
    .replace(/\b(?=[0-9a-f]*[a-f])[0-9a-f]{16,}\b/gi, '<hex>');
}

export function setup(): void {
  const file = process.env.GUICHET_LOG_AUDIT;
  if (file) rmSync(file, { force: true });
}

export function teardown(): void {
  const file = process.env.GUICHET_LOG_AUDIT;
  if (!file || !existsSync(file)) return;
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const leaks = lines.flatMap((line) => {
    const checked = withoutRandomIds(line);
    return PATTERNS.filter(([, pattern]) => pattern.test(checked)).map(([what]) => `${what}: ${line.slice(0, 300)}`);
  });
  rmSync(file, { force: true });
  if (leaks.length > 0) {
    // vitest reports a teardown error but still exits 0: the exit code is set here.
    process.exitCode = 1;
    throw new Error(`personal data in ${leaks.length} of ${lines.length} logged lines:\n${[...new Set(leaks)].slice(0, 20).join('\n')}`);
  }
  console.log(`log audit: ${lines.length} logged lines, no phone number, NPI or birth date whole`);
}
