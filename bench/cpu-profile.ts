import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * What the profiling scripts (`ussd-profile.ts`, `notify-profile.ts`) share: a folder the gateway
 * writes its `--cpu-prof` profile to, and the reading of that profile into self time per function
 * and inclusive time per part of the path, printed per unit of work (a hop, a notification).
 */
export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** A part of the path: a name and the frames that belong to it. */
export type ProfilePart = [string, (n: ProfileNode) => boolean];

export const inFile = (part: string) => (n: ProfileNode) => n.callFrame.url.includes(part);

/** Parts every path has, named once. */
export const PARTS = {
  gc: ['garbage collection', (n) => n.callFrame.functionName === '(garbage collector)'],
  honoNodeServer: ['@hono/node-server (request/response adaptation)', inFile('@hono/node-server')],
  hono: ['hono (routing, context, middleware)', (n) => /node_modules\/hono\//.test(n.callFrame.url)],
  ioredis: ['ioredis (commands, parser, socket writes)', (n) => n.callFrame.url.includes('ioredis') || n.callFrame.url.includes('redis-parser')],
  metrics: ['prom-client (metrics)', inFile('prom-client')],
  logging: ['pino (logging)', inFile('pino')],
  timers: ['timers (budgets, deadlines)', (n) => n.callFrame.functionName === 'setTimeout' || n.callFrame.functionName === 'clearTimeout' || n.callFrame.url.includes('internal/timers')],
  nodeHttp: ['node:http / net internals', (n) => /node:_http|node:net|node:internal\/(http|stream|streams)/.test(n.callFrame.url)],
} satisfies Record<string, ProfilePart>;

/** A fresh folder, and the gateway started after this call writes its profile there (via `startServer`). */
export function profileIntoNewDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'guichet-prof-'));
  process.env.BENCH_NODE_ARGS = `${process.env.BENCH_NODE_ARGS ?? ""} --cpu-prof --cpu-prof-dir=${dir}`.trim();
  return dir;
}

/** Reads the profile in `dir`; `headline` is given the busy (non-idle) µs; times are printed per one of `count` units. */
export function reportProfile(dir: string, count: number, unit: string, headline: (busyUs: number) => string, parts: readonly ProfilePart[]): void {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile written in ${dir}`);
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const idle = [...selfUs].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)').reduce((a, [, us]) => a + us, 0);
  const busy = total - idle;
  const per = Math.max(1, count);
  const line = (us: number, name: string) => `${((100 * us) / busy).toFixed(1).padStart(5)}%  ${(us / per).toFixed(1).padStart(5)} µs/${unit}  ${name}`;
  const label = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*node_modules\//, '~/').replace(/^file:\/\/.*?\/(src|providers|bench)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;

  const self = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    if (n.callFrame.functionName === '(idle)') continue;
    self.set(label(n), (self.get(label(n)) ?? 0) + us);
  }
  console.log(headline(busy));
  console.log('\nself time, top 30:');
  for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(line(us, name));

  /** Inclusive time of every sample whose stack holds a frame matching the test (counted once per sample). */
  const inclusive = (test: (n: ProfileNode) => boolean): number => {
    let us = 0;
    for (const [id, t] of selfUs) {
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        if (test(byId.get(at)!)) {
          us += t;
          break;
        }
      }
    }
    return us;
  };
  console.log('\ninclusive, by part of the path (overlapping):');
  for (const [name, test] of parts) console.log(line(inclusive(test), name));
}
