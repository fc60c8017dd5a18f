import { createHash } from 'node:crypto';
import type { InstalledPackage, MatchTarget } from '@patchwarden/core';
import { matchTargetOf, normalizePackageName } from '@patchwarden/core';
import type { RememberedItemIds } from './interned-id-cache.ts';

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
  /** The item's canonical line: unique per (tuple, details), so also its identity. */
  line: string;
  /**
   * `\n` + the line in UTF-8, for items kept across uploads (InventoryLineCache): a set of such
   * items is hashed from these bytes without joining and encoding its lines again.
   */
  lineBytes?: Buffer;
  /** `packageFromItem` of this item, built once (see `packageOfItem`); never modified. */
  package?: InstalledPackage;
  /** Its stored ids, once known (interned-id-cache.ts `knownItemIds`). */
  storedIds?: RememberedItemIds;
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

/** Characters JSON.stringify escapes in a string (quote, backslash, controls, lone surrogates). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** JSON.stringify(value) for one array element, without its cost for the common plain string. */
function jsonElement(value: string | undefined): string {
  if (value === undefined) return 'null';
  return typeof value === 'string' && !NEEDS_ESCAPE.test(value) ? `"${value}"` : JSON.stringify(value);
}

/**
 * `JSON.stringify([ecosystem, name, version, n, v, sn, sv, a, p, k, m, f])`, character for
 * character (the set hash depends on it), built without a temporary array per package.
 */
function canonicalLine(tuple: MatchTarget, d: PackageDetails): string {
  return (
    `[${jsonElement(tuple.ecosystem)},${jsonElement(tuple.name)},${jsonElement(tuple.version)},` +
    `${jsonElement(d.n)},${jsonElement(d.v)},${jsonElement(d.sn)},${jsonElement(d.sv)},${jsonElement(d.a)},` +
    `${jsonElement(d.p)},${jsonElement(d.k)},${jsonElement(d.m)},${jsonElement(d.f)}]`
  );
}

/** The set item a package becomes (its ecosystem set: OS packages get theirs from the host's release). */
export function setItemOf(pkg: InstalledPackage): SetItem {
  const tuple = tupleOf(pkg);
  const details = detailsOf(pkg, tuple);
  return {
    tuple,
    keyName: tuple.ecosystem === '' ? tuple.name : normalizePackageName(tuple.ecosystem, tuple.name),
    details,
    line: canonicalLine(tuple, details),
  };
}

/** The set's items in canonical order (duplicates removed) and its `sha256:` content address. */
export function canonicalSet(packages: readonly InstalledPackage[]): CanonicalSet {
  return canonicalSetOfItems(packages.map(setItemOf));
}

/** `canonicalSet` for items already built (see the server's inventory-line cache). */
export function canonicalSetOfItems(items: readonly SetItem[]): CanonicalSet {
  const byLine = new Map<string, SetItem>();
  for (const item of items) byLine.set(item.line, item);
  // Code-unit order, never a locale's: the hash must not depend on where it is computed. (The
  // default sort compares strings by UTF-16 code units, without a call per comparison.)
  const lines = [...byLine.keys()].sort();
  const sorted = lines.map((line) => byLine.get(line)!);
  return { hash: setHashOfSorted(sorted), items: sorted };
}

/** Where setHashOfSorted gathers kept items' line bytes (about 6,000 lines a buffer-full). */
const hashScratch = Buffer.allocUnsafeSlow(1 << 20);

/** The `sha256:` content address of distinct items already in canonical order. */
export function setHashOfSorted(sorted: readonly SetItem[]): string {
  const hash = createHash('sha256').update(SET_CANONICAL_HEADER);
  if (sorted.every((item) => item.lineBytes !== undefined)) {
    // The same bytes as the join below: each item's "\n" + line, in order, copied into a buffer
    // kept for this (a new buffer the size of a set per upload is fresh memory, page-faulted in
    // every time) and hashed a buffer-full at a time.
    let filled = 0;
    for (const item of sorted) {
      const bytes = item.lineBytes!;
      if (filled + bytes.length > hashScratch.length) {
        hash.update(hashScratch.subarray(0, filled));
        filled = 0;
      }
      if (bytes.length > hashScratch.length) hash.update(bytes);
      else filled += bytes.copy(hashScratch, filled);
    }
    hash.update(hashScratch.subarray(0, filled));
  } else if (sorted.length > 0) {
    hash.update(`\n${sorted.map((item) => item.line).join('\n')}`);
  }
  return `sha256:${hash.digest('hex')}`;
}

/** The item with its `lineBytes`, for an item that will be kept and hashed again. */
export function withLineBytes(item: SetItem): SetItem {
  item.lineBytes = Buffer.from(`\n${item.line}`, 'utf8');
  return item;
}

/** The installed package an item stands for, built on first use and then shared (never modify it). */
export function packageOfItem(item: SetItem): InstalledPackage {
  return (item.package ??= packageFromItem(item.tuple, item.details));
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
