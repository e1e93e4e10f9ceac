#!/usr/bin/env node
// The `guichet` command: runs the TypeScript CLI through tsx (a dependency), no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/guichet.ts');
process.exit(await main(process.argv.slice(2)));
