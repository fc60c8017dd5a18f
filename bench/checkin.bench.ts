/**
 * Agent check-in throughput: `npm run bench:checkin [-- --agents 200 --concurrency 64 --duration 10 --form text|json-text|objects --fleet dpkg|alma9]`.
 *
 * The server runs in a child process (this file with `--serve`) on a fresh PostgreSQL database
 * `pw_bench_<random>` (DATABASE_URL names the server, default postgres://postgres@127.0.0.1:5432),
 * so that its CPU and memory are measured apart from the load generator's; the database is dropped
 * at the end. N simulated agents enrol over loopback HTTP, then two timed phases run:
 *   (a) heartbeats: POST /agent/v1/checkin, C in flight, for D seconds;
 *   (b) full inventories: PUT /agent/v1/inventory with 1,500 packages each (real dpkg rows,
 *       multiplied and perturbed so that each upload is a different inventory), for D seconds,
 *       sent as the agent sends them: INVENTORY_TEXT_MEDIA_TYPE, a JSON envelope line and the raw
 *       canonical text (`--form json-text`: the text as a JSON string; `--form objects`: JSON objects).
 * Printed: requests/s, p50/p99 latency, requests answered in each second (and when the slow ones
 * ended), errors by status, the server's peak RSS (VmHWM), and CPU per request of the server
 * process and of PostgreSQL (every `postgres` process on this machine,
 * so other sessions' queries count too when the machine is shared): compare those between runs,
 * they move less with other load than requests/s do.
 *
 * The server runs as deployed (with the Node flags of `patchwarden server`) except that the
 * per-client rate limits are off (every simulated agent shares 127.0.0.1) and request logs go to
 * /dev/null (still formatted, not printed).
 * PW_BENCH_CPU_PROF=<dir> writes a CPU profile of the server process.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  AGENT_PROTOCOL_PATHS,
  canonicalInventoryText,
  canonicalPackageLine,
  INVENTORY_TEXT_MEDIA_TYPE,
  inventoryTextBody,
} from '@patchwarden/core';
import type {
  AgentCheckinRequest,
  AgentCheckinResponse,
  AgentEnrolRequest,
  AgentEnrolResponse,
  AgentFacts,
  AgentInventoryEnvelope,
  AgentInventoryRequest,
  InstalledPackage,
  OsRelease,
} from '@patchwarden/core';
import { parseDpkgStatus, parseInventoryFile } from '@patchwarden/inventory';
import { SERVER_NODE_FLAGS } from '../packages/cli/bin/server-process.js';
import { sharedDataPath } from '../test-support/shared-data.ts';
import pg from 'pg';
import { Pool } from 'undici';

const HERE = fileURLToPath(import.meta.url);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const PACKAGES_PER_HOST = 1_500;

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

function databaseUrl(name: string): string {
  const url = new URL(process.env['DATABASE_URL'] ?? DEFAULT_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

// ── the server, in its own process ──────────────────────────────────────────────────────────

async function serve(): Promise<void> {
  const { createPatchwardenApp } = await import('@patchwarden/server');
  const { openDatabase } = await import('@patchwarden/store');
  const database = await openDatabase({ databaseUrl: process.env['PW_BENCH_DATABASE_URL']! });
  const app = await createPatchwardenApp({
    database,
    rateLimit: false,
    logger: { level: 'info', stream: createWriteStream('/dev/null') },
  });
  const { secret } = await app.platform.auth.createEnrolmentSecret(
    { name: 'bench', maxUses: 1_000_000, expiresAt: new Date(Date.now() + 3_600_000) },
    { kind: 'system', name: 'bench' },
  );
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  // Garbage-collection pauses of the server's main thread, asked for by SIGUSR2: the share of its
  // time that no request runs, which CPU figures alone do not show.
  const gc = { ms: 0, count: 0 };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.ms += entry.duration;
      gc.count++;
    }
  }).observe({ entryTypes: ['gc'] });
  process.on('SIGUSR2', () => process.stdout.write(`${JSON.stringify(gc)}\n`));
  process.stdout.write(`${JSON.stringify({ url, secret })}\n`);
  // The parent closes stdin to stop us: no signals needed, and an orphaned server cannot linger.
  process.stdin.resume();
  process.stdin.on('end', () => {
    void app
      .close()
      .then(() => database.close())
      .then(() => process.exit(0));
  });
}

// ── the load generator ──────────────────────────────────────────────────────────────────────

/**
 * What the simulated hosts run. `dpkg` (the default): real dpkg rows on Ubuntu 22.04, with no
 * advisories stored, so every upload stores and matches but finds nothing. `alma9`: the real
 * AlmaLinux 9 host of ../shared/data (590 rpm packages) on a store holding the real AlmaLinux 9 OSV
 * feed (fixtures/feeds), so that every upload also computes and stores real findings (about a
 * thousand on a host's first upload).
 */
