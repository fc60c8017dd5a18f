#!/usr/bin/env node
// Runs the TypeScript entry point through tsx so that `npm ci` alone installs a working command
// (no separate build step to forget).
import { relaunchServerWithNodeFlags } from './server-process.js';

// `patchwarden scan ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

// The verb is the first argument that is not an option (as in src/main.ts).
const verb = process.argv.slice(2).find((arg) => !arg.startsWith('-'));
if (verb !== 'server' || !relaunchServerWithNodeFlags()) {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../src/main.ts');
  process.exitCode = await main(process.argv);
}
