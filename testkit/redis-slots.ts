import type { Cluster, Redis } from 'ioredis';

export { keySlot } from '../src/lib/redis.js';
import { keySlot } from '../src/lib/redis.js';

interface SentCommand {
  name: string;
  getKeys(): (string | Buffer)[];
}

/**
 * Watches what a client sends and records every script (EVAL/EVALSHA, so every `defineCommand`),
 * MULTI…EXEC block or multi-key command whose declared keys fall in more than one hash slot: what a
 * Redis Cluster refuses with CROSSSLOT. Keys a script builds itself are not declared; the cluster
 * test (`test/redis-cluster.test.ts`) meets those on a real cluster.
 */
export function auditSlots(client: Redis | Cluster): { violations: string[] } {
  const violations: string[] = [];
  let inMulti: { keys: string[]; commands: string[] } | undefined;
  const check = (what: string, keys: string[]) => {
    const slots = new Set(keys.map(keySlot));
    if (slots.size > 1) violations.push(`${what} touches ${slots.size} slots: ${keys.join(' ')}`);
  };
  const original = client.sendCommand.bind(client) as (command: SentCommand, ...rest: unknown[]) => unknown;
  (client as unknown as { sendCommand: typeof original }).sendCommand = (command: SentCommand, ...rest: unknown[]) => {
    const name = command.name.toLowerCase();
    const keys = command.getKeys().map(String);
    if (name === 'multi') inMulti = { keys: [], commands: [] };
    else if (name === 'exec' || name === 'discard') {
      if (inMulti) check(`MULTI ${inMulti.commands.join(' ')}`, inMulti.keys);
      inMulti = undefined;
    } else if (inMulti) {
      inMulti.keys.push(...keys);
      inMulti.commands.push(name.toUpperCase());
    } else check(name === 'evalsha' || name === 'eval' ? 'script' : name.toUpperCase(), keys);
    return original(command, ...rest);
  };
  return { violations };
}
