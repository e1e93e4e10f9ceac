import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCcspData, loadMenuFiles } from '../src/runtime/node/menu-files.js';
import { bundledCcspData, bundledMenus } from '../src/runtime/worker/bundled-menus.js';
import { BUNDLED_MENUS } from '../src/runtime/worker/menus.generated.js';
import { defaultServices } from '../testkit/harness.js';
// @ts-expect-error: a plain ES module script without types; only its two exports are used here.
import { generatedMenus, GENERATED_PATH } from '../scripts/bundle-menus.mjs';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const scratch: string[] = [];
afterAll(() => scratch.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('the Worker menu bundle (scripts/bundle-menus.mjs -> src/runtime/worker/menus.generated.ts)', () => {
  it('is up to date with menus/ (else: node scripts/bundle-menus.mjs)', () => {
    const wanted = (generatedMenus as (root?: string) => string)();
    expect(readFileSync(join(ROOT, GENERATED_PATH as string), 'utf8') === wanted, `${GENERATED_PATH} is stale against menus/: run node scripts/bundle-menus.mjs`).toBe(true);
  });

  it('would be stale after a new agency menu is added (the check sees menus/ itself)', () => {
    const copy = mkdtempSync(join(tmpdir(), 'guichet-menus-'));
    scratch.push(copy);
    cpSync(join(ROOT, 'menus'), join(copy, 'menus'), { recursive: true });
    const before = (generatedMenus as (root?: string) => string)(copy);
    writeFileSync(join(copy, 'menus', 'zz-new-agency.yaml'), readFileSync(join(ROOT, 'menus', 'anip.yaml'), 'utf8'));
    const after = (generatedMenus as (root?: string) => string)(copy);
    expect(after).not.toBe(before);
    expect(after).toContain('menus/zz-new-agency.yaml');
  });

  it('holds the same menus, with the same content hashes, as the Node gateway loads from menus/', async () => {
    const services = await defaultServices();
    const fromFiles = await loadMenuFiles(join(ROOT, 'menus'), services);
    const fromBundle = bundledMenus(services);
    expect(fromBundle.map((m) => `${m.id}@${m.version}`)).toEqual(fromFiles.map((m) => `${m.id}@${m.version}`));
    expect(BUNDLED_MENUS.map((f) => f.path)).toEqual(['menus/anip.yaml', 'menus/carriere.yaml', 'menus/rendez-vous.yaml', 'menus/service-public.yaml']);
    expect(bundledCcspData()).toEqual(await loadCcspData(join(ROOT, 'menus')));
  });

  it('refuses a menu naming a service the gateway lacks, naming the file', () => {
    const [first] = BUNDLED_MENUS;
    expect(() => bundledMenus({}, [first!])).toThrow(/menus\/anip\.yaml: services: the gateway has no service named/);
  });
});
