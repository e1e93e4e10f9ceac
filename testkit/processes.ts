import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './loopback-server.js';
import { until } from './until.js';

/**
 * Real processes the resilience suite breaks on purpose: a `redis-server` of its own on a free
 * loopback port (never the shared one), and the gateway as `npm start` runs it.
 */
const ROOT = new URL('..', import.meta.url).pathname;

/** Whether something accepts connections on a loopback port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

export class OwnRedis {
  private child: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    /** Where a durable one keeps its append-only file. */
    private readonly dir: string | undefined,
  ) {}

  /**
   * `durable`: an append-only file, fsync always, so a kill -9 keeps what was acknowledged, as a
   * production Redis with AOF does; otherwise nothing is kept on disk.
   */
  static async onFreePort(options: { durable?: boolean } = {}): Promise<OwnRedis> {
    return new OwnRedis(await freePort(), options.durable ? mkdtempSync(join(tmpdir(), 'guichet-redis-')) : undefined);
  }

  /** One on a free port, started. */
  static async started(options: { durable?: boolean } = {}): Promise<OwnRedis> {
    const redis = await OwnRedis.onFreePort(options);
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts it (again, after a kill or a stop: same port, same file) and waits until it listens. */
  async start(): Promise<void> {
    const persistence = this.dir ? ['--dir', this.dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'] : ['--save', '', '--appendonly', 'no'];
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', ...persistence], { stdio: 'ignore' });
    await until(() => listening(this.port), 'redis-server to listen', 15_000);
  }

  /** Kills it outright (no goodbye to clients), and waits until it is gone. */
  async kill(): Promise<void> {
    await this.end('SIGKILL');
  }

  /** Stops it as an operator does (SIGTERM), and waits until it is gone. */
  async stop(): Promise<void> {
    await this.end('SIGTERM');
  }

  private async end(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await gone;
  }

  /** A frozen Redis: connections stay open, nothing answers. */
  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  thaw(): void {
    this.child?.kill('SIGCONT');
  }

  /** Removes a durable one's file (once killed or stopped). */
  cleanup(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface GatewayProcess {
  url: string;
  port: number;
  child: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
}

/**
 * The gateway as `npm start` runs it, in its own process, once it answers /livez (or has exited).
 * It does not inherit the shared `REDIS_URL`: a test that wants Redis names its own. `port`: to
 * start it again where a killed one was; `startMs`: how long it may take to answer (15 s unless told).
 */
export async function startGateway(env: Record<string, string>, options: { port?: number; startMs?: number } = {}): Promise<GatewayProcess> {
  const port = options.port ?? (await freePort());
  const { REDIS_URL: _shared, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/runtime/node/main.ts'], {
    cwd: ROOT,
    env: { ...inherited, LOG_LEVEL: 'info', MENUS_WATCH: '0', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  try {
    await until(async () => (await fetch(`${url}/livez`).then((r) => r.ok, () => false)) || child.exitCode !== null, () => `the gateway to answer /livez; its output ends: ${output.slice(-2000)}`, options.startMs ?? 15_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { url, port, child, exited, output: () => output };
}

/** One Africa's Talking hop over real HTTP, timed. */
export async function hop(url: string, sessionId: string, text: string, phoneNumber = '+2290197000001'): Promise<{ status: number; body: string; ms: number }> {
  const started = Date.now();
  const res = await fetch(`${url}/ussd/africastalking`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ sessionId, serviceCode: '*123#', phoneNumber, networkCode: '61602', text }).toString(),
  });
  return { status: res.status, body: await res.text(), ms: Date.now() - started };
}
