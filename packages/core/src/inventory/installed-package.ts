/**
 * What inventory parsers produce: the packages installed on one host (or in one application),
 * with enough provenance to explain every finding later.
 */
export type PackageManager =
  | 'dpkg'
  | 'rpm'
  | 'apk'
  | 'npm'
  | 'yarn'
  | 'pnpm'
  | 'pypi'
  | 'maven'
  | 'go'
  | 'cargo'
  | 'gem'
  | 'nuget'
  | 'composer'
  | 'unknown';

export interface SourceLocation {
  file: string;
  line?: number;
}

export interface InstalledPackage {
  /**
   * OSV ecosystem. Language packages know it from their format (`npm`, `PyPI`, `Maven`...).
   * OS packages leave it unset until the host's os-release says which distro and release they
   * belong to (`Ubuntu:22.04:LTS`, `Debian:12`, `AlmaLinux:9`, `Alpine:v3.19`).
   */
  ecosystem?: string;
  name: string;
  /** As the package manager prints it: dpkg `1:2.3-4ubuntu1`, rpm `1:2.3-4.el9`, npm `1.2.3`. */
  version: string;
  /** OS packages: the source package this binary was built from (distro advisories use it). */
  sourceName?: string;
  sourceVersion?: string;
  arch?: string;
  purl?: string;
  kind: 'os' | 'language';
  packageManager: PackageManager;
  location?: SourceLocation;
}

export interface OsRelease {
  /** `ID` from os-release, lower-case: ubuntu, debian, almalinux, rocky, rhel, alpine... */
  id: string;
  versionId?: string;
  versionCodename?: string;
  name?: string;
  prettyName?: string;
  idLike: string[];
}

export interface HostFacts {
  hostname?: string;
  fqdn?: string;
  ips?: string[];
  macs?: string[];
  kernel?: string;
}

export type InventoryFormat =
  | 'dpkg-status'
  | 'rpm-qa'
  | 'apk-installed'
  | 'os-release'
  | 'vuls-scan'
  | 'npm-package-lock'
  | 'yarn-lock'
  | 'pnpm-lock'
  | 'cyclonedx-json'
  | 'cyclonedx-xml'
  | 'spdx-json';

/** What an SBOM describes (an image, an application): neither a package nor a host. */
export interface InventorySubject {
  name: string;
  version?: string;
  purl?: string;
  /** CycloneDX component type (`application`, `container`...) or SPDX `primaryPackagePurpose`. */
  type?: string;
}

/** One parsed input file. Several fragments (dpkg status + os-release) can describe one host. */
export interface InventoryFragment {
  format: InventoryFormat;
  file: string;
  host?: HostFacts;
  subject?: InventorySubject;
  os?: OsRelease;
  packages: InstalledPackage[];
  /** Non-fatal problems (a skipped entry and why, with its line). */
  warnings: string[];
}
