/**
 * RPM version ordering: `[epoch:]version[-release]` compared as rpm's `rpmverCmp` does (epoch,
 * then version, then release, each with `rpmvercmp`), ported from the algorithm of rpm's
 * `rpmvercmp` (rpmio/rpmvercmp.c, lib/rpmvercmp.c before rpm 4.16) and `rpmverCmp`
 * (rpmio/rpmver.c), and checked against `rpm.vercmp` in rpm.oracle.test.ts.
 *
 * Comparison walks index ranges of the input strings and allocates nothing.
 */
import { pwError } from '../errors/index.ts';
import type { VersionScheme } from './version-scheme.ts';

export interface RpmVersion {
  /** 0 when the string has none, as rpm compares it. */
  readonly epoch: number;
  readonly version: string;
  /** undefined when absent: rpm orders a missing release before any release. */
  readonly release: string | undefined;
}

const CH_PLUS = 43;
const CH_HYPHEN = 45;
const CH_DOT = 46;
const CH_0 = 48;
const CH_9 = 57;
const CH_COLON = 58;
const CH_CARET = 94;
const CH_UNDERSCORE = 95;
const CH_TILDE = 126;
/** The Epoch tag is a 32-bit integer in every rpm header. */
const MAX_EPOCH = 4294967295;

function isDigit(c: number): boolean {
  return c >= CH_0 && c <= CH_9;
}