interface Fleet {
  name: 'dpkg' | 'alma9';
  os: OsRelease;
  /** The real rows, before they are grown to 1,500 by renamed copies (which match nothing). */
  real(): Promise<InstalledPackage[]>;
  feeds: string[];
}

const FLEETS: Record<Fleet['name'], Fleet> = {
  dpkg: {
    name: 'dpkg',
    os: {
      id: 'ubuntu',
      versionId: '22.04',
      versionCodename: 'jammy',
      name: 'Ubuntu',
      prettyName: 'Ubuntu 22.04.4 LTS',
      idLike: ['debian'],
    },
    // The fixture, plus this machine's status file when present.
    real: async () => {
      const files = [`${ROOT}fixtures/inventory/dpkg/trivy-ubuntu1804-status`, '/var/lib/dpkg/status'].filter(
        (f) => existsSync(f),
      );
      const seen = new Map<string, InstalledPackage>();
      for (const file of files) {
        for (const p of parseDpkgStatus(readFileSync(file, 'utf8'), '/var/lib/dpkg/status').packages) {
          const key = `${p.name}:${p.arch ?? ''}`;
          if (!seen.has(key)) seen.set(key, p);
        }
      }
      return [...seen.values()];
    },
    feeds: [],
  },
  alma9: {
    name: 'alma9',
    os: {
      id: 'almalinux',
      versionId: '9.0',
      name: 'AlmaLinux',
      prettyName: 'AlmaLinux 9.0 (Emerald Puma)',
      idLike: ['rhel', 'centos', 'fedora'],
    },
    real: async () => {
      const file = sharedDataPath('inventory/vuls-scan-results/alma_9.json');
      if (!file)
        throw new Error('--fleet alma9 needs ../shared/data (PATCHWARDEN_SHARED_DATA): it is absent');
      return (await parseInventoryFile(file)).packages;
    },
    feeds: [`${ROOT}fixtures/feeds/almalinux9-osv.jsonl.gz`],
  },
};

/** The fleet's real rows grown to 1,500 by renaming copies. */
function grown(real: readonly InstalledPackage[]): InstalledPackage[] {
  const out: InstalledPackage[] = [...real];
  for (let copy = 1; out.length < PACKAGES_PER_HOST; copy++) {
    for (const p of real) {
      if (out.length >= PACKAGES_PER_HOST) break;
      out.push({
        ...p,
        name: `${p.name}-pw${copy}`,
        ...(p.sourceName ? { sourceName: `${p.sourceName}-pw${copy}` } : {}),
      });
    }
  }
  return out;
}

