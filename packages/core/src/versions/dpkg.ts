/**
 * Debian version ordering (deb-version(5), Debian Policy 5.6.12), ported from the algorithm of
 * dpkg's `verrevcmp` and `parseversion` (lib/dpkg/version.c, lib/dpkg/parsehelp.c) and checked
 * against `dpkg --compare-versions` in dpkg.oracle.test.ts.
 *
 * Comparison sits on the matching hot path, so it walks index ranges of the input strings and
 * allocates nothing; only `parseDpkgVersion` builds substrings.
 */
import { pwError } from '../errors/index.ts';
import type { VersionScheme } from './version-scheme.ts';

export interface DpkgVersion {
  /** 0 when the version has no epoch, as dpkg treats it. */
  readonly epoch: number;
  readonly upstream: string;
  /** '' when absent; dpkg orders an absent revision like '0'. */
  readonly revision: string;
}

const CH_TAB = 9;
const CH_SPACE = 32;
const CH_PLUS = 43;
const CH_HYPHEN = 45;
const CH_DOT = 46;
const CH_0 = 48;
const CH_9 = 57;
const CH_COLON = 58;
const CH_TILDE = 126;
/** dpkg stores the epoch in an int and refuses anything above INT_MAX. */
const MAX_EPOCH = 2147483647;

function isDigit(c: number): boolean {
  return c >= CH_0 && c <= CH_9;
}

function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isBlank(c: number): boolean {
  return c === CH_SPACE || c === CH_TAB;
}

/**
 * Where the parts of one version lie in its string. Two module-level instances are reused by
 * `compare` so that the hot path allocates nothing; JS runs one compare at a time, so sharing is
 * safe.
 */
class Layout {
  /** The string last scanned into this layout and the verdict, so repeats skip the scan. */
  source: string | undefined = undefined;
  error: string | undefined = undefined;
  epoch = 0;
  upstreamStart = 0;
  upstreamEnd = 0;
  /** Equal to `end` when there is no revision. */
  revisionStart = 0;
  end = 0;
}

/** Fills `out` with the layout of `v`; returns dpkg's reason when the version is invalid. */
function scanUncached(v: string, out: Layout): string | undefined {
  const length = v.length;
  if (length === 0) return 'version string is empty';
  let start = 0;
  while (start < length && isBlank(v.charCodeAt(start))) start++;
  let end = length;
  while (end > start && isBlank(v.charCodeAt(end - 1))) end--;

  // One pass finds the first colon and the last hyphen and checks every character, so that a
  // valid version costs a single walk.
  let colon = -1;
  let hyphen = -1;
  for (let i = start; i < end; i++) {
    const c = v.charCodeAt(i);
    if (isDigit(c) || isAlpha(c) || c === CH_DOT || c === CH_PLUS || c === CH_TILDE) continue;
    if (c === CH_HYPHEN) hyphen = i;
    else if (c === CH_COLON) {
      if (colon < 0) colon = i;
    } else if (isBlank(c)) return 'version string has embedded spaces';
    else return 'invalid character in version number';
  }

  let upstreamStart = start;
  let epoch = 0;
  if (colon >= 0) {
    const parsed = parseEpoch(v, start, colon);
    if (typeof parsed === 'string') return parsed;
    epoch = parsed;
    upstreamStart = colon + 1;
    if (upstreamStart === end) return 'nothing after colon in version number';
  }

  let upstreamEnd = end;
  let revisionStart = end;
  // A hyphen before the colon is the epoch's sign, already judged by parseEpoch.
  if (hyphen > colon) {
    if (hyphen + 1 === end) return 'revision number is empty';
    upstreamEnd = hyphen;
    revisionStart = hyphen + 1;
    for (let i = revisionStart; i < end; i++) {
      if (v.charCodeAt(i) === CH_COLON) return 'invalid character in revision number';
    }
  }
  if (upstreamEnd <= upstreamStart) return 'version number is empty';

  out.epoch = epoch;
  out.upstreamStart = upstreamStart;
  out.upstreamEnd = upstreamEnd;
  out.revisionStart = revisionStart;
  out.end = end;
  return undefined;
}

/**
 * `scanUncached` with a one-entry memo per layout: matching compares one installed version against
 * many advisory bounds in a row, so the left side usually repeats.
 */
function scan(v: string, out: Layout): string | undefined {
  if (out.source === v) return out.error;
  const error = scanUncached(v, out);
  out.source = v;
  out.error = error;
  return error;
}

/** The epoch as dpkg's strtol reads it: an optional sign, then decimal digits, up to INT_MAX. */
function parseEpoch(v: string, start: number, colon: number): number | string {
  let i = start;
  let negative = false;
  const sign = v.charCodeAt(i);
  if (sign === CH_PLUS || sign === CH_HYPHEN) {
    negative = sign === CH_HYPHEN;
    i++;
  }
  if (i === colon) return 'epoch in version is empty';
  let value = 0;
  for (; i < colon; i++) {
    const c = v.charCodeAt(i);
    if (!isDigit(c)) return i === start ? 'epoch in version is empty' : 'epoch in version is not number';
    value = value * 10 + (c - CH_0);
    // Stop before the number outgrows exact doubles; anything this large is refused anyway.
    if (value > MAX_EPOCH) {
      for (i++; i < colon; i++) if (!isDigit(v.charCodeAt(i))) return 'epoch in version is not number';
      return negative ? 'epoch in version is negative' : 'epoch in version is too big';
    }
  }
  if (negative && value !== 0) return 'epoch in version is negative';
  return value;
}

