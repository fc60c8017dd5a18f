/**
 * `patchwarden feeds import` into both stores (embedded PGlite and a PostgreSQL server), run as the
 * installed command: idempotent, incremental by modified time, a recorded sync status per file,
 * bad records skipped and counted, and nothing already stored lost when a later import is bad.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, freshTarget } from '../../store/src/testing/test-database.ts';
import type { TestTarget } from '../../store/src/testing/test-database.ts';
import { fixturePath, REPO_ROOT } from '../../../test-support/shared-data.ts';

const BIN = join(REPO_ROOT, 'node_modules', '.bin', 'patchwarden');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BIN, args, { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Real PyPA records (CC-BY-4.0, committed gzipped): the first `n` lines of the feed. */
function pypaLines(n: number): string[] {
  const text = gunzipSync(readFileSync(fixturePath('feeds/pypa-advisory-database-osv.jsonl.gz'))).toString(
    'utf8',
  );
  return text.split('\n').filter(Boolean).slice(0, n);
}

for (const backend of BACKENDS) {
  describe(`feeds import into the ${backend} store`, () => {
    let target: TestTarget;
    let storeArgs: string[];
    const dir = mkdtempSync(join(tmpdir(), 'pw-import-'));
    const feed = join(dir, 'pypa.jsonl');
    const lines = pypaLines(40);

    beforeAll(async () => {
      target = await freshTarget(backend);
      storeArgs = target.options.dataDir
        ? ['--data-dir', target.options.dataDir]
        : ['--database-url', target.options.databaseUrl!];
    });
    afterAll(async () => target?.remove());

    it('imports once, then finds nothing new, and records each run', async () => {
      writeFileSync(feed, `${lines.slice(0, 30).join('\n')}\n`);
      const first = await run(['feeds', 'import', feed, ...storeArgs, '-q']);
      expect(first.code).toBe(0);
      expect(first.stdout).toContain('30 records: 30 new, 0 updated, 0 unchanged, 0 bad records skipped');
      const again = await run(['feeds', 'import', feed, ...storeArgs, '-q']);
      expect(again.stdout).toContain('0 records: 0 new');
      const full = await run(['feeds', 'import', feed, ...storeArgs, '--full', '-q']);
      expect(full.stdout).toContain('30 records: 0 new, 0 updated, 30 unchanged');
      const history = await run(['feeds', 'history', ...storeArgs]);
      expect(history.stdout.trim().split('\n')).toHaveLength(3);
      expect(history.stdout).toMatch(/ok +osv +\S+pypa\.jsonl records=30 new=0 updated=0 unchanged=30/);
    });

    it('imports only newer records incrementally and updates changed ones', async () => {
      const changed = JSON.parse(lines[0]!) as { modified: string; summary?: string };
      changed.modified = '2099-01-01T00:00:00Z';
      changed.summary = 'revised upstream';
      writeFileSync(feed, `${[JSON.stringify(changed), ...lines.slice(1, 40)].join('\n')}\n`);
      const result = await run(['feeds', 'import', feed, ...storeArgs, '-q']);
      // The revision is newer than anything imported; the 10 new records are older than the
      // newest seen so far, so an incremental run skips them: --full picks them up.
      expect(result.stdout).toMatch(/1 records: 0 new, 1 updated/);
      const full = await run(['feeds', 'import', feed, ...storeArgs, '--full', '-q']);
      expect(full.stdout).toContain('40 records: 10 new, 0 updated, 30 unchanged');
    });

    it('skips a bad record with its line and keeps everything stored when a file is broken', async () => {
      const bad = join(dir, 'bad.jsonl');
      writeFileSync(bad, `${lines[0]}\n{"id": "PYSEC-BROKEN", "modified": "not a date"}\n`);
      const result = await run(['feeds', 'import', bad, ...storeArgs, '--full', '-q']);
      expect(result.stdout).toMatch(/1 bad records skipped/);
      expect(result.stdout).toMatch(/skipped \S+bad\.jsonl:2 PYSEC-BROKEN/);
      const truncated = join(dir, 'truncated.jsonl.gz');
      writeFileSync(
        truncated,
        readFileSync(fixturePath('feeds/pypa-advisory-database-osv.jsonl.gz')).subarray(0, 5000),
      );
      const broken = await run(['feeds', 'import', truncated, ...storeArgs, '-q']);
      expect(broken.code).toBe(1);
      expect(broken.stdout).toMatch(/FAILED/);
      expect(broken.stdout).toMatch(/database: 40 advisories/);
    });

    it('scans from the store', async () => {
      const lock = join(dir, 'requirements-lock.json');
      // A CycloneDX BOM naming a package version that one of the imported advisories affects.
      const advisory = JSON.parse(lines[1]!) as {
        id: string;
        affected: { package: { name: string }; versions?: string[] }[];
      };
      const affected = advisory.affected.find((a) => (a.versions ?? []).length > 0)!;
      writeFileSync(
        lock,
        JSON.stringify({
          bomFormat: 'CycloneDX',
          specVersion: '1.5',
          components: [
            {
              type: 'library',
              name: affected.package.name,
              version: affected.versions![0],
              purl: `pkg:pypi/${affected.package.name.toLowerCase()}@${affected.versions![0]}`,
            },
          ],
        }),
      );
      const scan = await run(['scan', lock, '--store', ...storeArgs, '--format', 'json', '-q']);
      expect(scan.code).toBe(0);
      const parsed = JSON.parse(scan.stdout) as {
        hosts: { findings: { evidence: { advisoryId: string }[] }[] }[];
      };
      const ids = parsed.hosts[0]!.findings.flatMap((f) => f.evidence.map((e) => e.advisoryId));
      expect(ids).toContain(advisory.id);
    });
  });
}
