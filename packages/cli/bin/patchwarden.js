#!/usr/bin/env node
// Runs the TypeScript entry point through tsx so that `npm ci` alone installs a working command
// (no separate build step to forget).
import { register } from 'tsx/esm/api';

// `patchwarden scan ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv);