/** dpkg's weight of one character: `~` before the end, the end before letters, letters before the rest. */
function order(c: number): number {
  if (isDigit(c)) return 0;
  if (isAlpha(c)) return c;
  if (c === CH_TILDE) return -1;
  return c + 256;
}

/**
 * verrevcmp over `a[ai, aEnd)` and `b[bi, bEnd)`: alternating runs of non-digits (compared by
 * `order`) and digits (compared as numbers of any length, leading zeros ignored).
 */
function verrevcmp(a: string, ai: number, aEnd: number, b: string, bi: number, bEnd: number): number {
  while (ai < aEnd || bi < bEnd) {
    while (true) {
      const ac = ai < aEnd ? a.charCodeAt(ai) : -1;
      const bc = bi < bEnd ? b.charCodeAt(bi) : -1;
      const aText = ac >= 0 && !isDigit(ac);
      const bText = bc >= 0 && !isDigit(bc);
      if (!aText && !bText) break;
      const ao = aText ? order(ac) : 0;
      const bo = bText ? order(bc) : 0;
      if (ao !== bo) return ao < bo ? -1 : 1;
      ai++;
      bi++;
    }
    while (ai < aEnd && a.charCodeAt(ai) === CH_0) ai++;
    while (bi < bEnd && b.charCodeAt(bi) === CH_0) bi++;
    let firstDiff = 0;
    while (ai < aEnd && bi < bEnd) {
      const ac = a.charCodeAt(ai);
      const bc = b.charCodeAt(bi);
      if (!isDigit(ac) || !isDigit(bc)) break;
      if (firstDiff === 0) firstDiff = ac - bc;
      ai++;
      bi++;
    }
    if (ai < aEnd && isDigit(a.charCodeAt(ai))) return 1;
    if (bi < bEnd && isDigit(b.charCodeAt(bi))) return -1;
    if (firstDiff !== 0) return firstDiff < 0 ? -1 : 1;
  }
  return 0;
}

function invalid(version: string, reason: string): never {
  throw pwError('PW_ERR_INVALID_VERSION', `Invalid dpkg version "${version}": ${reason}`, {
    field: 'version',
    scheme: 'dpkg',
    version,
    reason,
  });
}

const LEFT = new Layout();
const RIGHT = new Layout();

function compareLayouts(a: string, la: Layout, b: string, lb: Layout): number {
  if (la.epoch !== lb.epoch) return la.epoch < lb.epoch ? -1 : 1;
  const upstream = verrevcmp(a, la.upstreamStart, la.upstreamEnd, b, lb.upstreamStart, lb.upstreamEnd);
  if (upstream !== 0) return upstream;
  return verrevcmp(a, la.revisionStart, la.end, b, lb.revisionStart, lb.end);
}

/**
 * Whether dpkg accepts `version`. Like dpkg, surrounding blanks are ignored and an upstream part
 * that does not start with a digit is accepted (dpkg only warns); characters outside Policy's
 * set are refused (dpkg refuses them when building or installing a package).
 */
export function isValidDpkgVersion(version: string): boolean {
  return scan(version, LEFT) === undefined;
}

/** -1, 0 or 1. Throws PW_ERR_INVALID_VERSION when either side is not a valid dpkg version. */
export function compareDpkgVersions(a: string, b: string): number {
  const errorA = scan(a, LEFT);
  if (errorA !== undefined) invalid(a, errorA);
  const errorB = scan(b, RIGHT);
  if (errorB !== undefined) invalid(b, errorB);
  return compareLayouts(a, LEFT, b, RIGHT);
}

/** Splits a version into epoch, upstream and revision, as dpkg does. Throws on invalid input. */
export function parseDpkgVersion(version: string): DpkgVersion {
  const error = scan(version, LEFT);
  if (error !== undefined) invalid(version, error);
  return {
    epoch: LEFT.epoch,
    upstream: version.slice(LEFT.upstreamStart, LEFT.upstreamEnd),
    revision: version.slice(LEFT.revisionStart, LEFT.end),
  };
}

/** Orders versions that were already parsed, e.g. a feed's fixed version against a source version. */
export function compareParsedDpkgVersions(a: DpkgVersion, b: DpkgVersion): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  const upstream = verrevcmp(a.upstream, 0, a.upstream.length, b.upstream, 0, b.upstream.length);
  if (upstream !== 0) return upstream;
  return verrevcmp(a.revision, 0, a.revision.length, b.revision, 0, b.revision.length);
}

export const dpkgScheme: VersionScheme = Object.freeze({
  id: 'dpkg',
  compare: compareDpkgVersions,
  isValid: isValidDpkgVersion,
});
