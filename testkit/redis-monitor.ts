import { Redis } from 'ioredis';

/**
 * The commands `run` sent, by name, as MONITOR saw them on database `db` of `url` (a database the
 * test has to itself). What a script runs inside the server (source `lua`) is not counted: the
 * client did not send it. `marker` is a client on that database: MONITOR starts with the next
 * command the server runs, so a PING before and after brackets what is counted (and is not).
 */
export async function countCommands(url: string, db: number, marker: Redis, run: () => Promise<void>): Promise<Map<string, number>> {
  const monitor = await new Redis(url).monitor();
  const seen = new Map<string, number>();
  monitor.on('monitor', (_time: string, args: string[], source: string, database: string) => {
    if (Number(database) !== db || source === 'lua') return;
    const name = args[0]!.toUpperCase();
    seen.set(name, (seen.get(name) ?? 0) + 1);
  });
  await marker.ping('start');
  await run();
  await marker.ping('end');
  // MONITOR's feed trails the replies a little.
  await new Promise((resolve) => setTimeout(resolve, 200));
  monitor.disconnect();
  seen.delete('PING');
  return seen;
}
