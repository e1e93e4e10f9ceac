import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import type { DemoRequest } from '../src/portal/demo.js';
import { freePort } from '../testkit/loopback-server.js';
import { until } from '../testkit/until.js';

/** Starts a TypeScript server file in its own process and waits for its /health. */
export async function startServer(file: string, env: Record<string, string>, startMs = 10_000): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  // BENCH_NODE_ARGS (e.g. --cpu-prof) goes to the server under test, for profiling a run.
  const extra = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  // BENCH_SERVER_LOG=<file>: the servers' log lines (their stdout) appended there, to read what went wrong in a run.
  const log = process.env.BENCH_SERVER_LOG ? openSync(process.env.BENCH_SERVER_LOG, 'a') : 'ignore';
  const child = spawn(process.execPath, [...extra, '--import', 'tsx', file], {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', log, 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await until(() => fetch(`${url}/health`).then((res) => res.ok, () => false), `${file} to answer /health`, startMs);
  } catch (error) {
    child.kill();
    throw error;
  }
  return { url, child };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** CPU time (user + system, ms) a process has used so far, from /proc (Linux). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS;
}
/** USER_HZ: 100 on every Linux this runs on. */
const CLOCK_TICKS = 100;

/** `count` unpaid 1 900 XOF requests of one holder, numbered from `first`: one per payment a bench makes. */
export function unpaidRequests(count: number, first: number, holderMsisdn: string): DemoRequest[] {
  return Array.from({ length: count }, (_, i) => ({
    requestNumber: `PS00373-${String(first + i)}`,
    serviceCode: 'PS00373',
    status: 'submitted',
    updatedAt: '2026-11-23',
    holderMsisdn,
    holderNpi: '1234567890',
    holderBirthDate: '15031990',
    amountXof: 1900,
    paid: false,
  }));
}
