/**
 * The installed `patchwarden` command, run as a user would (a real process), on committed real
 * fixtures: Trivy's pnpm lockfile (lodash 4.17.4) and GitHub's real GHSA record for lodash
 * CVE-2019-10744.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixturePath, REPO_ROOT } from '../../../test-support/shared-data.ts';

const BIN = join(REPO_ROOT, 'node_modules', '.bin', 'patchwarden');
const LOCKFILE = fixturePath('inventory/trivy-integration/lockfiles/pnpm/pnpm-lock.yaml');
const LODASH_ADVISORY = fixturePath('feeds/GHSA-jf85-cpcp-j695.json');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BIN, args, { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('patchwarden scan (the installed command)', () => {
  it('prints a table with the finding and its fix', async () => {
    const { code, stdout, stderr } = await run(['scan', LOCKFILE, '--feeds', LODASH_ADVISORY]);
    expect(stderr).toContain('pnpm-lock');
    expect(code).toBe(0);
    expect(stdout).toMatch(/lodash\s+4\.17\.4\s+CVE-2019-10744\s+critical\s+4\.17\.12/);
  });

  it('writes SARIF 2.1.0 with the vulnerability id as ruleId', async () => {
    const { code, stdout } = await run([
      'scan',
      LOCKFILE,
      '--feeds',
      LODASH_ADVISORY,
      '--format',
      'sarif',
      '-q',
    ]);
    expect(code).toBe(0);
    const sarif = JSON.parse(stdout) as {
      version: string;
      runs: { tool: { driver: { rules: { id: string }[] } }; results: { ruleId: string; level: string }[] }[];
    };
    expect(sarif.version).toBe('2.1.0');
    const run0 = sarif.runs[0]!;
    expect(run0.results.map((r) => r.ruleId)).toEqual(['CVE-2019-10744']);
    expect(run0.results[0]!.level).toBe('error');
    expect(run0.tool.driver.rules.map((r) => r.id)).toEqual(['CVE-2019-10744']);
  });

  it('writes JSON with evidence and CSV with one row per finding', async () => {
    const json = await run(['scan', LOCKFILE, '--feeds', LODASH_ADVISORY, '--format', 'json', '-q']);
    const parsed = JSON.parse(json.stdout) as {
      hosts: {
        findings: {
          id: string;
          aliases: string[];
          fixedVersion: string;
          evidence: { advisoryId: string; range: string }[];
        }[];
      }[];
    };
    const finding = parsed.hosts[0]!.findings[0]!;
    expect(finding.aliases).toContain('GHSA-jf85-cpcp-j695');
    expect(finding.fixedVersion).toBe('4.17.12');
    expect(finding.evidence[0]).toMatchObject({ advisoryId: 'GHSA-jf85-cpcp-j695', range: '>=0, <4.17.12' });
    const csv = await run(['scan', LOCKFILE, '--feeds', LODASH_ADVISORY, '--format', 'csv', '-q']);
    const lines = csv.stdout.trim().split('\r\n');
    expect(lines[0]).toMatch(/^host,ecosystem,package,installed_version/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('CVE-2019-10744');
  });

  it('exits 1 with --fail-on at or below the finding, 0 above it', async () => {
    expect((await run(['scan', LOCKFILE, '--feeds', LODASH_ADVISORY, '--fail-on', 'high', '-q'])).code).toBe(
      1,
    );
    expect(
      (await run(['scan', LOCKFILE, '--feeds', LODASH_ADVISORY, '--fail-on', 'critical', '-q'])).code,
    ).toBe(1);
    const clean = fixturePath('feeds/GHSA-xvch-5gv4-984h.json'); // minimist: not in this lockfile
    expect((await run(['scan', LOCKFILE, '--feeds', clean, '--fail-on', 'low', '-q'])).code).toBe(0);
  });

  it('exits 2 naming the file when an inventory is unreadable or unknown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pw-cli-'));
    const broken = join(dir, 'package-lock.json');
    writeFileSync(broken, '{"lockfileVersion": 2, "packages": {');
    const bad = await run(['scan', broken, '--feeds', LODASH_ADVISORY]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(broken);
    const unknown = join(dir, 'notes.txt');
    writeFileSync(unknown, 'hello\n');
    const res = await run(['scan', unknown, '--feeds', LODASH_ADVISORY]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/PW_ERR_UNKNOWN_FORMAT.*notes\.txt/);
  });

  it('reports OS packages it cannot match instead of calling the host clean', async () => {
    const { stdout } = await run([
      'scan',
      fixturePath('inventory/dpkg/trivy-ubuntu1804-status'),
      '--feeds',
      LODASH_ADVISORY,
      '-q',
    ]);
    expect(stdout).toMatch(/no os-release/);
    expect(stdout).toMatch(/not covered: \d+ \(dpkg\) packages: ecosystem unknown/);
  });
});
