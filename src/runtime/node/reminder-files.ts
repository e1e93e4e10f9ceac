import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { combineReminderRules, parseReminderRules, type AgencyReminders } from '../../reminders/rules.js';

/**
 * Every `<agency>.yaml` in `dir/reminders/` is that agency's reminders; no such folder: no
 * reminders. A file that does not validate stops the start, with its problems and their lines.
 */
export async function loadReminderFiles(menusDir: string): Promise<ReadonlyMap<string, AgencyReminders>> {
  const dir = join(menusDir, 'reminders');
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw error;
  }
  const files: AgencyReminders[] = [];
  for (const name of names) {
    const path = join(dir, name);
    files.push(parseReminderRules(await readFile(path, 'utf8'), name.replace(/\.ya?ml$/, ''), relative(process.cwd(), path) || path));
  }
  return combineReminderRules(files);
}
