import { createHash } from 'node:crypto';
import type { InstalledPackage, MatchTarget } from '@patchwarden/core';
import { matchTargetOf, normalizePackageName } from '@patchwarden/core';

/**
 * Content-addressed package sets. A set is a host's installed software as stored: each package
 * becomes a tuple (what the matcher compares, core `matchTargetOf`) plus the details the tuple does
 * not say. Hosts built from one image report the same rows and so share one set.
 *
 * What a set keeps of a package: ecosystem, name, version, source name and version, arch, purl,
 * kind, package manager and the file it was read from (which lockfile). Not the line in that
 * file: a dpkg status rewritten in another order lists the same software, and the agent's
 * inventory hash leaves the line out for the same reason (core `canonicalInventoryText`).
 */

export const SET_CANONICAL_HEADER = 'patchwarden-set/1';

/** Short keys: a set's details are stored once per set, but sets are many at fleet scale. */
export interface PackageDetails {
  /** Installed name and version, when they differ from the tuple's (Debian binary packages). */
  n?: string;
  v?: string;
  sn?: string;
  sv?: string;
  a?: string;
  p?: string;
  k: InstalledPackage['kind'];
  m: InstalledPackage['packageManager'];
  f?: string;
}

export interface SetItem {
  /** Ecosystem is '' for a package whose ecosystem is unknown (it cannot be matched). */
  tuple: MatchTarget;
  keyName: string;
  details: PackageDetails;
}

export interface CanonicalSet {
  hash: string;
  items: SetItem[];
}

export function tupleOf(pkg: InstalledPackage): MatchTarget {
  if (pkg.ecosystem === undefined || pkg.ecosystem === '') {
    return { ecosystem: '', name: pkg.name, version: pkg.version };
  }
  return matchTargetOf(pkg as InstalledPackage & { ecosystem: string });
}

export function tupleKey(tuple: MatchTarget): string {
  return `${tuple.ecosystem}\u0000${tuple.name}\u0000${tuple.version}`;
}

function detailsOf(pkg: InstalledPackage, tuple: MatchTarget): PackageDetails {
  const details: PackageDetails = { k: pkg.kind, m: pkg.packageManager };
  if (pkg.name !== tuple.name) details.n = pkg.name;
  if (pkg.version !== tuple.version) details.v = pkg.version;
  if (pkg.sourceName !== undefined) details.sn = pkg.sourceName;
  if (pkg.sourceVersion !== undefined) details.sv = pkg.sourceVersion;
  if (pkg.arch !== undefined) details.a = pkg.arch;
  if (pkg.purl !== undefined) details.p = pkg.purl;
  if (pkg.location?.file !== undefined) details.f = pkg.location.file;
  return details;
}

function canonicalLine(item: SetItem): string {
  const d = item.details;
  const { ecosystem, name, version } = item.tuple;
  return JSON.stringify([ecosystem, name, version, d.n, d.v, d.sn, d.sv, d.a, d.p, d.k, d.m, d.f]);
}

/** The set's items in canonical order (duplicates removed) and its `sha256:` content address. */
export function canonicalSet(packages: readonly InstalledPackage[]): CanonicalSet {
  const byLine = new Map<string, SetItem>();
  for (const pkg of packages) {
    const tuple = tupleOf(pkg);
    const item: SetItem = {
      tuple,
      keyName: tuple.ecosystem === '' ? tuple.name : normalizePackageName(tuple.ecosystem, tuple.name),
      details: detailsOf(pkg, tuple),
    };
    byLine.set(canonicalLine(item), item);
  }
  // Code-unit order, never a locale's: the hash must not depend on where it is computed.
  const lines = [...byLine.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const hash = createHash('sha256')
    .update([SET_CANONICAL_HEADER, ...lines].join('\n'))
    .digest('hex');
  return { hash: `sha256:${hash}`, items: lines.map((line) => byLine.get(line)!) };
}

/** The installed package a stored item stands for (without `location.line`, see above). */
export function packageFromItem(tuple: MatchTarget, details: PackageDetails): InstalledPackage {
  const pkg: InstalledPackage = {
    name: details.n ?? tuple.name,
    version: details.v ?? tuple.version,
    kind: details.k,
    packageManager: details.m,
  };
  if (tuple.ecosystem !== '') pkg.ecosystem = tuple.ecosystem;
  if (details.sn !== undefined) pkg.sourceName = details.sn;
  if (details.sv !== undefined) pkg.sourceVersion = details.sv;
  if (details.a !== undefined) pkg.arch = details.a;
  if (details.p !== undefined) pkg.purl = details.p;
  if (details.f !== undefined) pkg.location = { file: details.f };
  return pkg;
}
