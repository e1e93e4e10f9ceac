import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './loopback-server.js';
import { listening } from './processes.js';
import { until } from './until.js';

/**
 * Redis topologies of a test's own, from Debian's `redis-server` and `redis-cli`, on free loopback
 * ports with temp dirs, so they never meet the shared Redis: a Redis Cluster (3 masters, 3 replicas)
 * and a master with a replica watched by three sentinels. `stop()` kills every process and removes
 * every dir; a test calls it in `afterAll` (it is safe to call twice, or after a failed start).
 */
interface Node {
  port: number;
  child: ChildProcess;
}

function spawnRedis(args: string[]): ChildProcess {
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  child.on('error', () => {});
  return child;
}

async function kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await gone;
}

/** One command to one node, for setup and checks (its own short-lived connection). */
async function ask(port: number, ...command: string[]): Promise<string> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    return String(await client.call(command[0]!, ...command.slice(1)));
  } finally {
    client.disconnect();
  }
}

export class OwnRedisCluster {
  private readonly nodes: Node[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'guichet-cluster-'));

  /** Six nodes, `redis-cli --cluster create … --cluster-replicas 1`, then `cluster_state:ok` everywhere. */
  static async start(): Promise<OwnRedisCluster> {
    const cluster = new OwnRedisCluster();
    try {
      for (let i = 0; i < 6; i++) {
        const port = await freePort();
        // The bus port is named: port + 10000 (the default) may be past 65535 for an ephemeral port.
        const busPort = await freePort();
        const nodeDir = mkdtempSync(join(cluster.dir, `node-${port}-`));
        const child = spawnRedis([
          '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-port', String(busPort),
          '--cluster-config-file', join(nodeDir, 'nodes.conf'), '--cluster-node-timeout', '2000', '--dir', nodeDir,
          '--save', '', '--appendonly', 'no',
          // DEBUG SLEEP from loopback: a test holds a replica back to see a write wait for it.
          '--enable-debug-command', 'local',
        ]);
        cluster.nodes.push({ port, child });
      }
      for (const node of cluster.nodes) await until(() => listening(node.port), `cluster node ${node.port} to listen`, 10_000);
      const created = spawnSync('redis-cli', ['--cluster', 'create', ...cluster.nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'], { encoding: 'utf8', timeout: 30_000 });
      if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
      await cluster.waitHealthy();
      // Each master has its replica attached and in sync: a write acknowledged after WAIT (see
      // awaitReplica) would otherwise wait out its time-out during the first full sync. The masters
      // are asked again on every look: on a loaded machine a node can miss the 2 s node time-out
      // while the cluster forms and its replica take over, and the old master then syncs as a replica.
      await until(async () => {
        const masters = await cluster.masters().catch(() => []);
        if (masters.length !== 3) return false;
        for (const master of masters) {
          if (!/connected_slaves:1\b[\s\S]*state=online/.test(await ask(master, 'INFO', 'replication').catch(() => ''))) return false;
        }
        return true;
      }, 'every master to have its replica in sync', 60_000);
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  /** `host:port,…` as REDIS_CLUSTER_NODES takes it. */
  get seeds(): string {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
  }

  get startupNodes(): { host: string; port: number }[] {
    return this.nodes.map((n) => ({ host: '127.0.0.1', port: n.port }));
  }

  /** Every live node says `cluster_state:ok` and three of them are masters with slots. */
  async waitHealthy(ms = 20_000): Promise<void> {
    await until(async () => {
      for (const node of this.live()) if (!(await ask(node.port, 'CLUSTER', 'INFO').catch(() => '')).includes('cluster_state:ok')) return false;
      return (await this.masters().catch(() => [])).length === 3;
    }, 'the cluster to be ok with 3 masters', ms);
  }

  /** Ports of the masters holding slots, as a live node sees them. */
  async masters(): Promise<number[]> {
    const [node] = this.live();
    const lines = (await ask(node!.port, 'CLUSTER', 'NODES')).trim().split('\n');
    return lines
      .map((line) => line.split(' '))
      .filter((f) => f[2]!.includes('master') && !f[2]!.includes('fail') && f.length > 8)
      .map((f) => Number(f[1]!.split('@')[0]!.split(':')[1]));
  }

  /** The replica of a master (its port). */
  async replicaOf(masterPort: number): Promise<number> {
    const [node] = this.live();
    const lines = (await ask(node!.port, 'CLUSTER', 'NODES')).trim().split('\n').map((line) => line.split(' '));
    const master = lines.find((f) => Number(f[1]!.split('@')[0]!.split(':')[1]) === masterPort);
    const replica = lines.find((f) => f[3] === master?.[0] && f[2]!.includes('slave'));
    if (!replica) throw new Error(`no replica for ${masterPort}`);
    return Number(replica[1]!.split('@')[0]!.split(':')[1]);
  }

  /** `CLUSTER FAILOVER` on the master's replica (a manual, lossless switch); waits until the replica is master. */
  async failover(masterPort: number): Promise<number> {
    const replica = await this.replicaOf(masterPort);
    await ask(replica, 'CLUSTER', 'FAILOVER');
    await until(async () => (await ask(replica, 'ROLE').catch(() => '')).startsWith('master'), `replica ${replica} to take over`, 15_000);
    return replica;
  }

  /** Kills a node outright (SIGKILL): its replica is promoted once the others agree it failed. */
  async killNode(port: number): Promise<void> {
    const node = this.nodes.find((n) => n.port === port);
    if (node) await kill(node.child);
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => kill(n.child)));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private live(): Node[] {
    return this.nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null);
  }
}

/** A master, its replica and three sentinels watching it under `name`. */
export class OwnRedisSentinel {
  readonly name = 'guichet';
  private readonly children: ChildProcess[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'guichet-sentinel-'));
  private constructor(
    readonly masterPort: number,
    readonly replicaPort: number,
    readonly sentinelPorts: number[],
  ) {}

  static async start(): Promise<OwnRedisSentinel> {
    const ports = await Promise.all(Array.from({ length: 5 }, () => freePort()));
    const setup = new OwnRedisSentinel(ports[0]!, ports[1]!, ports.slice(2));
    try {
      const data = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
      setup.children.push(spawnRedis(['--port', String(setup.masterPort), ...data]));
      setup.children.push(spawnRedis(['--port', String(setup.replicaPort), '--replicaof', '127.0.0.1', String(setup.masterPort), ...data]));
      for (const port of [setup.masterPort, setup.replicaPort]) await until(() => listening(port), `redis ${port} to listen`, 10_000);
      for (const port of setup.sentinelPorts) {
        // A sentinel rewrites its configuration file: each gets its own, in the temp dir.
        const file = join(setup.dir, `sentinel-${port}.conf`);
        writeFileSync(file, [
          `port ${port}`, 'bind 127.0.0.1', `dir ${setup.dir}`,
          `sentinel monitor ${setup.name} 127.0.0.1 ${setup.masterPort} 2`,
          `sentinel down-after-milliseconds ${setup.name} 1000`,
          `sentinel failover-timeout ${setup.name} 5000`, '',
        ].join('\n'));
        setup.children.push(spawnRedis([file, '--sentinel']));
      }
      for (const port of setup.sentinelPorts) await until(() => listening(port), `sentinel ${port} to listen`, 10_000);
      await until(async () => (await ask(setup.masterPort, 'INFO', 'replication').catch(() => '')).includes('connected_slaves:1'), 'the replica to attach', 10_000);
      await until(async () => (await ask(setup.sentinelPorts[0]!, 'SENTINEL', 'REPLICAS', setup.name).catch(() => '')).length > 0, 'the sentinels to see the replica', 10_000);
      return setup;
    } catch (error) {
      await setup.stop();
      throw error;
    }
  }

  /** `host:port,…` as REDIS_SENTINELS takes it. */
  get sentinels(): string {
    return this.sentinelPorts.map((p) => `127.0.0.1:${p}`).join(',');
  }

  /** The port of the master the sentinels name now. */
  async currentMaster(): Promise<number> {
    const client = new Redis({ port: this.sentinelPorts[0]!, host: '127.0.0.1', maxRetriesPerRequest: 0, lazyConnect: true });
    client.on('error', () => {});
    try {
      await client.connect();
      const [, port] = (await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name)) as [string, string];
      return Number(port);
    } finally {
      client.disconnect();
    }
  }

  /** `SENTINEL FAILOVER name`, then waits until the sentinels name the other server. */
  async failover(): Promise<number> {
    const before = await this.currentMaster();
    await ask(this.sentinelPorts[0]!, 'SENTINEL', 'FAILOVER', this.name);
    await until(async () => (await this.currentMaster()) !== before, 'the sentinels to name a new master', 15_000);
    const after = await this.currentMaster();
    await until(async () => (await ask(after, 'ROLE').catch(() => '')).startsWith('master'), 'the new master to be master', 10_000);
    return after;
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((child) => kill(child)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
