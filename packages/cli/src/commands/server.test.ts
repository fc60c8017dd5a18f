import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createPatchwardenApp } from '@patchwarden/server';
import type { PatchwardenApp } from '@patchwarden/server';
import { openDatabase } from '@patchwarden/store';
import type { Database } from '@patchwarden/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, freshTarget } from '../../../store/src/testing/test-database.ts';
import type { TestTarget } from '../../../store/src/testing/test-database.ts';
import { hasYoungGenerationSize, SERVER_NODE_FLAGS } from '../../bin/server-process.js';
import { Progress } from '../progress.ts';
import { BUNDLED_FEEDS, importFeedsIfEmpty } from './server.ts';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '../../../..');
const AGENT_BIN = join(REPO, 'packages/agent/bin/patchwarden-agent.js');
const CLI_BIN = join(REPO, 'packages/cli/bin/patchwarden.js');
const LOCKFILES = join(REPO, 'fixtures/inventory/trivy-integration/lockfiles');
const PASSWORD = 'Correct-Horse-Battery-9';
/** The small feed files of the bundle (the big archives are imported by the process test). */
const FEEDS = ['GHSA-jf85-cpcp-j695.json', 'GHSA-xvch-5gv4-984h.json', 'debian-tracker-sample.json'].map(
  (f) => join(BUNDLED_FEEDS, f),
);
const HAS_DPKG = await run('dpkg-query', ['-W', '-f=${Status}\\n']).then(
  (r) => r.stdout.split('\n').filter((line) => line.endsWith(' installed')).length,
  () => undefined,
);

/** Signs in over HTTP; the session cookies are `__Host-` (Secure), so they are carried by hand. */
async function login(base: string, username: string, password: string): Promise<Record<string, string>> {
  const response = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  expect(response.status).toBe(200);
  const cookies = response.headers.getSetCookie().map((c) => c.split(';')[0]!);
  const csrf = cookies.find((c) => c.startsWith('__Host-pw_csrf='))!.split('=')[1]!;
  return { cookie: cookies.join('; '), 'x-csrf-token': csrf };
}

async function runAgentProcess(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [AGENT_BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => done({ code, stderr }));
  });
}

for (const backend of BACKENDS) {
  describe.skipIf(HAS_DPKG === undefined)(`end to end: real agents against the server (${backend})`, () => {
    let target: TestTarget;
    let database: Database;
    let app: PatchwardenApp;
    let base: string;
    let admin: Record<string, string>;
    let work: string;

    const api = async (path: string, init: RequestInit = {}) => {
      const response = await fetch(`${base}${path}`, { ...init, headers: { ...admin, ...init.headers } });
      return {
        status: response.status,
        body: (await response.json()) as Record<string, unknown> & { items?: unknown[] },
      };
    };

    const enrolAgent = async (name: string, extra: string[]) => {
      const created = await api('/api/v1/enrolment-secrets', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      });
      expect(created.status).toBe(201);
      const secretFile = join(work, `${name}.secret`);
      await writeFile(secretFile, String(created.body.secret), { mode: 0o600 });
      const result = await runAgentProcess([
        'run',
        '--once',
        '--server',
        base,
        '--state-dir',
        join(work, name),
        '--enrolment-secret-file',
        secretFile,
        ...extra,
      ]);
      expect(result.stderr).toContain('inventory delivered');
      expect(result.code).toBe(0);
    };

    beforeAll(async () => {
      work = await mkdtemp(join(tmpdir(), 'pw-e2e-'));
      target = await freshTarget(backend);
      database = await openDatabase(target.options);
      const imported = await importFeedsIfEmpty(database, FEEDS, new Progress(false));
      expect(imported.advisories).toBeGreaterThan(0);
      app = await createPatchwardenApp({ database, logger: false });
      await app.platform.auth.bootstrapAdmin({ env: { PATCHWARDEN_ADMIN_PASSWORD: PASSWORD } });
      base = await app.listen({ host: '127.0.0.1', port: 0 });
      admin = await login(base, 'admin', PASSWORD);
    }, 60_000);
    afterAll(async () => {
      await app?.close();
      await database?.close();
      await target?.remove();
      await rm(work, { recursive: true, force: true });
    });

    it("shows this machine, all its dpkg packages and its findings after a real agent's first run", async () => {
      await enrolAgent('host-agent', []);
      const assets = await api('/api/v1/assets');
      expect(assets.status).toBe(200);
      const items = assets.body.items as { id: string; hostname: string; sources: string[]; state: string }[];
      const short = hostname().split('.')[0]!.toLowerCase();
      const host = items.find((a) => a.hostname === short);
      expect(host).toMatchObject({ sources: ['agent'], state: 'current' });
      const packages = await api(`/api/v1/assets/${host!.id}/packages`);
      const dpkg = (packages.body.items as { packageManager: string }[]).filter(
        (p) => p.packageManager === 'dpkg',
      );
      expect(dpkg.length).toBe(HAS_DPKG);
      const findings = await api(`/api/v1/findings?asset=${host!.id}&limit=1000`);
      expect(findings.status).toBe(200);
      console.log(
        `[${backend}] e2e: host ${short}: ${dpkg.length} dpkg packages (dpkg-query: ${HAS_DPKG}), ${(findings.body.items ?? []).length} findings`,
      );
    }, 60_000);

    it('carries a vulnerable lockfile package through a second real agent to a finding', async () => {
      await enrolAgent('lockfile-agent', ['--lockfile-path', LOCKFILES]);
      const findings = await api('/api/v1/findings?vulnerability=CVE-2019-10744');
      expect(findings.status).toBe(200);
      const lodash = (
        findings.body.items as { finding: { package: { name: string; version: string } } }[]
      ).find((f) => f.finding.package.name === 'lodash');
      expect(lodash?.finding.package.version).toBe('4.17.4');
      const audit = await api('/api/v1/audit?action=inventory.accept');
      expect(audit.status).toBe(200);
      expect(
        (audit.body.items as { action: string }[]).filter((e) => e.action === 'inventory.accept'),
      ).toHaveLength(2);
    }, 60_000);
  });
}

