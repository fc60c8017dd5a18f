import type { InstalledPackage } from '@patchwarden/core';

/**
 * Lockfiles list one package version many times (nested copies, peer-dependency variants,
 * several ranges resolving to one version); matching needs each name@version once. The first
 * occurrence is kept, so its location points at the earliest entry in the file.
 */
export class PackageSet {
  readonly #byKey = new Map<string, InstalledPackage>();

  add(pkg: InstalledPackage): void {
    const key = `${pkg.ecosystem ?? pkg.packageManager}\u0000${pkg.name}\u0000${pkg.version}\u0000${pkg.arch ?? ''}`;
    if (!this.#byKey.has(key)) this.#byKey.set(key, pkg);
  }

  get size(): number {
    return this.#byKey.size;
  }

  toArray(): InstalledPackage[] {
    return [...this.#byKey.values()];
  }
}
