import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { paymentApis, providerManifests, smsCallbackEndpoints, smsRouteParts, ussdRegistry } from './index.js';
import { readEnv, type ProviderManifest } from './manifest.js';

/**
 * The registry is the only list of providers (issue 13 item 3): a folder left out of it, two
 * manifests under one name, or one URL claimed twice would each be a provider silently not
 * served, or served by the wrong code.
 */
const folders = readdirSync(new URL('.', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

const duplicates = (names: readonly string[]) => names.filter((name, i) => names.indexOf(name) !== i);

/** Every URL a provider owns on the gateway, as `METHOD path`. */
function urlsOf(manifest: ProviderManifest): string[] {
  const urls: string[] = [];
  if (manifest.ussd?.transport === 'http') {
    urls.push(`POST /ussd/${manifest.ussd.dialect.name}`);
    if (manifest.ussd.dialect.parseSessionEnd) urls.push(`POST /ussd/${manifest.ussd.dialect.name}/session-end`);
  }
  for (const endpoint of manifest.sms?.callbacks?.endpoints ?? []) for (const method of endpoint.methods) urls.push(`${method} ${endpoint.path}`);
  if (manifest.payment?.callback) urls.push(`POST /payments/${manifest.payment.name}/callback`, `PUT /payments/${manifest.payment.name}/callback`);
  return urls;
}

describe('the provider registry (providers/index.ts)', () => {
  it('lists every folder of providers/, and nothing else', () => {
    const registered = providerManifests.map((manifest) => manifest.name);
    expect(
      folders.filter((folder) => !registered.includes(folder)),
      'folders with no manifest in providers/index.ts',
    ).toEqual([]);
    expect(
      registered.filter((name) => !folders.includes(name)),
      'manifests named for no folder',
    ).toEqual([]);
  });

  it.each(folders)('providers/%s/index.ts exports one manifest, the registered one', async (folder) => {
    const exported = Object.values((await import(`./${folder}/index.ts`)) as Record<string, unknown>);
    expect(exported).toHaveLength(1);
    expect(exported[0]).toBe(providerManifests.find((manifest) => manifest.name === folder));
  });

  it('has no two manifests of one name, nor two dialects or payment APIs of one name', () => {
    expect(duplicates(providerManifests.map((m) => m.name))).toEqual([]);
    expect(duplicates(ussdRegistry.map((entry) => entry.dialect.name))).toEqual([]);
    expect(duplicates(providerManifests.flatMap((m) => (m.payment ? [m.payment.name] : [])))).toEqual([]);
    expect(Object.keys(paymentApis)).toHaveLength(providerManifests.filter((m) => m.payment).length);
  });

  it('has no URL claimed twice, by one manifest or by two', () => {
    const urls = providerManifests.flatMap(urlsOf);
    expect(urls.length).toBeGreaterThan(0);
    expect(duplicates(urls)).toEqual([]);
    for (const manifest of providerManifests) expect(duplicates(urlsOf(manifest)), manifest.name).toEqual([]);
  });

  it("files each SMS callback under its own route's path", () => {
    for (const { route, endpoint } of smsCallbackEndpoints) expect(endpoint.path.startsWith(`/sms/${route}/`), endpoint.path).toBe(true);
  });

  // What the Worker imports reaches every manifest: the Node runtime supplies Node-only links, never the other way round.
  it.each(folders)('providers/%s imports nothing from src/runtime/', (folder) => {
    const dir = new URL(`./${folder}/`, import.meta.url);
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))) {
      expect(readFileSync(new URL(file, dir), 'utf8'), `${folder}/${file}`).not.toMatch(/from '[./]*src\/runtime\//);
    }
  });

  it('starts with nothing set: the SMS and SMPP parts configure only what is built in', () => {
    const builtIn = smsRouteParts.flatMap((part) => {
      const read = readEnv(part.env, {});
      expect(read.ok).toBe(true);
      return read.ok ? read.value : [];
    });
    expect(builtIn.map((instance) => [instance.route, instance.variable])).toEqual([['sandbox', undefined]]);
    for (const entry of ussdRegistry) if (entry.transport === 'smpp') expect(readEnv(entry.env, {})).toEqual({ ok: true, value: [] });
  });
});
