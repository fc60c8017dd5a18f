import { readFile, stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { PatchwardenError } from '@patchwarden/core';
import { asPatchwardenError, pwError } from '@patchwarden/core';
import type { AgentConfig } from './agent.ts';
import { runAgent } from './agent.ts';
import type { CollectOptions } from './collect/collect-options.ts';
import { collectOptions } from './collect/collect-options.ts';
import { collectHostReport } from './collect/collect-host-report.ts';
import { inventoryHash } from './inventory-hash.ts';
import type { AgentLogger } from './log.ts';
import { stderrLogger } from './log.ts';
import { AGENT_VERSION } from './version.ts';

/** 0: done; 1: `--once` could not deliver (the inventory stays queued); 2: usage or configuration error. */
export const EXIT_OK = 0;
export const EXIT_UNDELIVERED = 1;
export const EXIT_ERROR = 2;

export const USAGE = `Usage:
  patchwarden-agent run --server URL --state-dir DIR [--enrolment-secret-file FILE]
                        [--ca FILE] [--pin-sha256 PIN]... [--interval SECONDS]
                        [--lockfile-path PATH]... [--lockfile-depth N] [--timeout SECONDS] [--once]
  patchwarden-agent collect [--json] [--lockfile-path PATH]... [--lockfile-depth N]
  patchwarden-agent --version

run      enrol (first time) then check in every interval; uploads the inventory when it changed
         or the server asks for it. Stops cleanly on SIGTERM/SIGINT.
collect  print what would be sent (facts, OS, packages, inventory hash) and exit.

--server              https://host:8443 (http:// only to 127.0.0.0/8, ::1, localhost)
--state-dir           where the credential (mode 0600) and the queued inventory are kept
--enrolment-secret-file  file holding the enrolment secret (needed to enrol, and to re-enrol)
--ca                  PEM bundle of the CAs that sign the server certificate
--pin-sha256          accept only this server key (base64 SHA-256 of its SubjectPublicKeyInfo)
                      or certificate (hex SHA-256 fingerprint); repeat for a key rollover
--interval            check-in interval in seconds (default: what the server says, else 300)
--lockfile-path       a lockfile, or a directory searched for lockfiles (repeatable)
--lockfile-depth      how deep directories are searched (default 6; node_modules and .git skipped)
--timeout             per-request timeout in seconds (default 30)
--once                one cycle, then exit (0 delivered, 1 not delivered, 2 error)
`;

export interface MainIo {
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  /** Stops `run`; when absent, SIGTERM and SIGINT do. */
  signal?: AbortSignal;
  log?: AgentLogger;
}

export async function main(argv: readonly string[], io: MainIo = {}): Promise<number> {
  const out = io.stdout ?? ((text: string) => void process.stdout.write(text));
  const err = io.stderr ?? ((text: string) => void process.stderr.write(text));
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        server: { type: 'string' },
        'state-dir': { type: 'string' },
        'enrolment-secret-file': { type: 'string' },
        ca: { type: 'string' },
        'pin-sha256': { type: 'string', multiple: true },
        interval: { type: 'string' },
        'lockfile-path': { type: 'string', multiple: true },
        'lockfile-depth': { type: 'string' },
        timeout: { type: 'string' },
        once: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    }) as { values: Values; positionals: string[] };
    if (values.version) {
      out(`${AGENT_VERSION}\n`);
      return EXIT_OK;
    }
    const [verb, ...rest] = positionals;
    if (values.help || verb === undefined) {
      out(USAGE);
      return values.help ? EXIT_OK : EXIT_ERROR;
    }
    if (rest.length > 0) throw usage(`unexpected argument "${rest[0]}"`);
    const collect = collectOverrides(values);
    if (verb === 'collect') return await collectVerb(collect, values.json === true, out);
    if (verb === 'run') return await runVerb(values, collect, io, err);
    throw usage(`unknown command "${verb}" (run, collect)`);
  } catch (thrown) {
    const badArguments = String((thrown as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
    const error = asPatchwardenError(thrown, badArguments ? 'PW_ERR_USAGE' : undefined);
    const where = error.location();
    err(`patchwarden-agent: ${error.code}: ${error.message}${where ? ` (${where})` : ''}\n`);
    if (error.code === 'PW_ERR_USAGE') err(`Run "patchwarden-agent --help" for usage.\n`);
    return EXIT_ERROR;
  }
}

type Values = Record<string, string | string[] | boolean | undefined>;

function collectOverrides(values: Values): Partial<CollectOptions> {
  const overrides: Partial<CollectOptions> = {};
  const paths = values['lockfile-path'];
  if (Array.isArray(paths)) overrides.lockfilePaths = paths;
  const depth = values['lockfile-depth'];
  if (typeof depth === 'string') overrides.lockfileMaxDepth = integer(depth, 'lockfile-depth', 0, 64);
  return overrides;
}

async function collectVerb(
  overrides: Partial<CollectOptions>,
  json: boolean,
  out: (text: string) => void,
): Promise<number> {
  const { report, sources, warnings } = await collectHostReport(collectOptions(overrides));
  const hash = inventoryHash(report.os, report.packages);
  if (json) {
    out(`${JSON.stringify({ inventoryHash: hash, ...report, sources, warnings }, null, 2)}\n`);
    return EXIT_OK;
  }
  const byManager = new Map<string, number>();
  for (const p of report.packages)
    byManager.set(p.packageManager, (byManager.get(p.packageManager) ?? 0) + 1);
  const { facts } = report;
  out(
    [
      `host        ${facts.hostname}${facts.fqdn ? ` (${facts.fqdn})` : ''}`,
      `os          ${report.os.prettyName ?? `${report.os.id} ${report.os.versionId ?? ''}`}`,
      `kernel      ${facts.kernel} ${facts.architecture}`,
      `ips         ${facts.ips.join(' ') || '-'}`,
      `macs        ${facts.macs.join(' ') || '-'}`,
      `uptime      ${facts.uptimeSeconds} s${facts.rebootRequired ? ', reboot required' : ''}`,
      `packages    ${report.packages.length} (${[...byManager].map(([m, n]) => `${m} ${n}`).join(', ') || 'none'})`,
      `sources     ${sources.join(', ') || '-'}`,
      `hash        ${hash}`,
      `warnings    ${warnings.length}`,
      '',
    ].join('\n'),
  );
  return EXIT_OK;
}

async function runVerb(
  values: Values,
  collect: Partial<CollectOptions>,
  io: MainIo,
  err: (text: string) => void,
): Promise<number> {
  const server = values.server;
  const stateDir = values['state-dir'];
  if (typeof server !== 'string') throw usage('run needs --server');
  if (typeof stateDir !== 'string') throw usage('run needs --state-dir');
  const config: AgentConfig = { server, stateDir, collect, once: values.once === true };
  const secretFile = values['enrolment-secret-file'];
  if (typeof secretFile === 'string') config.enrolmentSecret = await readSecret(secretFile, err);
  if (typeof values.ca === 'string') config.ca = await readInput(values.ca, 'ca');
  const pins = values['pin-sha256'];
  if (Array.isArray(pins)) config.pins = pins;
  if (typeof values.interval === 'string')
    config.intervalSeconds = integer(values.interval, 'interval', 10, 86_400);
  if (typeof values.timeout === 'string')
    config.requestTimeoutMs = integer(values.timeout, 'timeout', 1, 600) * 1000;

  const log = io.log ?? stderrLogger();
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  const signal = io.signal ?? controller.signal;
  if (!io.signal) {
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  }
  try {
    const result = await runAgent(config, { signal, log });
    return result.ok ? EXIT_OK : EXIT_UNDELIVERED;
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  }
}

/** The secret is read from a file so that it never shows in `ps` or the shell history. */
async function readSecret(path: string, err: (text: string) => void): Promise<string> {
  const secret = (await readInput(path, 'enrolment-secret-file')).trim();
  if (secret === '')
    throw pwError('PW_ERR_USAGE', `${path}: the enrolment secret file is empty`, { file: path });
  const { mode } = await stat(path);
  if ((mode & 0o077) !== 0)
    err(
      `patchwarden-agent: warning: ${path} is readable by other users (mode ${(mode & 0o777).toString(8)}); chmod 600 it\n`,
    );
  return secret;
}

async function readInput(path: string, field: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    throw pwError(
      code === 'ENOENT' ? 'PW_ERR_FILE_NOT_FOUND' : 'PW_ERR_USAGE',
      `--${field}: ${path} cannot be read (${String(code ?? cause)})`,
      { file: path, field },
      cause,
    );
  }
}

function integer(text: string, field: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max)
    throw usage(`--${field} must be a whole number from ${min} to ${max}, not "${text}"`, field);
  return value;
}

function usage(message: string, field?: string): PatchwardenError {
  return pwError('PW_ERR_USAGE', message, field ? { field } : {});
}
