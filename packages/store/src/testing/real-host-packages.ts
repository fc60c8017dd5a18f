import { readFileSync } from 'node:fs';
import type { InstalledPackage, OsRelease } from '@patchwarden/core';
import { osEcosystem } from '@patchwarden/core';
import { parseDpkgStatus, parsePackageLock } from '@patchwarden/inventory';
import { fixturePath } from '../../../../test-support/shared-data.ts';

/** A real host for set tests: Ubuntu 18.04's dpkg status, plus npm packages from a real lockfile. */
export function realHostPackages(): InstalledPackage[] {
  const status = readFileSync(fixturePath('inventory/dpkg/trivy-ubuntu1804-status'), 'utf8');
  const os = parseDpkgStatus(status, '/var/lib/dpkg/status').packages;
  const lock = fixturePath('inventory/trivy-integration/lockfiles/npm/package-lock.json');
  const npm = parsePackageLock(readFileSync(lock, 'utf8'), '/srv/app/package-lock.json').packages;
  return [...os, ...npm];
}

/** What the object path stores: OS packages take the release's ecosystem. */
export function withOsEcosystem(os: OsRelease, packages: readonly InstalledPackage[]): InstalledPackage[] {
  const ecosystem = osEcosystem(os);
  return packages.map((p) => (p.kind === 'os' && !p.ecosystem && ecosystem ? { ...p, ecosystem } : p));
}