function isAlpha(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** The characters rpmbuild allows in Version and Release (alphanumerics and `._+~^`). */
function isVerRelChar(c: number): boolean {
  return (
    isDigit(c) ||
    isAlpha(c) ||
    c === CH_DOT ||
    c === CH_UNDERSCORE ||
    c === CH_PLUS ||
    c === CH_TILDE ||
    c === CH_CARET
  );
}

/** Where the parts of one EVR lie in its string; reused by `compare` to avoid allocation. */
class Layout {
  /** The string last scanned into this layout and the verdict, so repeats skip the scan. */
  source: string | undefined = undefined;
  error: string | undefined = undefined;
  epoch = 0;
  versionStart = 0;
  versionEnd = 0;
  /** -1 when there is no release. */
  releaseStart = -1;
  end = 0;
}

function scanUncached(v: string, out: Layout): string | undefined {
  const end = v.length;
  if (end === 0) return 'empty version';
  let colon = -1;
  let hyphen = -1;
  for (let i = 0; i < end; i++) {
    const c = v.charCodeAt(i);
    if (isVerRelChar(c)) continue;
    if (c === CH_COLON) {
      if (colon >= 0) return 'more than one colon';
      if (hyphen >= 0) return 'colon after the release separator';
      colon = i;
    } else if (c === CH_HYPHEN) {
      if (hyphen >= 0) return 'more than one hyphen (version and release cannot hold one)';
      hyphen = i;
    } else return `invalid character ${JSON.stringify(v[i])}`;
  }

  let epoch = 0;
  let versionStart = 0;
  if (colon >= 0) {
    if (colon === 0) return 'empty epoch';
    for (let i = 0; i < colon; i++) {
      const c = v.charCodeAt(i);
      if (!isDigit(c)) return 'epoch is not a number';
      epoch = epoch * 10 + (c - CH_0);
      if (epoch > MAX_EPOCH) return 'epoch is too big';
    }
    versionStart = colon + 1;
  }
  const versionEnd = hyphen >= 0 ? hyphen : end;
  if (versionEnd === versionStart) return 'empty version';
  if (hyphen >= 0 && hyphen + 1 === end) return 'empty release';

  out.epoch = epoch;
  out.versionStart = versionStart;
  out.versionEnd = versionEnd;
  out.releaseStart = hyphen >= 0 ? hyphen + 1 : -1;
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

/**
 * rpmvercmp over `a[ai, aEnd)` and `b[bi, bEnd)`. Separators only split segments; `~` sorts before
 * everything including the end, `^` after the end but before anything else; a numeric segment
 * beats an alphabetic one; numbers compare by value at any length.
 */
function rpmvercmp(a: string, ai: number, aEnd: number, b: string, bi: number, bEnd: number): number {
  while (ai < aEnd || bi < bEnd) {
    let ac = ai < aEnd ? a.charCodeAt(ai) : -1;
    while (ac >= 0 && !isDigit(ac) && !isAlpha(ac) && ac !== CH_TILDE && ac !== CH_CARET) {
      ac = ++ai < aEnd ? a.charCodeAt(ai) : -1;
    }
    let bc = bi < bEnd ? b.charCodeAt(bi) : -1;
    while (bc >= 0 && !isDigit(bc) && !isAlpha(bc) && bc !== CH_TILDE && bc !== CH_CARET) {
      bc = ++bi < bEnd ? b.charCodeAt(bi) : -1;
    }

    if (ac === CH_TILDE || bc === CH_TILDE) {
      if (ac !== CH_TILDE) return 1;
      if (bc !== CH_TILDE) return -1;
      ai++;
      bi++;
      continue;
    }
    if (ac === CH_CARET || bc === CH_CARET) {
      if (ac < 0) return -1;
      if (bc < 0) return 1;
      if (ac !== CH_CARET) return 1;
      if (bc !== CH_CARET) return -1;
      ai++;
      bi++;
      continue;
    }
    if (ac < 0 || bc < 0) break;

    let aSeg = ai;
    let bSeg = bi;
    const numeric = isDigit(ac);
    if (numeric) {
      while (aSeg < aEnd && isDigit(a.charCodeAt(aSeg))) aSeg++;
      while (bSeg < bEnd && isDigit(b.charCodeAt(bSeg))) bSeg++;
    } else {
      while (aSeg < aEnd && isAlpha(a.charCodeAt(aSeg))) aSeg++;
      while (bSeg < bEnd && isAlpha(b.charCodeAt(bSeg))) bSeg++;
    }
    // Segments of different kinds: the numeric one is newer.
    if (bSeg === bi) return numeric ? 1 : -1;

    if (numeric) {
      while (ai < aSeg && a.charCodeAt(ai) === CH_0) ai++;
      while (bi < bSeg && b.charCodeAt(bi) === CH_0) bi++;
      const aLen = aSeg - ai;
      const bLen = bSeg - bi;
      if (aLen !== bLen) return aLen > bLen ? 1 : -1;
    }
    while (ai < aSeg && bi < bSeg) {
      const diff = a.charCodeAt(ai) - b.charCodeAt(bi);
      if (diff !== 0) return diff < 0 ? -1 : 1;
      ai++;
      bi++;
    }
    if (ai < aSeg) return 1;
    if (bi < bSeg) return -1;
  }
  if (ai >= aEnd && bi >= bEnd) return 0;
  return ai >= aEnd ? -1 : 1;
}

function invalid(version: string, reason: string): never {
  throw pwError('PW_ERR_INVALID_VERSION', `Invalid RPM version "${version}": ${reason}`, {
    field: 'version',
    scheme: 'rpm',
    version,
    reason,
  });
}

const LEFT = new Layout();
const RIGHT = new Layout();

function compareLayouts(a: string, la: Layout, b: string, lb: Layout): number {
  if (la.epoch !== lb.epoch) return la.epoch < lb.epoch ? -1 : 1;
  const version = rpmvercmp(a, la.versionStart, la.versionEnd, b, lb.versionStart, lb.versionEnd);
  if (version !== 0) return version;
  if (la.releaseStart < 0 || lb.releaseStart < 0) {
    if (la.releaseStart === lb.releaseStart) return 0;
    return la.releaseStart < 0 ? -1 : 1;
  }
  return rpmvercmp(a, la.releaseStart, la.end, b, lb.releaseStart, lb.end);
}

/**
 * Whether the string is `[epoch:]version[-release]` with a decimal epoch that fits rpm's 32 bits
 * and a version and release made of the characters rpmbuild allows (so neither holds a hyphen).
 */
export function isValidRpmVersion(version: string): boolean {
  return scan(version, LEFT) === undefined;
}

/** -1, 0 or 1, as `rpm.vercmp`. Throws PW_ERR_INVALID_VERSION when either side is invalid. */
export function compareRpmVersions(a: string, b: string): number {
  const errorA = scan(a, LEFT);
  if (errorA !== undefined) invalid(a, errorA);
  const errorB = scan(b, RIGHT);
  if (errorB !== undefined) invalid(b, errorB);
  return compareLayouts(a, LEFT, b, RIGHT);
}

/** Splits an EVR string. Throws PW_ERR_INVALID_VERSION on invalid input. */
export function parseRpmVersion(version: string): RpmVersion {
  const error = scan(version, LEFT);
  if (error !== undefined) invalid(version, error);
  return {
    epoch: LEFT.epoch,
    version: version.slice(LEFT.versionStart, LEFT.versionEnd),
    release: LEFT.releaseStart < 0 ? undefined : version.slice(LEFT.releaseStart, LEFT.end),
  };
}

/** rpmvercmp itself, for one version or release string (no epoch or release splitting). */
export function rpmVerCmp(a: string, b: string): number {
  return rpmvercmp(a, 0, a.length, b, 0, b.length);
}

/** Orders EVRs that were already parsed, e.g. an inventory's epoch, version and release. */
export function compareParsedRpmVersions(a: RpmVersion, b: RpmVersion): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  const version = rpmVerCmp(a.version, b.version);
  if (version !== 0) return version;
  if (a.release === undefined || b.release === undefined) {
    if (a.release === b.release) return 0;
    return a.release === undefined ? -1 : 1;
  }
  return rpmVerCmp(a.release, b.release);
}

export const rpmScheme: VersionScheme = Object.freeze({
  id: 'rpm',
  compare: compareRpmVersions,
  isValid: isValidRpmVersion,
});