/** `patchwarden server` on a fresh data dir, started as a user starts it; resolves once it listens. */
async function startServerProcess(home: string) {
  const { NODE_OPTIONS: _ignored, ...env } = process.env;
  const child = spawn(
    process.execPath,
    [CLI_BIN, 'server', '--data-dir', join(home, 'data'), '--port', '0', '--feeds', FEEDS[0]!, '-q'],
    {
      env: { ...env, PATCHWARDEN_HOME: home, PATCHWARDEN_ADMIN_PASSWORD: PASSWORD },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  const address = await new Promise<string>((done, fail) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stderr);
      if (match) done(match[1]!);
    });
    child.on('exit', (code) => fail(new Error(`server exited ${code}: ${stderr}`)));
  });
  return { child, address, stderr: () => stderr };
}

/** The processes `pid` started (Linux: /proc's children list), with their command lines. */
async function childrenOf(pid: number): Promise<{ pid: number; argv: string[] }[]> {
  const list = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
  return Promise.all(
    list
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(async (child) => ({
        pid: Number(child),
        argv: (await readFile(`/proc/${child}/cmdline`, 'utf8')).split('\0').filter(Boolean),
      })),
  );
}

/** Whether `pid` runs (a zombie, exited but not yet reaped by whoever adopted it, does not). */
async function isRunning(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat !== undefined && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}

describe('the patchwarden server process', () => {
  it('starts on a fresh data dir, serves /healthz and sign-in, and exits 0 on SIGTERM', async () => {
    const home = await mkdtemp(join(tmpdir(), 'pw-server-'));
    const { child, address, stderr } = await startServerProcess(home);
    try {
      expect(stderr()).not.toContain(PASSWORD);
      const health = await fetch(`${address}/healthz`);
      expect(health.status).toBe(200);
      const session = await login(address, 'admin', PASSWORD);
      const me = await fetch(`${address}/api/v1/auth/me`, { headers: session });
      expect(me.status).toBe(200);
      const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await rm(home, { recursive: true, force: true });
    }
  }, 60_000);

  it.skipIf(process.platform !== 'linux')(
    'runs the server with its Node flags in a child of the launcher, which shuts down when the launcher is killed',
    async () => {
      const home = await mkdtemp(join(tmpdir(), 'pw-server-'));
      const { child: launcher, address, stderr } = await startServerProcess(home);
      let server: number | undefined;
      try {
        const children = await childrenOf(launcher.pid!);
        expect(children).toHaveLength(1);
        server = children[0]!.pid;
        // The young generation is sized on the server's command line, ahead of the script.
        const argv = children[0]!.argv;
        for (const flag of SERVER_NODE_FLAGS) expect(argv.indexOf(flag)).toBeGreaterThan(0);
        expect(argv.indexOf(SERVER_NODE_FLAGS[0]!)).toBeLessThan(argv.indexOf(CLI_BIN));
        expect(argv.slice(argv.indexOf(CLI_BIN) + 1, argv.indexOf(CLI_BIN) + 2)).toEqual(['server']);
        expect((await fetch(`${address}/healthz`)).status).toBe(200);
        // Killed outright, the launcher cannot forward a signal: the server sees its channel close.
        launcher.kill('SIGKILL');
        const deadline = Date.now() + 30_000;
        while ((await isRunning(server)) && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 100));
        expect(await isRunning(server)).toBe(false);
        expect(stderr()).not.toContain('could not start');
        await expect(fetch(`${address}/healthz`)).rejects.toThrow();
      } finally {
        if (launcher.exitCode === null) launcher.kill('SIGKILL');
        if (server !== undefined && (await isRunning(server))) process.kill(server, 'SIGKILL');
        await rm(home, { recursive: true, force: true });
      }
    },
    60_000,
  );

  it('sizes the young generation unless the operator did (on the command line or in NODE_OPTIONS)', () => {
    expect(hasYoungGenerationSize([])).toBe(false);
    expect(hasYoungGenerationSize(['--inspect'], '--max-old-space-size=4096')).toBe(false);
    expect(hasYoungGenerationSize(['--max-semi-space-size=32'])).toBe(true);
    expect(hasYoungGenerationSize([], '--enable-source-maps --max-semi-space-size=8')).toBe(true);
    expect(hasYoungGenerationSize([...SERVER_NODE_FLAGS])).toBe(true);
  });
});
