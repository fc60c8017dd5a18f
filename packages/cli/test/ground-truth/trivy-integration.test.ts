/**
 * Closed-world ground truth from Trivy's integration tests: real lockfiles and the exact advisory
 * set Trivy used must give exactly Trivy's expected findings (its goldens).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { InstalledPackage } from '@patchwarden/core';
import { AdvisoryIndex, matchPackages, osEcosystem } from '@patchwarden/core';
import { parseInventoryFile } from '@patchwarden/inventory';
import { sharedDataPath } from '../../../../test-support/shared-data.ts';
import { loadGolden, loadTrivyAdvisories } from '../../../../test-support/trivy-fixtures.ts';

const root = sharedDataPath('ground-truth/trivy-integration');

const key = (f: { id: string; pkg: string; installed: string; fixed: string | undefined }): string =>
  `${f.id} ${f.pkg}@${f.installed} -> ${f.fixed ?? '(none)'}`;

describe.skipIf(!root)('Trivy integration goldens', () => {
  // describe() bodies run even when skipped: no path work on an absent root.
  const fixtures = join(root ?? '', 'advisory-fixtures');

  it.each([
    ['npm', 'npm/package-lock.json'],
    ['yarn', 'yarn/yarn.lock'],
    ['pnpm', 'pnpm/pnpm-lock.yaml'],
  ])('%s lockfile gives exactly the expected findings', async (name, lockfile) => {
    const index = AdvisoryIndex.from(loadTrivyAdvisories(fixtures, ['nodejs.yaml']));
    const fragment = await parseInventoryFile(join(root!, 'lockfiles', lockfile));
    const report = matchPackages(fragment.packages, index);
    const ours = new Set(
      report.findings.map((f) =>
        key({ id: f.id, pkg: f.package.name, installed: f.package.version, fixed: f.fixedVersion }),
      ),
    );
    const expected = new Set(loadGolden(join(root!, 'expected', `${name}.json.golden`)).findings.map(key));
    expect(expected.size).toBeGreaterThan(0);
    expect([...ours].sort()).toEqual([...expected].sort());
  });

  // The images behind the OS goldens are not public data here, so the installed packages are
  // those the goldens list, with their source packages as the distros build them.
  const SOURCE_OF: Record<string, string> = {
    libcomerr2: 'e2fsprogs',
    'libcom-err2': 'e2fsprogs',
    e2fslibs: 'e2fsprogs',
    libext2fs2: 'e2fsprogs',
    libss2: 'e2fsprogs',
    'libidn2-0': 'libidn2',
    'libcrypto1.1': 'openssl',
    'libssl1.1': 'openssl',
  };

  it.each([
    ['ubuntu-1804', ['ubuntu.yaml'], 'dpkg'],
    ['debian-buster', ['debian.yaml'], 'dpkg'],
    ['debian-stretch', ['debian.yaml'], 'dpkg'],
    ['alpine-310', ['alpine.yaml'], 'apk'],
    ['almalinux-8', ['almalinux.yaml'], 'rpm'],
  ] as const)('%s: distro matching by source package gives the expected findings', (name, files, manager) => {
    const golden = loadGolden(join(root!, 'expected', `${name}.json.golden`));
    const family = golden.os!.Family === 'alma' ? 'almalinux' : golden.os!.Family;
    const ecosystem = osEcosystem({ id: family, versionId: golden.os!.Name, idLike: [] })!;
    expect(ecosystem).toBeDefined();
    const seen = new Set<string>();
    const packages: InstalledPackage[] = [];
    for (const f of golden.findings) {
      if (seen.has(f.pkg)) continue;
      seen.add(f.pkg);
      const pkg: InstalledPackage = {
        ecosystem,
        name: f.pkg,
        version: f.installed,
        kind: 'os',
        packageManager: manager,
      };
      if (SOURCE_OF[f.pkg]) pkg.sourceName = SOURCE_OF[f.pkg];
      packages.push(pkg);
    }
    const index = AdvisoryIndex.from(loadTrivyAdvisories(fixtures, files));
    const report = matchPackages(packages, index);
    const ours = report.findings.map((f) =>
      key({ id: f.id, pkg: f.package.name, installed: f.package.version, fixed: f.fixedVersion }),
    );
    expect(ours.sort()).toEqual(golden.findings.map(key).sort());

    // Negative control: the same packages at their fixed versions have no fixed finding left.
    const patched = packages.map((p) => {
      const fix = golden.findings.find((f) => f.pkg === p.name && f.fixed)?.fixed;
      return fix ? { ...p, version: fix } : p;
    });
    const after = matchPackages(patched, index).findings.filter((f) => f.fixedVersion !== undefined);
    // Alpine's openssl has two fixes (1.1.1d-r0, 1.1.1d-r2): at the lower one the other remains.
    for (const f of after) expect(f.fixedVersion).not.toBe(f.package.version);
  });
});
