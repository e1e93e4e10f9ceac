import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisTarget } from '../../config.js';

/**
 * The one place the Node runtime makes Redis clients, from REDIS_URL, REDIS_CLUSTER_NODES or
 * REDIS_SENTINELS (`config.redis`). Everything Redis-backed in the gateway (sessions, payments, SMS
 * store, cache, attempt counters, the BullMQ connections) gets its client here, so the three
 * deployments differ in this file only.
 *
 * Cluster: every script and MULTI in `src/**\/redis.ts` touches keys of one hash slot (checked by
 * `test/redis-cluster.test.ts` and `test/unit/redis-slots.test.ts`); reads and writes go to
 * masters (`scaleReads: 'master'`: a replica may lag a compare-and-set). During a failover a
 * command to the lost master fails at once (no offline queue) and the hop is answered politely;
 * `MOVED`/`TRYAGAIN` are followed by ioredis itself.
 */
export type RedisClient = Redis | Cluster;

/** Options for one connection (node options on a cluster). */
export function createRedisClient(target: RedisTarget, options: RedisOptions): RedisClient {
  switch (target.kind) {
    case 'url':
      return new Redis(target.url, options);
    case 'sentinel':
      // ioredis asks the sentinels for the master and follows it after a failover.
      return new Redis({ ...options, sentinels: target.sentinels, name: target.name });
    case 'cluster': {
      const { enableOfflineQueue, lazyConnect, enableAutoPipelining, retryStrategy, ...nodeOptions } = options;
      const clusterOptions: ClusterOptions = {
        redisOptions: nodeOptions,
        scaleReads: 'master',
        slotsRefreshTimeout: 2_000,
        // A failover takes the cluster a few seconds (cluster-node-timeout); a command meeting it
        // is retried after this instead of failing, within its own time-out.
        retryDelayOnFailover: 100,
        retryDelayOnClusterDown: 100,
        retryDelayOnTryAgain: 100,
        ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
        ...(lazyConnect !== undefined ? { lazyConnect } : {}),
        ...(enableAutoPipelining !== undefined ? { enableAutoPipelining } : {}),
        ...(retryStrategy ? { clusterRetryStrategy: (attempt: number) => retryStrategy(attempt) ?? null } : {}),
      };
      return new Cluster(target.nodes, clusterOptions);
    }
  }
}

/** A short name for logs and `/readyz`: which kind of Redis, never a password. */
export function describeRedisTarget(target: RedisTarget): string {
  if (target.kind === 'url') return 'redis';
  if (target.kind === 'cluster') return `redis cluster (${target.nodes.length} seed nodes)`;
  return `redis sentinel (master ${target.name})`;
}

/**
 * BullMQ's key prefix. On a cluster each queue's keys must share one slot (BullMQ's scripts touch
 * several), so the prefix is a hash tag; one tag per queue (`{guichet:sms.send.kannel}`) spreads the
 * queues over the masters. On one Redis (URL or Sentinel) the prefix stays what it was
 * (`guichet`), so jobs waiting when a deployment upgrades are still found.
 */
export function bullMqPrefixFor(target: RedisTarget, redisPrefix: string): (queue: string) => string {
  const base = redisPrefix.replace(/:$/, '');
  return target.kind === 'cluster' ? (queue) => `{${base}:${queue}}` : () => base;
}
