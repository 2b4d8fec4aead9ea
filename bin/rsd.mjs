#!/usr/bin/env node
// The `rsd` command: runs the engine's TypeScript sources through tsx, so a clone works after
// `npm ci` with no build step, and the CLI is never stale against the source.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../engine/cli.ts');
process.exitCode = await main(process.argv.slice(2));
