import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseMenu } from '../../engine/menu-parse.js';
import type { Menu } from '../../engine/schema.js';
import type { ServiceRegistry } from '../../services/service-registry.js';
import { CcspData } from '../../services/ccsp-directory.js';
import { AppointmentsConfig } from '../../appointments/calendar.js';

/** Every `*.yaml` directly in `dir` is a menu; `dir/data/` holds the data services read. */
export async function loadMenuFiles(dir: string, services: ServiceRegistry): Promise<Menu[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.yaml') || n.endsWith('.yml')).sort();
  const menus: Menu[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const menu = parseMenu(await readFile(path, 'utf8'), relative(process.cwd(), path) || path);
    const unknown = menu.services.filter((s) => !Object.hasOwn(services, s));
    if (unknown.length > 0) {
      throw new Error(`${menu.source}: services: the gateway has no service named ${unknown.map((s) => `"${s}"`).join(', ')}`);
    }
    menus.push(menu);
  }
  if (menus.length === 0) throw new Error(`${dir}: no menu files (*.yaml)`);
  return menus;
}

export async function loadCcspData(dir: string): Promise<CcspData> {
  const path = join(dir, 'data', 'ccsp.yaml');
  const result = CcspData.safeParse(parseYaml(await readFile(path, 'utf8')));
  if (!result.success) {
    throw new Error(`${path}: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return result.data;
}

/**
 * `menus/data/appointments.yaml`: the CCSPs' opening times and places (`src/appointments/calendar.ts`).
 * Null when the menus directory has none: that deployment takes no appointments (and a menu calling
 * `appointments.*` there is refused like any menu naming a service the gateway lacks).
 */
export async function loadAppointmentsConfig(dir: string): Promise<AppointmentsConfig | null> {
  const path = join(dir, 'data', 'appointments.yaml');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const result = AppointmentsConfig.safeParse(parseYaml(text));
  if (!result.success) {
    throw new Error(`${path}: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return result.data;
}
