import type { Menu } from './schema.js';

/**
 * The menus the gateway serves, by service code, plus every version still needed by a live
 * session: a reload swaps what new sessions get, and old sessions finish on their own version.
 */
export class MenuRegistry {
  private byServiceCode = new Map<string, Menu>();
  private byVersion = new Map<string, Menu>();

  constructor(menus: readonly Menu[] = []) {
    this.replace(menus);
  }

  /** Serves a new set of menus; versions already handed out stay resolvable. */
  replace(menus: readonly Menu[]): void {
    const byServiceCode = new Map<string, Menu>();
    for (const menu of menus) {
      for (const code of menu.serviceCodes) {
        const other = byServiceCode.get(code);
        if (other) throw new Error(`service code ${code} is claimed by both ${other.source} and ${menu.source}`);
        byServiceCode.set(code, menu);
      }
      this.byVersion.set(versionKey(menu.id, menu.version), menu);
    }
    this.byServiceCode = byServiceCode;
  }

  forServiceCode(serviceCode: string): Menu | undefined {
    return this.byServiceCode.get(serviceCode);
  }

  /**
   * The menu for a dialled string and the inputs dialled past its code: with `*123#` and
   * `*123*2#` both served, `*123*2*PS00373-240001#` goes to the `*123*2#` menu with the input
   * `PS00373-240001` (dial-through). The longest declared code wins.
   */
  resolve(dialled: string): { menu: Menu; code: string; inputs: string[] } | undefined {
    const match = /^\*(\d+(?:\*[^*#]+)*)#$/.exec(dialled.trim());
    if (!match?.[1]) return undefined;
    const parts = match[1].split('*');
    for (let take = parts.length; take >= 1; take--) {
      const code = `*${parts.slice(0, take).join('*')}#`;
      const menu = this.byServiceCode.get(code);
      if (menu) return { menu, code, inputs: parts.slice(take) };
    }
    return undefined;
  }

  atVersion(menuId: string, version: string): Menu | undefined {
    return this.byVersion.get(versionKey(menuId, version));
  }

  all(): Menu[] {
    return [...new Set(this.byServiceCode.values())];
  }
}

const versionKey = (menuId: string, version: string) => `${menuId}@${version}`;
