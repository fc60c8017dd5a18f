import type { InstalledPackage, PackageManager } from '@patchwarden/core';
import { PackageURL } from 'packageurl-js';

/** Helpers shared by the npm, yarn and pnpm lockfile parsers. */

export interface NpmDescriptor {
  name: string;
  /** What follows the name: a range, a version, or a protocol (`npm:`, `workspace:`, `file:`...). */
  rest: string;
}

/** Splits `name@rest` / `@scope/name@rest`; undefined when there is no name. */
export function splitDescriptor(descriptor: string): NpmDescriptor | undefined {
  const text = descriptor.trim();
  const at = text.indexOf('@', text.startsWith('@') ? 1 : 0);
  if (at === -1) return isPackageName(text) ? { name: text, rest: '' } : undefined;
  const name = text.slice(0, at);
  return isPackageName(name) ? { name, rest: text.slice(at + 1) } : undefined;
}

/**
 * `npm:real-name@range` (an alias) names the package that is really installed; anything else,
 * including Berry's plain `npm:^1.2.0` / `npm:1.2.3`, returns the descriptor unchanged.
 */
export function resolveAlias(descriptor: NpmDescriptor): NpmDescriptor {
  if (!descriptor.rest.startsWith('npm:')) return descriptor;
  const target = splitDescriptor(descriptor.rest.slice(4));
  return target && target.rest !== '' ? target : descriptor;
}

/** Loose check: npm names are URL-safe, lower-case in new packages, optionally scoped. */
export function isPackageName(name: string): boolean {
  return /^(?:@[^\s/@]+\/)?[^\s/@][^\s/@]*$/.test(name) && name.length <= 214;
}

/** A version a registry serves (semver-like), as opposed to a git URL, path or tarball URL. */
export function isRegistryVersion(version: string): boolean {
  return /^v?\d+(?:\.[0-9A-Za-z-]+)*(?:[-+][0-9A-Za-z.+-]*)?$/.test(version);
}

export function npmPurl(name: string, version: string): string | undefined {
  if (!isRegistryVersion(version)) return undefined;
  const slash = name.startsWith('@') ? name.indexOf('/') : -1;
  try {
    const purl =
      slash === -1
        ? new PackageURL('npm', undefined, name, version, undefined, undefined)
        : new PackageURL('npm', name.slice(0, slash), name.slice(slash + 1), version, undefined, undefined);
    return purl.toString();
  } catch {
    return undefined;
  }
}

export function npmPackage(
  name: string,
  version: string,
  packageManager: PackageManager,
  file: string,
  line: number | undefined,
): InstalledPackage {
  const pkg: InstalledPackage = {
    ecosystem: 'npm',
    name,
    version,
    kind: 'language',
    packageManager,
    location: line === undefined ? { file } : { file, line },
  };
  const purl = npmPurl(name, version);
  if (purl) pkg.purl = purl;
  return pkg;
}
