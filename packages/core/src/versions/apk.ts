/**
 * Alpine apk version ordering, ported from the algorithm of apk-tools' src/version.c (its current
 * tokenizer, with `~hash` support): `digits{.digits}[letter]{_suffix[digits]}[~hash][-rN]`.
 * Older apk-tools also took digits after the letter (`6.6.2p1`); the current one refuses them.
 *
 * - numbers compare by value, except that a dotted component with a leading zero compares as a
 *   string (`1.02 < 1.1`), as in Gentoo;
 * - `_alpha < _beta < _pre < _rc` < no suffix < `_cvs < _svn < _git < _hg < _p`;
 * - `-rN` is the package revision.
 *
 * apk keeps numbers in 64 bits and wraps on overflow; we compare digit runs of any length by value
 * instead, which only differs for runs longer than 19 digits.
 */
import { pwError } from '../errors/index.ts';
import type { VersionScheme } from './version-scheme.ts';

export interface ApkVersion {
  /** Everything before `-r`, e.g. `1.2.4_git20230717`. */
  readonly version: string;
  /** The `-rN` package revision; undefined when absent (apk orders no revision before `-r0`). */
  readonly revision: number | undefined;
}

// Token kinds in apk-tools' order: the order decides which of two versions that agree up to a
// point is newer (a version that goes on with a kind further down is older).
const INITIAL_DIGIT = 0;
const DIGIT = 1;
const LETTER = 2;
const SUFFIX = 3;
const SUFFIX_NO = 4;
const COMMIT_HASH = 5;
const REVISION_NO = 6;
const END = 7;
const INVALID = 8;

/** Suffix ranks; NONE is the rank of "no suffix", so pre-release suffixes sit below it. */
const SUFFIX_NONE = 5;
const SUFFIXES: readonly (readonly [string, number])[] = [
  ['alpha', 1],
  ['beta', 2],
  ['pre', 3],
  ['rc', 4],
  ['cvs', 6],
  ['svn', 7],
  ['git', 8],
  ['hg', 9],
  ['p', 10],
];

/** Rank of the suffix s[start, end), or 0 when apk does not know it. */
function suffixRank(s: string, start: number, end: number): number {
  const length = end - start;
  for (const [name, rank] of SUFFIXES) {
    if (name.length === length && s.startsWith(name, start)) return rank;
  }
  return 0;
}

const CH_HYPHEN = 45;
const CH_DOT = 46;
const CH_0 = 48;
const CH_9 = 57;
const CH_UNDERSCORE = 95;
const CH_A_LOWER = 97;
const CH_F_LOWER = 102;
const CH_R_LOWER = 114;
const CH_Z_LOWER = 122;
const CH_TILDE = 126;

function isDigit(c: number): boolean {
  return c >= CH_0 && c <= CH_9;
}

function isLower(c: number): boolean {
  return c >= CH_A_LOWER && c <= CH_Z_LOWER;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= CH_A_LOWER && c <= CH_F_LOWER);
}

/** A cursor over one version string; two are reused by `compare` so it allocates nothing. */
class Tokenizer {
  /** The string last validated with this tokenizer and the verdict, so repeats skip the pass. */
  checked: string | undefined = undefined;
  checkedValid = false;
  s = '';
  pos = 0;
  token = INVALID;
  /** The token's text is s[start, end). */
  start = 0;
  end = 0;
  suffix = 0;

  first(s: string): void {
    this.s = s;
    this.pos = 0;
    this.token = INITIAL_DIGIT;
    this.digits();
  }

  next(): void {
    const s = this.s;
    if (this.pos >= s.length) {
      this.token = END;
      return;
    }
    const c = s.charCodeAt(this.pos);
    const token = this.token;
    if (isLower(c)) {
      if (token > DIGIT) return this.fail();
      this.start = this.pos;
      this.end = ++this.pos;
      this.token = LETTER;
    } else if (c === CH_DOT || isDigit(c)) {
      if (c === CH_DOT) {
        if (token > DIGIT) return this.fail();
        this.pos++;
      }
      if (token === INITIAL_DIGIT || token === DIGIT) this.token = DIGIT;
      else if (token === SUFFIX) this.token = SUFFIX_NO;
      else return this.fail();
      this.digits();
    } else if (c === CH_UNDERSCORE) {
      if (token > SUFFIX_NO) return this.fail();
      this.start = ++this.pos;
      while (this.pos < s.length && isLower(s.charCodeAt(this.pos))) this.pos++;
      this.end = this.pos;
      const rank = suffixRank(s, this.start, this.end);
      if (rank === 0) return this.fail();
      this.suffix = rank;
      this.token = SUFFIX;
    } else if (c === CH_TILDE) {
      if (token >= COMMIT_HASH) return this.fail();
      this.start = ++this.pos;
      while (this.pos < s.length && isHex(s.charCodeAt(this.pos))) this.pos++;
      this.end = this.pos;
      if (this.end === this.start) return this.fail();
      this.token = COMMIT_HASH;
    } else if (c === CH_HYPHEN) {
      if (token >= REVISION_NO || s.charCodeAt(this.pos + 1) !== CH_R_LOWER) return this.fail();
      this.pos += 2;
      this.token = REVISION_NO;
      this.digits();
    } else {
      this.fail();
    }
  }

