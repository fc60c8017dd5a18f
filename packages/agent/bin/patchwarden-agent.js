#!/usr/bin/env node
// Runs the TypeScript entry point through tsx so that `npm ci` alone installs a working command
// (no separate build step to forget).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
