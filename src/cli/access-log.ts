import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseJsonLines, toJsonLines, verifyChain, type ChainVerdict } from '../access-log/chain.js';
import type { ChainedEntry } from '../access-log/port.js';
import { accessLogHolderKey } from '../access-log/recorder.js';
import { RedisAccessLogStore } from '../access-log/redis.js';
import { loadConfig } from '../config.js';
import { normalizeMsisdn } from '../lib/msisdn.js';
import { createRedisClient } from '../runtime/node/redis-client.js';
import { DEFAULT_PII_HASH_KEY } from '../services/holder-proof.js';

/** Wrong arguments or input: the CLI prints the usage and exits 2. */
export class AccessLogUsageError extends Error {}

/**
 * `guichet access-log verify FILE|-`: checks an exported log (the body of
 * `POST /v1/access-log/export`, or `export --out`): 0 when the chain holds, 1 with the first bad
 * line and why, 2 when the file is not JSON lines.
 */
export async function accessLogVerify(args: string[], out: (line: string) => void, stdin: () => Promise<string> = readStdin): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const [file] = positionals;
  if (!file) throw new AccessLogUsageError('access-log verify wants a file (or - for standard input)');
  const text = file === '-' ? await stdin() : await readFile(file, 'utf8');
  let entries: ChainedEntry[];
  try {
    entries = parseJsonLines(text);
  } catch (error) {
    throw new AccessLogUsageError(`${file}: not JSON lines (${error instanceof Error ? error.message : String(error)})`);
  }
  const verdict = await verifyChain(entries);
  out(describeVerdict(verdict, entries));
  return verdict.ok ? 0 : 1;
}

/**
 * `guichet access-log export --holder NUMBER [--out FILE]`: a holder's log read straight from Redis
 * (`REDIS_URL`, `REDIS_CLUSTER_NODES` or `REDIS_SENTINELS`, `REDIS_PREFIX`, `PII_HASH_KEY` as the
 * gateway's), as JSON lines; 1 when its chain does not verify. The verdict goes to `out` with
 * `--out`, to standard error otherwise (standard output is then the file itself).
 */
export async function accessLogExport(
  args: string[],
  out: (line: string) => void,
  options: { env?: NodeJS.ProcessEnv; report?: (line: string) => void } = {},
): Promise<number> {
  const { values } = parseArgs({ args, options: { holder: { type: 'string' }, out: { type: 'string' } } });
  if (!values.holder) throw new AccessLogUsageError('access-log export wants --holder <number>');
  const number = normalizeMsisdn(values.holder);
  if (!number.ok) throw new AccessLogUsageError(`--holder: ${number.reason}`);
  const config = loadConfig(options.env ?? process.env);
  if (!config.redis) {
    throw new AccessLogUsageError('access-log export reads Redis (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS); an embedded gateway keeps its log in its own memory: use POST /v1/access-log/export');
  }
  const redis = createRedisClient(config.redis, { maxRetriesPerRequest: 1, connectTimeout: 5_000 });
  try {
    const store = new RedisAccessLogStore(redis, { prefix: config.redisPrefix });
    const entries = await store.list(await accessLogHolderKey(config.piiHashKey ?? DEFAULT_PII_HASH_KEY, number.e164));
    const verdict = await verifyChain(entries);
    const report = options.report ?? ((line: string) => console.error(line));
    if (values.out) {
      await writeFile(values.out, toJsonLines(entries));
      out(describeVerdict(verdict, entries));
    } else {
      for (const entry of entries) out(JSON.stringify(entry));
      report(describeVerdict(verdict, entries));
    }
    return verdict.ok ? 0 : 1;
  } finally {
    redis.disconnect();
  }
}

function describeVerdict(verdict: ChainVerdict, entries: readonly ChainedEntry[]): string {
  if (verdict.ok) return `chain ok: ${verdict.entries} entr${verdict.entries === 1 ? 'y' : 'ies'}${entries.length > 0 ? `, seq ${entries[0]!.seq} to ${entries.at(-1)!.seq}` : ''}`;
  const seq = entries[verdict.index]?.seq;
  return `chain broken at line ${verdict.index + 1}${seq !== undefined ? ` (seq ${seq})` : ''}: ${verdict.reason}`;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