  private digits(): void {
    const s = this.s;
    this.start = this.pos;
    while (this.pos < s.length && isDigit(s.charCodeAt(this.pos))) this.pos++;
    this.end = this.pos;
    if (this.end === this.start) this.token = INVALID;
  }

  private fail(): void {
    this.token = INVALID;
  }
}

/** Compares two digit runs by value, whatever their length. */
function compareNumbers(a: string, as: number, ae: number, b: string, bs: number, be: number): number {
  while (as < ae - 1 && a.charCodeAt(as) === CH_0) as++;
  while (bs < be - 1 && b.charCodeAt(bs) === CH_0) bs++;
  if (ae - as !== be - bs) return ae - as < be - bs ? -1 : 1;
  return compareText(a, as, ae, b, bs, be);
}

/** Byte order, then the shorter first (apk's blob sort). */
function compareText(a: string, as: number, ae: number, b: string, bs: number, be: number): number {
  while (as < ae && bs < be) {
    const diff = a.charCodeAt(as) - b.charCodeAt(bs);
    if (diff !== 0) return diff < 0 ? -1 : 1;
    as++;
    bs++;
  }
  if (as < ae) return 1;
  if (bs < be) return -1;
  return 0;
}

function compareTokens(ta: Tokenizer, tb: Tokenizer): number {
  switch (ta.token) {
    case DIGIT:
      // A leading zero makes the component a fraction-like string (Gentoo's rule).
      if (ta.s.charCodeAt(ta.start) === CH_0 || tb.s.charCodeAt(tb.start) === CH_0) {
        return compareText(ta.s, ta.start, ta.end, tb.s, tb.start, tb.end);
      }
      return compareNumbers(ta.s, ta.start, ta.end, tb.s, tb.start, tb.end);
    case INITIAL_DIGIT:
    case SUFFIX_NO:
    case REVISION_NO:
      return compareNumbers(ta.s, ta.start, ta.end, tb.s, tb.start, tb.end);
    case SUFFIX:
      return ta.suffix === tb.suffix ? 0 : ta.suffix < tb.suffix ? -1 : 1;
    default:
      return compareText(ta.s, ta.start, ta.end, tb.s, tb.start, tb.end);
  }
}

const LEFT = new Tokenizer();
const RIGHT = new Tokenizer();

/** Runs the tokenizer to the end; memoised per tokenizer, as matching repeats the left side. */
function validate(version: string, t: Tokenizer): boolean {
  if (t.checked === version) return t.checkedValid;
  for (t.first(version); t.token < END; t.next());
  t.checked = version;
  t.checkedValid = t.token === END;
  return t.checkedValid;
}

function invalid(version: string): never {
  throw pwError('PW_ERR_INVALID_VERSION', `Invalid apk version "${version}"`, {
    field: 'version',
    scheme: 'apk',
    version,
  });
}

export function isValidApkVersion(version: string): boolean {
  return validate(version, LEFT);
}

/** -1, 0 or 1. Throws PW_ERR_INVALID_VERSION when either side is not a valid apk version. */
export function compareApkVersions(a: string, b: string): number {
  if (!validate(a, LEFT)) invalid(a);
  if (!validate(b, RIGHT)) invalid(b);
  const ta = LEFT;
  const tb = RIGHT;
  for (ta.first(a), tb.first(b); ta.token === tb.token && ta.token < END; ta.next(), tb.next()) {
    const r = compareTokens(ta, tb);
    if (r !== 0) return r;
  }
  if (ta.token === tb.token) return 0;
  // Equal so far, and one goes on: it is older only if it goes on with a pre-release suffix or
  // with a kind of token that sorts further down than the other's.
  if (ta.token === SUFFIX && ta.suffix < SUFFIX_NONE) return -1;
  if (tb.token === SUFFIX && tb.suffix < SUFFIX_NONE) return 1;
  return ta.token > tb.token ? -1 : 1;
}

/** Splits off the `-rN` revision. Throws PW_ERR_INVALID_VERSION on invalid input. */
export function parseApkVersion(version: string): ApkVersion {
  if (!isValidApkVersion(version)) invalid(version);
  const dash = version.lastIndexOf('-r');
  if (dash < 0) return { version, revision: undefined };
  return { version: version.slice(0, dash), revision: Number(version.slice(dash + 2)) };
}

export const apkScheme: VersionScheme = Object.freeze({
  id: 'apk',
  compare: compareApkVersions,
  isValid: isValidApkVersion,
});
