#!/usr/bin/env node
/**
 * Completes package-lock.json with the platform builds of msgpackr-extract (a BullMQ optional
 * dependency) that the registry mirror this project is developed against does not serve. Without
 * them `npm install` writes a lock that `npm ci` refuses ("Missing: … from lock file"). The entries
 * carry `os`/`cpu`, so `npm ci` skips them on other platforms without fetching anything.
 *
 * Run after any `npm install`: `node scripts/complete-lockfile.mjs`.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const platforms = {
  'darwin-arm64': [['darwin'], ['arm64']],
  'darwin-x64': [['darwin'], ['x64']],
  'linux-arm': [['linux'], ['arm']],
  'linux-arm64': [['linux'], ['arm64']],
  'linux-x64': [['linux'], ['x64']],
  'win32-x64': [['win32'], ['x64']],
};
const added = [];
for (const entry of Object.values(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    const platform = platforms[name.split('msgpackr-extract-')[1] ?? ''];
    if (lock.packages[key] || !name.startsWith('@msgpackr-extract/') || !platform) continue;
    lock.packages[key] = { version, cpu: platform[1], license: 'MIT', optional: true, os: platform[0] };
    added.push(key);
  }
}
writeFileSync(path, JSON.stringify(lock, null, 2) + '\n');
console.log(added.length ? `added ${added.join(', ')}` : 'lockfile already complete');
