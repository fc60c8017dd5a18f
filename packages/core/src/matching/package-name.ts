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

/** One string key for (ecosystem, package name); `\u0000` cannot occur in either. */
export function packageKey(ecosystem: string, name: string): string {
  return `${ecosystem}\u0000${normalizePackageName(ecosystem, name)}`;
}
