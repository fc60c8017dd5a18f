import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPatchwardenApp } from '@patchwarden/server';
import type { PatchwardenApp } from '@patchwarden/server';
import { openDatabase } from '@patchwarden/store';
import type { Database } from '@patchwarden/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, freshTarget } from '../../store/src/testing/test-database.ts';
import type { TestTarget } from '../../store/src/testing/test-database.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(REPO_ROOT, 'node_modules', '.bin', 'patchwarden');
const SYSTEM = { kind: 'system', name: 'test' } as const;
const PASSWORD = 'Correct-Horse-Battery-9';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The real CLI binary in a child process, with its own PATCHWARDEN_HOME and nothing inherited that could point it elsewhere. */
function cli(
  home: string,
  args: readonly string[],
  stdin = '',
  extraEnv: Record<string, string> = {},
): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, PATCHWARDEN_HOME: home, ...extraEnv };
  for (const key of ['PATCHWARDEN_SERVER', 'PATCHWARDEN_TOKEN', 'PATCHWARDEN_CA', 'NODE_OPTIONS']) {
    if (!(key in extraEnv)) delete env[key];
  }
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, args, { cwd: REPO_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

const ASSET_CSV = [
  'name,hostname,ip,mac,os,environment,owner_team,business_impact,exposure,tags',
  'web-01,web-01.prod.example.net,10.20.1.11,00:16:3e:2a:11:01,ubuntu 22.04,production,web,4,internet,frontend;nginx',
  'web-02,web-02.prod.example.net,10.20.1.12,00:16:3e:2a:11:02,ubuntu 22.04,production,web,4,internet,frontend;nginx',
  'db-01,db-01.prod.example.net,10.20.2.21,00:16:3e:2a:22:01,debian 12,production,dba,5,internal,postgres',
  'build-07,build-07.ci.example.net,10.30.0.7,00:16:3e:2a:33:07,rocky 9,ci,platform,2,internal,ci',
  '',
].join('\n');

for (const backend of BACKENDS) {
  describe(`patchwarden CLI verbs over the API (${backend})`, { timeout: 120_000 }, () => {
    let target: TestTarget;
    let database: Database;
    let app: PatchwardenApp;
    let server: string;
    let home: string;

    beforeAll(async () => {
      target = await freshTarget(backend);
      database = await openDatabase(target.options);
      app = await createPatchwardenApp({ database, logger: false, rateLimit: false });
      const admin = await app.platform.auth.createUser({ username: 'ada', password: PASSWORD }, SYSTEM);
      await app.platform.auth.addRoleBinding(
        { userId: admin.id, role: 'admin', scope: { kind: 'global' } },
        SYSTEM,
      );
      server = await app.listen({ host: '127.0.0.1', port: 0 });
      home = await mkdtemp(join(tmpdir(), 'pw-cli-home-'));
    }, 120_000);

    afterAll(async () => {
      await app?.close();
      await database?.close();
      await target?.remove();
      if (home) await rm(home, { recursive: true, force: true });
    });

    it('refuses a wrong password with exit 2 and the error code, storing nothing', async () => {
      const run = await cli(
        home,
        ['login', '--server', server, '--username', 'ada', '--password-stdin'],
        'not-the-password\n',
      );
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('PW_ERR_UNAUTHENTICATED: Wrong username, password or one-time code');
      await expect(stat(join(home, 'credentials.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it('logs in, keeps the token 0600, and works through the auth verbs', async () => {
      const login = await cli(
        home,
        ['login', '--server', server, '--username', 'ada', '--password-stdin'],
        `${PASSWORD}\n`,
      );
      expect(login.code, login.stderr).toBe(0);
      expect(login.stdout).toContain(`Signed in to ${server} as ada`);
      expect(`${login.stdout}${login.stderr}`).not.toContain(PASSWORD);
      const file = join(home, 'credentials.json');
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const stored = JSON.parse(await readFile(file, 'utf8'));
      expect(stored).toMatchObject({ server, username: 'ada' });
      expect(stored.token).toMatch(/^pwt_/);

      const whoami = await cli(home, ['whoami', '--format', 'json']);
      expect(whoami.code, whoami.stderr).toBe(0);
      const me = JSON.parse(whoami.stdout);
      expect(me).toMatchObject({ server, authMethod: 'token', user: { username: 'ada' } });
      expect(me.permissions).toContain('audit:export');

      const created = await cli(home, [
        'tokens',
        'create',
        '--name',
        'ci-readonly',
        '--scopes',
        'assets:read',
        'findings:read',
        '--expires-in',
        '7d',
      ]);
      expect(created.code, created.stderr).toBe(0);
      const secret = created.stdout.trim();
      expect(secret).toMatch(/^pwt_[A-Za-z0-9_-]+$/);
      expect(created.stderr).toContain('shown only now');

      const list = await cli(home, ['tokens', 'list', '--format', 'json']);
      expect(list.code, list.stderr).toBe(0);
      const tokens = JSON.parse(list.stdout) as {
        id: string;
        name: string;
        scopes: string[];
        revokedAt: string | null;
      }[];
      const ci = tokens.find((t) => t.name === 'ci-readonly');
      expect(ci).toMatchObject({ scopes: ['assets:read', 'findings:read'], revokedAt: null });

      // The new token works on its own (env beats the file) before it is revoked, and not after.
      const env = { PATCHWARDEN_SERVER: server, PATCHWARDEN_TOKEN: secret };
      const before = await cli(home, ['whoami', '--format', 'json'], '', env);
      expect(before.code, before.stderr).toBe(0);
      expect(JSON.parse(before.stdout).token).toMatchObject({ name: 'ci-readonly' });
      const revoke = await cli(home, ['tokens', 'revoke', ci!.id]);
      expect(revoke.code, revoke.stderr).toBe(0);
      expect(revoke.stdout).toContain('Revoked token "ci-readonly"');
      const after = await cli(home, ['whoami'], '', env);
      expect(after.code).toBe(2);
      expect(after.stderr).toMatch(/^patchwarden: PW_ERR_UNAUTHENTICATED: /);

      const output = join(home, 'audit.csv');
      const exported = await cli(home, ['audit', 'export', '--format', 'csv', '-o', output]);
      expect(exported.code, exported.stderr).toBe(0);
      const csv = await readFile(output, 'utf8');
      expect(csv.split('\n')[0]).toMatch(/seq/);
      expect(csv).toContain('ci-readonly');
      expect(csv).toMatch(/token\.create/);
      expect(csv).toMatch(/token\.revoke/);
      expect(csv).not.toContain(secret);

      const verify = await cli(home, ['audit', 'verify']);
      expect(verify.code, verify.stderr).toBe(0);
      expect(verify.stdout).toMatch(/^ok: \d+ entries, head \d+ [0-9a-f]{64}/);
    });

    // Fails while AuthRepository.createEnrolmentSecret puts a token id into created_by, which
    // references users: creating a secret with an API token answers 500 (reported, not ours).
    it('creates an enrolment secret with the stored API token', async () => {
      const enrol = await cli(home, [
        'enrolment',
        'create',
        '--name',
        'lab-fleet',
        '--max-uses',
        '50',
        '--expires-in',
        '7d',
      ]);
      expect(enrol.code, enrol.stderr).toBe(0);
      expect(enrol.stdout.trim()).toMatch(/^pwe_/);
      expect(enrol.stderr).toContain('up to 50 agents');
    });

    it('imports a CSV asset list, filters, edits and shows an asset; lists findings', async () => {
      const file = join(home, 'assets.csv');
      await writeFile(file, ASSET_CSV);
      const imported = await cli(home, ['assets', 'import', file, '--output', 'json']);
      expect(imported.code, imported.stderr).toBe(0);
      const result = JSON.parse(imported.stdout);
      expect(result).toMatchObject({ created: 4, merged: 0 });
      const ids = new Map((result.assets as { id: string; name: string }[]).map((a) => [a.name, a.id]));

      const filtered = await cli(home, ['assets', 'list', '--filter', 'team:web']);
      expect(filtered.code, filtered.stderr).toBe(0);
      const lines = filtered.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^ID\s+NAME\s+KIND/);
      expect(
        lines
          .slice(1)
          .map((line) => line.split(/\s+/)[1])
          .sort(),
      ).toEqual(['web-01', 'web-02']);

      const id = ids.get('web-01')!;
      const edit = await cli(home, [
        'assets',
        'edit',
        id,
        '--set',
        'ownerTeam=edge',
        '--set',
        'tags=frontend,pci',
        '--set',
        'businessImpact=5',
        '--format',
        'json',
      ]);
      expect(edit.code, edit.stderr).toBe(0);
      expect(JSON.parse(edit.stdout)).toMatchObject({
        ownerTeam: 'edge',
        tags: ['frontend', 'pci'],
        businessImpact: 5,
      });

      const show = await cli(home, ['assets', 'show', id]);
      expect(show.code, show.stderr).toBe(0);
      expect(show.stdout).toMatch(/^ownerTeam:\s+edge$/m);
      expect(show.stdout).toMatch(/^tags:\s+frontend, pci$/m);

      const bad = await cli(home, ['assets', 'edit', id, '--set', 'exposure=everywhere']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/PW_ERR_VALIDATION: .*\(field body\.exposure\)/);

      const findings = await cli(home, ['findings', 'list', '--asset', id, '--format', 'json']);
      expect(findings.code, findings.stderr).toBe(0);
      expect(JSON.parse(findings.stdout)).toEqual([]);
    });

    it('grants, lists and renews a policy exception; a bad one is refused naming the field', async () => {
      // One term is at most 366 days: grant for 300 days, renew before it lapses to 400 days out.
      const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
      const expires = `${inDays(300)}T00:00:00Z`;
      const renewed = `${inDays(400)}T00:00:00Z`;
      const grant = await cli(home, [
        'policy',
        'exceptions',
        'grant',
        'EXC-OPENSSL',
        '--packages',
        'openssl,openssl-libs',
        '--assets',
        'team:web',
        '--reason',
        'appliance vendor certifies one build',
        '--control',
        'TLS terminated upstream',
        '--expires',
        expires,
        '--format',
        'json',
      ]);
      expect(grant.code, grant.stderr).toBe(0);
      const granted = JSON.parse(grant.stdout);
      expect(granted.exception).toMatchObject({
        id: 'EXC-OPENSSL',
        approver: 'ada',
        scope: { packages: ['openssl', 'openssl-libs'], assets: 'team:web' },
        state: 'active',
      });
      const missingControl = await cli(home, [
        'policy',
        'exceptions',
        'grant',
        'EXC-2',
        '--packages',
        'curl',
        '--reason',
        'r',
        '--expires',
        expires,
      ]);
      expect(missingControl.code).toBe(2);
      expect(missingControl.stderr).toContain('compensatingControl');

      const list = await cli(home, ['policy', 'exceptions', 'list']);
      expect(list.code, list.stderr).toBe(0);
      expect(list.stdout).toMatch(/^ID\s+KIND\s+STATE/);
      const row = list.stdout.split('\n').find((line) => line.startsWith('EXC-OPENSSL'));
      expect(row?.split(/\s+/).slice(0, 7)).toEqual([
        'EXC-OPENSSL',
        'exception',
        'active',
        expires,
        String(Math.floor((Date.parse(expires) - Date.now()) / 86_400_000)),
        '0',
        'ada',
      ]);

      const tooFar = `${inDays(300 + 400)}T00:00:00Z`;
      const refused = await cli(home, ['policy', 'exceptions', 'renew', 'EXC-OPENSSL', '--expires', tooFar]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('extends by more than one term of 366 days');
      const renew = await cli(home, ['policy', 'exceptions', 'renew', 'EXC-OPENSSL', '--expires', renewed]);
      expect(renew.code, renew.stderr).toBe(0);
      expect(renew.stdout).toBe(
        `Renewed EXC-OPENSSL until ${renewed}, renewal 1 (policy version ${granted.policyVersion + 1})\n`,
      );
      const history = await cli(home, ['policy', 'history', '--format', 'json']);
      expect(JSON.parse(history.stdout)[0]).toMatchObject({
        createdBy: 'ada',
        comment: expect.stringContaining('EXC-OPENSSL renewed by ada'),
      });
    });

    it('declares and lifts an emergency', async () => {
      const declare = await cli(home, [
        'policy',
        'emergency',
        'declare',
        'EMG-XZ',
        '--cve',
        'CVE-2024-3094',
        '--deadline-hours',
        '24',
        '--override-windows',
        '--reason',
        'backdoored xz',
        '--format',
        'json',
      ]);
      expect(declare.code, declare.stderr).toBe(0);
      const declared = JSON.parse(declare.stdout).emergency;
      expect(declared).toMatchObject({
        id: 'EMG-XZ',
        cve: 'CVE-2024-3094',
        declaredBy: 'ada',
        state: 'in-force',
      });
      expect(Date.parse(declared.deadline) - Date.parse(declared.declaredAt)).toBe(24 * 3_600_000);
      const neither = await cli(home, [
        'policy',
        'emergency',
        'declare',
        'EMG-2',
        '--deadline-hours',
        '1',
        '--reason',
        'r',
      ]);
      expect(neither.code).toBe(2);
      expect(neither.stderr).toContain('Name either --cve or --package');
      const lift = await cli(home, ['policy', 'emergency', 'lift', 'EMG-XZ']);
      expect(lift.code, lift.stderr).toBe(0);
      expect(lift.stdout).toMatch(/^Lifted EMG-XZ at \d{4}-\d{2}-\d{2}T/);
      const list = await cli(home, ['policy', 'emergency', 'list']);
      expect(list.stdout).toMatch(/\nEMG-XZ\s+lifted\s+CVE-2024-3094\s/);
    });

    it('logs out: the token is revoked on the server and the file is gone', async () => {
      const stored = JSON.parse(await readFile(join(home, 'credentials.json'), 'utf8'));
      const logout = await cli(home, ['logout']);
      expect(logout.code, logout.stderr).toBe(0);
      await expect(stat(join(home, 'credentials.json'))).rejects.toMatchObject({ code: 'ENOENT' });
      const stale = await cli(home, ['whoami'], '', {
        PATCHWARDEN_SERVER: server,
        PATCHWARDEN_TOKEN: stored.token,
      });
      expect(stale.code).toBe(2);
      expect(stale.stderr).toContain('PW_ERR_UNAUTHENTICATED');
    });
  });
}
