import { ecosystemBase } from '../versions/registry.ts';

/**
 * Package names are compared the way each ecosystem's registry compares them, so that a
 * lockfile's `Django` finds an advisory for `django`.
 */
export function normalizePackageName(ecosystem: string, name: string): string {
  switch (ecosystemBase(ecosystem)) {
    case 'PyPI':
      // PEP 503 normalisation.
      return name.toLowerCase().replace(/[-_.]+/g, '-');
    case 'NuGet':
    case 'Packagist':
    case 'RubyGems':
    case 'crates.io':
    case 'Debian':
    case 'Ubuntu':
    case 'Alpine':
      return name.toLowerCase();
    default:
      // npm, Maven, Go module paths and RPM names are case-sensitive.
      return name;
  }
}

/**
 * The ecosystem a host is matched under. Red Hat's OSV records name the repository too
 * (`Red Hat:enterprise_linux:9::appstream`), which a host's os-release cannot tell: a RHEL 9 host
 * is matched against every repository of its release.
 */
export function matchEcosystem(ecosystem: string): string {
  if (!ecosystem.startsWith('Red Hat:')) return ecosystem;
  const repo = ecosystem.indexOf('::');
  return repo < 0 ? ecosystem : ecosystem.slice(0, repo);
}

/** One string key for (ecosystem, package name); `\u0000` cannot occur in either. */
export function packageKey(ecosystem: string, name: string): string {
  return `${matchEcosystem(ecosystem)}\u0000${normalizePackageName(ecosystem, name)}`;
}
