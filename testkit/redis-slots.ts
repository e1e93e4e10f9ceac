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
  for (const byte of Buffer.from(key)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

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
