import { parse as parseYaml } from 'yaml';
import { parseMenu } from '../../engine/menu-parse.js';
import type { Menu } from '../../engine/schema.js';
import { CcspData } from '../../services/ccsp-directory.js';
import type { ServiceRegistry } from '../../services/service-registry.js';
import { BUNDLED_MENU_DATA, BUNDLED_MENUS } from './menus.generated.js';

/** One file of `menus/` as the bundle holds it: its path from the repository root and its text. */
export interface BundledFile {
  path: string;
  text: string;
}

/**
 * The bundled menus, parsed and checked as Node checks the files (`src/runtime/node/menu-files.ts`):
 * a menu naming a service the gateway lacks stops the start, naming the file.
 */
export function bundledMenus(services: ServiceRegistry, files: readonly BundledFile[] = BUNDLED_MENUS): Menu[] {
  const menus = files.map((file) => {
    const menu = parseMenu(file.text, file.path);
    const unknown = menu.services.filter((s) => !Object.hasOwn(services, s));
    if (unknown.length > 0) throw new Error(`${menu.source}: services: the gateway has no service named ${unknown.map((s) => `"${s}"`).join(', ')}`);
    return menu;
  });
  if (menus.length === 0) throw new Error('menus.generated.ts holds no menu: run node scripts/bundle-menus.mjs');
  return menus;
}

/** `menus/data/ccsp.yaml` from the bundle, checked by the same schema as on Node. */
export function bundledCcspData(files: readonly BundledFile[] = BUNDLED_MENU_DATA): CcspData {
  const file = files.find((f) => f.path === 'menus/data/ccsp.yaml');
  if (!file) throw new Error('menus.generated.ts has no menus/data/ccsp.yaml: run node scripts/bundle-menus.mjs');
  const result = CcspData.safeParse(parseYaml(file.text));
  if (!result.success) throw new Error(`${file.path}: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return result.data;
}
