import type { InstalledPackage } from '../inventory/installed-package.ts';
import { schemeIdForEcosystem } from '../versions/registry.ts';

/** What an installed package is compared as: distro advisories name source packages. */
export interface MatchTarget {
  ecosystem: string;
  name: string;
  version: string;
}

/**
 * Debian, Ubuntu and Alpine publish fixes per source package (one source builds many binaries,
 * and a binNMU can give a binary its own version), so their packages are matched by source name
 * and version. RPM distros publish per binary package, so RPMs are matched as installed.
 */
export function matchTargetOf(pkg: InstalledPackage & { ecosystem: string }): MatchTarget {
  const scheme = schemeIdForEcosystem(pkg.ecosystem);
  if (pkg.kind === 'os' && (scheme === 'dpkg' || scheme === 'apk')) {
    return {
      ecosystem: pkg.ecosystem,
      name: pkg.sourceName ?? pkg.name,
      version: pkg.sourceVersion ?? pkg.version,
    };
  }
  return { ecosystem: pkg.ecosystem, name: pkg.name, version: pkg.version };
}
