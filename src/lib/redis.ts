import type { Cluster, Redis } from 'ioredis';

/**
 * Redis Cluster's hash slot of a key (CRC16/XMODEM of the key, or of its first non-empty `{tag}`,
 * modulo 16384), as the cluster specification defines it: https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#key-distribution-model
 */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) key = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of new TextEncoder().encode(key)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

/** How long an acknowledged write may wait for its replica before it is acknowledged anyway. */
export const REPLICA_WAIT_MS = 250;

/** The write's fate is unknown: its master went away before a replica confirmed it. */
export class ReplicationUnconfirmedError extends Error {}

/** How long a master's count of replicas is trusted before it is asked again. */
const REPLICA_COUNT_TTL_MS = 2_000;
const replicaCounts = new WeakMap<Redis, { count: number; at: number }>();

/**
 * Waits until a replica of the master owning `key` holds every write this
 * client sent it so far (`WAIT 1`), so a write we acknowledge (an accepted notification, a job, a
 * recorded payment) survives that master failing over: replication is asynchronous, and a master
 * killed right after answering takes what it had not yet streamed with it (seen in
 * `test/redis-cluster.test.ts`: one accepted notification in ~40 never sent after a `kill -9`).
 *
 * WAIT counts the writes of the connection it is sent on: the node connection the cluster client
 * routes that slot's commands through (`slots` names it, `nodes()` holds it). A master without a
 * replica (just promoted, its old master dead) has nothing to wait for: its count comes from
 * `INFO replication`, asked at most every 2 s (the client's slot map leaves out replicas that have
 * not yet received a write, and is refreshed only on MOVED), so it never waits out the time-out on
 * every write. A replica too slow to answer within `timeoutMs` leaves the write acknowledged, as
 * durable as its master. A master that is gone (or a node no longer master) throws
 * `ReplicationUnconfirmedError`: the caller answers "unavailable" and the sender's retry (same
 * idempotency key) completes the write. The same holds on one Redis (a Sentinel deployment's
 * master, or a URL's): a Redis without replica returns at once. Returns null when there was no
 * replica to wait for, otherwise the number of replicas that confirmed (0: none within `timeoutMs`).
 */
export async function awaitReplica(redis: Redis | Cluster, key: string, timeoutMs = REPLICA_WAIT_MS): Promise<number | null> {
  const master = redis.isCluster ? ownerOf(redis as Cluster, key) : (redis as Redis);
  if (!master) throw new ReplicationUnconfirmedError(`no connection to the master of slot ${keySlot(key)}`);
  try {
    if ((await replicaCount(master)) === 0) return null;
    return Number(await master.call('WAIT', '1', String(timeoutMs)));
  } catch (error) {
    // One Redis that stopped answering after it took the write: nothing else could hold it, so the
    // write is as durable as before (and the caller's next command meets the outage itself).
    if (!redis.isCluster) return null;
    throw new ReplicationUnconfirmedError(`replication not confirmed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * `awaitReplica` for the writes of one operation that touched several keys: one WAIT per master
 * they live on (a WAIT covers every earlier write of its connection), not one per key. On one
 * Redis, or a cluster where the keys share a master, that is a single WAIT.
 */
export async function awaitReplicas(redis: Redis | Cluster, keys: readonly string[], timeoutMs = REPLICA_WAIT_MS): Promise<void> {
  if (!redis.isCluster) {
    if (keys.length > 0) await awaitReplica(redis, keys[0]!, timeoutMs);
    return;
  }
  const byMaster = new Map<Redis | undefined, string>();
  for (const key of keys) {
    const master = ownerOf(redis as Cluster, key);
    if (!byMaster.has(master)) byMaster.set(master, key);
  }
  await Promise.all([...byMaster.values()].map((key) => awaitReplica(redis, key, timeoutMs)));
}

/** The node connection a cluster client sends `key`'s commands through. */
function ownerOf(cluster: Cluster, key: string): Redis | undefined {
  const owner = cluster.slots[keySlot(key)]?.[0];
  return owner === undefined ? undefined : cluster.nodes('all').find((node) => `${node.options.host}:${node.options.port}` === owner);
}

async function replicaCount(master: Redis): Promise<number> {
  const known = replicaCounts.get(master);
  if (known && Date.now() - known.at < REPLICA_COUNT_TTL_MS) return known.count;
  const count = Number(/connected_slaves:(\d+)/.exec(await master.info('replication'))?.[1] ?? 0);
  replicaCounts.set(master, { count, at: Date.now() });
  return count;
}
