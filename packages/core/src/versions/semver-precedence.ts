/**
 * SemVer 2.0.0 grammar and precedence with char loops, shared by the schemes whose ecosystems are
 * strict SemVer (crates.io, Go modules). Numbers stay digit strings so that any length compares
 * exactly; build metadata is validated and then dropped, as precedence ignores it.
 */

export interface SemverParts {
  /** Major, minor and patch as digit strings without leading zeros. */
  readonly major: string;
  readonly minor: string;
  readonly patch: string;
  /** Prerelease identifiers; empty for a release. */
  readonly pre: readonly string[];
}

export interface SemverGrammar {
  /** Go's `v1` and `v1.2` shorthands for v1.0.0 and v1.2.0 (no prerelease or build allowed then). */
  readonly shorthand: boolean;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isIdentChar(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45;
}

function isNumeric(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return s.length > 0;
}

/** Reads a numeric identifier at `at`: digits, no leading zero unless it is `0`. Returns its end. */
function readNumber(s: string, at: number): number {
  let i = at;
  while (i < s.length && isDigit(s.charCodeAt(i))) i++;
  if (i === at) return -1;
  if (s.charCodeAt(at) === 48 && i - at > 1) return -1;
  return i;
}

/** Splits dot-separated identifiers, each non-empty and of [0-9A-Za-z-]. */
function readIdentifiers(s: string, rejectLeadingZeros: boolean): string[] | undefined {
  const ids = s.split('.');
  for (const id of ids) {
    if (id.length === 0) return undefined;
    for (let i = 0; i < id.length; i++) if (!isIdentChar(id.charCodeAt(i))) return undefined;
    if (rejectLeadingZeros && id.length > 1 && id.charCodeAt(0) === 48 && isNumeric(id)) return undefined;
  }
  return ids;
}

export function parseSemver(version: string, grammar: SemverGrammar): SemverParts | undefined {
  const s = version;
  const majorEnd = readNumber(s, 0);
  if (majorEnd < 0) return undefined;
  const major = s.slice(0, majorEnd);
  if (majorEnd === s.length && grammar.shorthand) return { major, minor: '0', patch: '0', pre: [] };
  if (s.charCodeAt(majorEnd) !== 46) return undefined;

  const minorEnd = readNumber(s, majorEnd + 1);
  if (minorEnd < 0) return undefined;
  const minor = s.slice(majorEnd + 1, minorEnd);
  if (minorEnd === s.length && grammar.shorthand) return { major, minor, patch: '0', pre: [] };
  if (s.charCodeAt(minorEnd) !== 46) return undefined;

  const patchEnd = readNumber(s, minorEnd + 1);
  if (patchEnd < 0) return undefined;
  const patch = s.slice(minorEnd + 1, patchEnd);

  let rest = patchEnd;
  let pre: readonly string[] = [];
  const plus = s.indexOf('+', rest);
  if (s.charCodeAt(rest) === 45 /* - */) {
    const ids = readIdentifiers(s.slice(rest + 1, plus < 0 ? s.length : plus), true);
    if (ids === undefined) return undefined;
    pre = ids;
    rest = plus < 0 ? s.length : plus;
  }
  if (rest < s.length) {
    if (s.charCodeAt(rest) !== 43 /* + */) return undefined;
    if (readIdentifiers(s.slice(rest + 1), false) === undefined) return undefined;
  }
  return { major, minor, patch, pre };
}

/** Numeric strings without leading zeros: the longer is larger, else the lexically larger. */
export function compareNumeric(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareIdentifier(a: string, b: string): number {
  if (a === b) return 0;
  const na = isNumeric(a);
  const nb = isNumeric(b);
  if (na !== nb) return na ? -1 : 1; // numeric identifiers sort below alphanumeric ones
  if (na) return compareNumeric(a, b);
  return a < b ? -1 : 1; // ASCII order
}

/** SemVer 2.0.0 precedence (section 11). */
export function compareSemver(a: SemverParts, b: SemverParts): number {
  const main =
    compareNumeric(a.major, b.major) || compareNumeric(a.minor, b.minor) || compareNumeric(a.patch, b.patch);
  if (main !== 0) return main;
  if (a.pre.length === 0 || b.pre.length === 0) {
    // A release sorts above any of its prereleases.
    return a.pre.length === b.pre.length ? 0 : a.pre.length === 0 ? 1 : -1;
  }
  const n = Math.min(a.pre.length, b.pre.length);
  for (let i = 0; i < n; i++) {
    const c = compareIdentifier(a.pre[i]!, b.pre[i]!);
    if (c !== 0) return c;
  }
  return a.pre.length === b.pre.length ? 0 : a.pre.length < b.pre.length ? -1 : 1;
}