/** Stores the fleet's advisories in the bench database before the server starts. */
async function storeFeeds(fleet: Fleet, url: string): Promise<void> {
  if (fleet.feeds.length === 0) return;
  const { IntelRepository, openDatabase } = await import('@patchwarden/store');
  const { importFeeds, RepositorySink } = await import('@patchwarden/feeds');
  const database = await openDatabase({ databaseUrl: url });
  try {
    const started = performance.now();
    const statuses = await importFeeds(new RepositorySink(new IntelRepository(database)), fleet.feeds);
    const failed = statuses.filter((s) => !s.ok);
    if (failed.length > 0)
      throw new Error(`importing ${fleet.name}'s feeds failed: ${JSON.stringify(failed)}`);
    const counts = await new IntelRepository(database).counts();
    process.stdout.write(
      `advisories stored for ${fleet.name}: ${counts.advisories} (${counts.advisoryPackages} package entries) ` +
        `in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
    );
  } finally {
    await database.close();
  }
}

/** Host `host`'s inventory at generation `generation`: 2% of its versions moved per generation, as after an upgrade. */
function inventoryOf(
  base: readonly InstalledPackage[],
  host: number,
  generation: number,
): InstalledPackage[] {
  return base.map((p, i) => {
    const bumps = (i * 7919 + host * 31) % 50 < 1 + (host % 3) ? generation : 0;
    const hostBuild = (i + host) % 97 === 0 ? `+h${host}` : '';
    return bumps || hostBuild
      ? { ...p, version: `${p.version}${hostBuild}${bumps ? `.pw${bumps}` : ''}` }
      : p;
  });
}

function hashOf(text: string): string {
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
}

/**
 * What an agent sends for `inventoryOf(base, host, generation)`: the canonical text (the agent's
 * form) and its hash, built from the base's precomputed lines so that the load generator spends
 * little of the machine's CPU (it shares the 2 cores with the server and PostgreSQL).
 */
class InventoryTexts {
  readonly #base: readonly InstalledPackage[];
  readonly #lines: readonly string[];
  /** Each line as it appears inside a JSON string (escaped once, not per upload). */
  readonly #jsonLines: readonly string[];
  readonly #head: string;

  readonly os: OsRelease;

  constructor(os: OsRelease, base: readonly InstalledPackage[]) {
    this.os = os;
    // Sorted by line, so that a host's lines are in canonical order unless a version bump moves one.
    const lined = base.map((p) => ({ p, line: canonicalPackageLine(p) }));
    lined.sort((a, b) => (a.line < b.line ? -1 : a.line > b.line ? 1 : 0));
    this.#base = lined.map(({ p }) => p);
    this.#lines = lined.map(({ line }) => line);
    this.#jsonLines = this.#lines.map(inJsonString);
    this.#head = canonicalInventoryText(os, []);
  }

  get packages(): readonly InstalledPackage[] {
    return this.#base;
  }

  /** The text, its hash, and the text escaped for a JSON string (`JSON.stringify(text)` unquoted). */
  of(host: number, generation: number, withJson = false): { text: string; hash: string; json: string } {
    const packages = inventoryOf(this.#base, host, generation);
    let lines = packages.map((p, i) => (p === this.#base[i] ? this.#lines[i]! : canonicalPackageLine(p)));
    const sorted = lines.every((line, i) => i === 0 || lines[i - 1]! <= line);
    let json: string[] = [];
    if (sorted) {
      if (withJson)
        json = lines.map((line, i) =>
          packages[i] === this.#base[i] ? this.#jsonLines[i]! : inJsonString(line),
        );
    } else {
      lines = [...lines].sort();
      if (withJson) json = lines.map(inJsonString);
    }
    const text = `${this.#head}\n${lines.join('\n')}`;
    return {
      text,
      hash: hashOf(text),
      json: withJson ? `${inJsonString(this.#head)}\\n${json.join('\\n')}` : '',
    };
  }
}

function inJsonString(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

function factsOf(host: number, os: OsRelease): AgentFacts {
  const octet = (n: number) => (n & 0xff).toString(16).padStart(2, '0');
  return {
    hostname: `bench-host-${String(host).padStart(4, '0')}`,
    fqdn: `bench-host-${String(host).padStart(4, '0')}.lab.example.net`,
    ips: [`10.${(host >> 8) & 0xff}.${host & 0xff}.10`],
    macs: [`02:42:ac:${octet(host >> 16)}:${octet(host >> 8)}:${octet(host)}`],
    os,
    kernel: '5.15.0-105-generic',
    uptimeSeconds: 86_400 + host,
    rebootRequired: false,
    architecture: 'x86_64',
    agentVersion: '0.1.0-bench',
  };
}

interface Agent {
  host: number;
  agentId: string;
  credential: string;
  facts: AgentFacts;
  inventoryHash: string;
}

interface PhaseResult {
  name: string;
  ok: number;
  errors: Map<string, number>;
  latenciesMs: number[];
  /** When each request ended, in ms since the phase began (`latenciesMs[i]`'s is `endedAtMs[i]`). */
  endedAtMs: number[];
  seconds: number;
}

async function call(
  pool: Pool,
  method: 'POST' | 'PUT',
  path: string,
  body: string | Buffer,
  credential?: string,
  contentType = 'application/json',
): Promise<{ status: number; body: string }> {
  const response = await pool.request({
    method,
    path,
    body,
    headers: {
      'content-type': contentType,
      ...(credential ? { authorization: `Bearer ${credential}` } : {}),
    },
  });
  return { status: response.statusCode, body: await response.body.text() };
}

/** `concurrency` workers, each taking the next job until `seconds` have passed (or `maxJobs` are done). */
async function phase(
  name: string,
  concurrency: number,
  seconds: number,
  job: (n: number) => Promise<{ status: number; expected: number }>,
  maxJobs = Number.POSITIVE_INFINITY,
): Promise<PhaseResult> {
  const result: PhaseResult = { name, ok: 0, errors: new Map(), latenciesMs: [], endedAtMs: [], seconds: 0 };
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let next = 0;
  async function worker() {
    while (performance.now() < deadline && next < maxJobs) {
      const n = next++;
      const t0 = performance.now();
      let outcome: string;
      try {
        const { status, expected } = await job(n);
        outcome = status === expected ? 'ok' : String(status);
      } catch (error) {
        outcome = (error as { code?: string }).code ?? 'exception';
      }
      const ended = performance.now();
      result.latenciesMs.push(ended - t0);
      result.endedAtMs.push(ended - started);
      if (outcome === 'ok') result.ok++;
      else result.errors.set(outcome, (result.errors.get(outcome) ?? 0) + 1);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function report(result: PhaseResult, unit: string, concurrency: number): void {
  const sorted = [...result.latenciesMs].sort((a, b) => a - b);
  const errors = [...result.errors].map(([status, n]) => `${status}: ${n}`).join(', ') || 'none';
  process.stdout.write(
    `${result.name.padEnd(18)} ${String(result.ok).padStart(7)} ok in ${result.seconds.toFixed(1)} s = ` +
      `${(result.ok / result.seconds).toFixed(1).padStart(8)} ${unit}/s  ` +
      `p50 ${percentile(sorted, 50).toFixed(1)} ms  p99 ${percentile(sorted, 99).toFixed(1)} ms  ` +
      `(concurrency ${concurrency}; errors: ${errors})\n`,
  );
}

/**
 * Requests answered in each second of the phase, and when the slow ones (over 500 ms) ended: a
 * phase slow from its start (first uploads) reads differently from one slow throughout.
 */
function timeline(result: PhaseResult): string {
  const perSecond = new Array<number>(Math.ceil(result.seconds)).fill(0);
  const slow = { count: 0, first: Number.POSITIVE_INFINITY, last: 0 };
  result.endedAtMs.forEach((at, i) => {
    perSecond[Math.min(perSecond.length - 1, Math.floor(at / 1000))]!++;
    if (result.latenciesMs[i]! > 500) {
      slow.count++;
      slow.first = Math.min(slow.first, at / 1000);
      slow.last = Math.max(slow.last, at / 1000);
    }
  });
  const slowAt =
    slow.count === 0
      ? 'none over 500 ms'
      : `${slow.count} over 500 ms, ended between ${slow.first.toFixed(1)} s and ${slow.last.toFixed(1)} s`;
  return `  ${result.name.split(' ')[0]}: answered per second ${perSecond.join(' ')}; ${slowAt}\n`;
}

function serverMemory(pid: number): { rssMb: number; hwmMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

function serverCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
}

/** CPU seconds used so far by every live `postgres` process (backends of this run among them). */
function postgresCpuSeconds(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      const fields = stat.split(') ')[1]!.split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      // The process ended meanwhile.
    }
  }
  return total;
}

interface CpuUse {
  server: number;
  postgres: number;
  /** This process: the load generator. */
  client: number;
  /** The machine's time stolen by its hypervisor, and all of its CPU time (/proc/stat ticks). */
  steal: number;
  machine: number;
}

function machineTicks(): { steal: number; machine: number } {
  const fields = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]!
    .trim()
    .split(/\s+/)
    .slice(1, 9)
    .map(Number);
  return { steal: fields[7]!, machine: fields.reduce((sum, n) => sum + n, 0) };
}

function cpuNow(pid: number): CpuUse {
  const own = process.cpuUsage();
  return {
    server: serverCpuSeconds(pid),
    postgres: postgresCpuSeconds(),
    client: (own.user + own.system) / 1e6,
    ...machineTicks(),
  };
}

function cpuSince(pid: number, before: CpuUse): CpuUse {
  const now = cpuNow(pid);
  return {
    server: now.server - before.server,
    postgres: now.postgres - before.postgres,
    client: now.client - before.client,
    steal: now.steal - before.steal,
    machine: now.machine - before.machine,
  };
}

function gcSince(now: GcPauses, before: GcPauses): GcPauses {
  return { ms: now.ms - before.ms, count: now.count - before.count };
}

function gcLine(name: string, gc: GcPauses, result: PhaseResult): string {
  const per = result.ok > 0 ? (gc.ms / result.ok).toFixed(2) : 'n/a';
  return (
    `  ${name}: server GC pauses ${(gc.ms / 1000).toFixed(2)} s in ${gc.count} collections ` +
    `(${((100 * gc.ms) / (result.seconds * 1000)).toFixed(1)}% of the phase, ${per} ms per request)\n`
  );
}

function cpuLine(name: string, cpu: CpuUse, result: PhaseResult): string {
  const per = (seconds: number) => (result.ok > 0 ? ((seconds * 1000) / result.ok).toFixed(2) : 'n/a');
  return (
    `  ${name}: server CPU ${cpu.server.toFixed(1)} s (${(cpu.server / result.seconds).toFixed(2)} cores, ` +
    `${per(cpu.server)} ms per request), postgres CPU ${cpu.postgres.toFixed(1)} s ` +
    `(${(cpu.postgres / result.seconds).toFixed(2)} cores, ${per(cpu.postgres)} ms per request), ` +
    `load generator CPU ${cpu.client.toFixed(1)} s (${per(cpu.client)} ms per request); ` +
    `${((100 * cpu.steal) / Math.max(1, cpu.machine)).toFixed(1)}% of the machine's time stolen by its hypervisor ` +
    `(figures from a phase with much stolen time are low)\n`
  );
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl('postgres'), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

interface ServerProcess {
  child: ChildProcess;
  url: string;
  secret: string;
  /** The server's garbage-collection pauses so far. */
  gc(): Promise<GcPauses>;
}

interface GcPauses {
  ms: number;
  count: number;
}

async function startServer(url: string): Promise<ServerProcess> {
  // PW_BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the server there, to see where its time goes.
  const profile = process.env['PW_BENCH_CPU_PROF'];
  // The Node flags `patchwarden server` runs with (its launcher adds them), then the profiler's.
  const flags = [...SERVER_NODE_FLAGS, ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [])];
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', HERE, '--serve'], {
    cwd: ROOT,
    env: { ...process.env, PW_BENCH_DATABASE_URL: url },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server did not start within 120 s')), 120_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`the server exited with ${code} before listening`)));
  });
  const gc = (): Promise<GcPauses> => {
    const answer = new Promise<GcPauses>((resolve) =>
      lines.once('line', (line) => resolve(JSON.parse(line) as GcPauses)),
    );
    child.kill('SIGUSR2');
    return answer;
  };
  return { child, gc, ...(JSON.parse(first) as { url: string; secret: string }) };
}

async function bench(): Promise<void> {
  const agents = arg('agents', 200);
  const concurrency = arg('concurrency', 64);
  const inventoryConcurrency = arg('inventory-concurrency', 16);
  const seconds = arg('duration', 10);
  const fleetAt = process.argv.indexOf('--fleet');
  const fleetName = fleetAt >= 0 ? process.argv[fleetAt + 1] : 'dpkg';
  if (fleetName !== 'dpkg' && fleetName !== 'alma9') throw new Error('--fleet must be dpkg or alma9');
  const hosts = FLEETS[fleetName];
  const formAt = process.argv.indexOf('--form');
  const form = formAt >= 0 ? process.argv[formAt + 1] : 'text';
  if (form !== 'text' && form !== 'json-text' && form !== 'objects')
    throw new Error('--form must be text, json-text or objects');
  const name = `pw_bench_${randomBytes(5).toString('hex')}`;
  process.stdout.write(
    `bench:checkin: ${agents} agents, heartbeat concurrency ${concurrency}, inventory concurrency ` +
      `${inventoryConcurrency}, ${seconds} s per phase, database ${name}, server in a child process\n`,
  );
  await admin(`create database ${name}`);
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    await storeFeeds(hosts, databaseUrl(name));
    server = await startServer(databaseUrl(name));
    const origin = new URL(server.url).origin;
    const pool = new Pool(origin, {
      connections: Math.max(concurrency, inventoryConcurrency),
      pipelining: 1,
    });
    const texts = new InventoryTexts(hosts.os, grown(await hosts.real()));
    process.stdout.write(
      `inventory: ${texts.packages.length} packages per host (fleet ${hosts.name}, from real rows), sent as ` +
        `${
          form === 'text'
            ? `${INVENTORY_TEXT_MEDIA_TYPE}: envelope line + canonical text (as the agent sends it)`
            : form === 'json-text'
              ? 'the canonical text in a JSON string (--form json-text)'
              : 'JSON objects (--form objects)'
        }\n`,
    );

    // Enrolment (concurrently, as a fleet rollout would).
    const enrolled: Agent[] = [];
    const enrol = await phase(
      'enrol',
      Math.min(concurrency, agents),
      600,
      async (host) => {
        const facts = factsOf(host, texts.os);
        const request: AgentEnrolRequest = {
          enrolmentSecret: server!.secret,
          hostname: facts.hostname,
          facts,
        };
        const answer = await call(pool, 'POST', AGENT_PROTOCOL_PATHS.enrol, JSON.stringify(request));
        if (answer.status === 201) {
          const body = JSON.parse(answer.body) as AgentEnrolResponse;
          enrolled[host] = {
            host,
            agentId: body.agentId,
            credential: body.credential,
            facts,
            inventoryHash: texts.of(host, 0).hash,
          };
        }
        return { status: answer.status, expected: 201 };
      },
      agents,
    );
    report(enrol, 'enrolments', Math.min(concurrency, agents));
    const fleet = enrolled.filter(Boolean);
    if (fleet.length === 0) throw new Error('no agent enrolled');

    const gcBefore = await server.gc();
    const cpuBefore = cpuNow(server.child.pid!);
    const heartbeats = await phase('(a) heartbeats', concurrency, seconds, async (n) => {
      const agent = fleet[n % fleet.length]!;
      const request: AgentCheckinRequest = {
        agentId: agent.agentId,
        inventoryHash: agent.inventoryHash,
        facts: agent.facts,
        uptimeSeconds: agent.facts.uptimeSeconds + n,
        rebootRequired: false,
        agentVersion: agent.facts.agentVersion,
      };
      const answer = await call(
        pool,
        'POST',
        AGENT_PROTOCOL_PATHS.checkin,
        JSON.stringify(request),
        agent.credential,
      );
      if (answer.status === 200) JSON.parse(answer.body) as AgentCheckinResponse;
      return { status: answer.status, expected: 200 };
    });
    const cpuHeartbeats = cpuSince(server.child.pid!, cpuBefore);
    const gcHeartbeats = gcSince(await server.gc(), gcBefore);
    report(heartbeats, 'heartbeats', concurrency);
    process.stdout.write(timeline(heartbeats));
    process.stdout.write(cpuLine('(a)', cpuHeartbeats, heartbeats));
    process.stdout.write(gcLine('(a)', gcHeartbeats, heartbeats));

    // Upload n is agent n % fleet's, at generation n / fleet: every upload is a new inventory,
    // the first of each host its whole set, later ones moving 2-6% of versions.
    const upload = (n: number): { hash: string; body: Buffer } => {
      const agent = fleet[n % fleet.length]!;
      const generation = Math.floor(n / fleet.length);
      const { hash, text, json } = texts.of(agent.host, generation, form === 'json-text');
      const envelope: AgentInventoryEnvelope = {
        agentId: agent.agentId,
        inventoryHash: hash,
        facts: agent.facts,
        collectedAt: new Date(Date.now() - 60_000 + generation).toISOString(),
      };
      // The json-text form is `JSON.stringify({ ...envelope, inventory: text })`, with the
      // text's lines escaped once beforehand rather than on every upload.
      const body =
        form === 'text'
          ? inventoryTextBody(envelope, text)
          : form === 'json-text'
            ? `${JSON.stringify(envelope).slice(0, -1)},"inventory":"${json}"}`
            : JSON.stringify({
                ...envelope,
                os: texts.os,
                packages: inventoryOf(texts.packages, agent.host, generation),
              } satisfies AgentInventoryRequest);
      return { hash, body: Buffer.from(body) };
    };
    // Agents build their uploads on their own hosts: the bodies are built before the timed phase,
    // so that the load generator does not take the server's CPU (it shares the machine's cores).
    const prebuiltCount = Math.ceil(arg('prebuilt-per-second', 450) * seconds);
    const prebuildStarted = performance.now();
    const prebuilt: { hash: string; body: Buffer }[] = [];
    for (let n = 0; n < prebuiltCount; n++) prebuilt.push(upload(n));
    process.stdout.write(
      `prebuilt ${prebuiltCount} upload bodies (${(prebuilt.reduce((sum, u) => sum + u.body.length, 0) / 2 ** 20).toFixed(0)} MiB) ` +
        `in ${((performance.now() - prebuildStarted) / 1000).toFixed(1)} s; later ones are built during the phase\n`,
    );

    const gcBeforeInventory = await server.gc();
    const cpuBeforeInventory = cpuNow(server.child.pid!);
    let firstUploads = 0;
    let builtInPhase = 0;
    const inventories = await phase('(b) inventories', inventoryConcurrency, seconds, async (n) => {
      const agent = fleet[n % fleet.length]!;
      if (n < fleet.length) firstUploads++;
      let next = prebuilt[n];
      if (next) prebuilt[n] = undefined as never;
      else {
        next = upload(n);
        builtInPhase++;
      }
      const answer = await call(
        pool,
        'PUT',
        AGENT_PROTOCOL_PATHS.inventory,
        next.body,
        agent.credential,
        form === 'text' ? INVENTORY_TEXT_MEDIA_TYPE : 'application/json',
      );
      if (answer.status === 200) agent.inventoryHash = next.hash;
      return { status: answer.status, expected: 200 };
    });
    const cpuInventories = cpuSince(server.child.pid!, cpuBeforeInventory);
    const gcInventories = gcSince(await server.gc(), gcBeforeInventory);
    report(inventories, 'inventories', inventoryConcurrency);
    process.stdout.write(timeline(inventories));
    process.stdout.write(cpuLine('(b)', cpuInventories, inventories));
    process.stdout.write(gcLine('(b)', gcInventories, inventories));
    process.stdout.write(
      `  (${firstUploads} of them first uploads of a host's whole set, the rest changed inventories; ` +
        `${builtInPhase} bodies built during the phase)\n`,
    );

    const memory = serverMemory(server.child.pid!);
    process.stdout.write(
      `server process: peak RSS (VmHWM) ${memory.hwmMb.toFixed(0)} MB, RSS now ${memory.rssMb.toFixed(0)} MB\n`,
    );
    process.stdout.write(
      `targets: >= 2000 heartbeats/s ${heartbeats.ok / heartbeats.seconds >= 2000 ? 'MET' : 'MISSED'}, ` +
        `>= 200 inventories/s ${inventories.ok / inventories.seconds >= 200 ? 'MET' : 'MISSED'}, zero errors ` +
        `${enrol.errors.size + heartbeats.errors.size + inventories.errors.size === 0 ? 'MET' : 'MISSED'}\n`,
    );
    await pool.close();
  } finally {
    if (server) {
      const exited = new Promise((resolve) => server!.child.once('exit', resolve));
      server.child.stdin!.end();
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    }
    await admin(`drop database if exists ${name} with (force)`);
  }
}

if (process.argv.includes('--serve')) await serve();
else await bench();
