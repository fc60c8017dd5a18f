// Plain JavaScript, loaded before tsx: the launcher stays a small process (no TypeScript loader).
import { spawn } from 'node:child_process';

/**
 * Node flags the server runs with. A larger young generation: an inventory upload's lines, items
 * and rows are alive until it is answered, a few tens of milliseconds under load, so with the
 * default semi-space (16 MiB) nearly every scavenge copied the in-flight uploads' data and
 * promoted part of it. Measured with `npm run bench:checkin` (2 cores): GC pauses 0.36-0.39 ms
 * per upload at the default, 0.13-0.14 ms at 64 MiB (0.31 at 32, 0.11-0.13 at 128 with 10% more
 * RSS). The young generation grows to this size only under load.
 */
export const SERVER_NODE_FLAGS = Object.freeze(['--max-semi-space-size=64']);

const SIGNALS_FORWARDED = ['SIGINT', 'SIGTERM'];

/** Whether Node already runs with a young-generation size of its operator's choosing. */
export function hasYoungGenerationSize(execArgv, nodeOptions = '') {
  return [...execArgv, ...nodeOptions.split(/\s+/)].some((flag) => /^--max-semi-space-size(=|$)/.test(flag));
}

/**
 * V8 reads heap sizes once, at start: `patchwarden server` started without SERVER_NODE_FLAGS runs
 * the server in a child process that has them (unless the young generation was sized already, in
 * NODE_OPTIONS or on the command line). The launcher forwards SIGINT and SIGTERM (a second one
 * during shutdown changes nothing), exits as the server did, and, if it is killed outright, the
 * server sees its IPC channel close and shuts down gracefully: no orphan keeps the port.
 * Answers whether the server runs in a child (the caller then does nothing else).
 */
export function relaunchServerWithNodeFlags(argv = process.argv) {
  if (hasYoungGenerationSize(process.execArgv, process.env.NODE_OPTIONS)) return false;
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, ...process.execArgv, ...argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  });
  const forward = (signal) => child.kill(signal);
  for (const signal of SIGNALS_FORWARDED) process.on(signal, forward);
  child.on('error', (error) => {
    process.stderr.write(`patchwarden: could not start the server process: ${error.message}\n`);
    process.exit(2);
  });
  child.on('exit', (code, signal) => {
    for (const forwarded of SIGNALS_FORWARDED) process.off(forwarded, forward);
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 2);
  });
  return true;
}
