/**
 * PHP's `version_compare()` (ext/standard/versioning.c), which Composer applies to normalised
 * versions. The string is canonicalised once (`-`, `_`, `+` and every other non-alphanumeric
 * character become `.`, and a `.` is put between digits and letters) and cut into tokens, so that
 * comparing two prepared versions is a loop over arrays.
 *
 * Tokens compare numerically when both start with a digit; otherwise by their "special form":
 * dev < alpha = a < beta = b < RC = rc < number < pl = p, matched by prefix (`patch` is `p`), and
 * any other word sorts below all of them.
 */

export interface PhpVersion {
  readonly tokens: readonly string[];
}

const NUMBER_FORM = 4;
const SPECIAL_FORMS: readonly (readonly [string, number])[] = [
  ['dev', 0],
  ['alpha', 1],
  ['a', 1],
  ['beta', 2],
  ['b', 2],
  ['RC', 3],
  ['rc', 3],
  ['#', NUMBER_FORM],
  ['pl', 5],
  ['p', 5],
];
const LONG_MAX = 9223372036854775807n;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isAlnum(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** `php_canonicalize_version`: the first character is kept as it is, as PHP does. */
function canonicalize(version: string): string {
  if (version.length === 0) return '';
  let out = version[0]!;
  let lp = version.charCodeAt(0);
  for (let i = 1; i < version.length; i++) {
    const c = version.charCodeAt(i);
    const lqDot = out.charCodeAt(out.length - 1) === 46;
    const digitNow = isDigit(c);
    const digitBefore = isDigit(lp);
    const dotNow = c === 46;
    const dotBefore = lp === 46;
    if (c === 45 || c === 95 || c === 43) {
      if (!lqDot) out += '.';
    } else if ((!digitBefore && !dotBefore && digitNow) || (digitBefore && !digitNow && !dotNow)) {
      if (!lqDot) out += '.';
      out += version[i];
    } else if (!isAlnum(c)) {
      if (!lqDot) out += '.';
    } else {
      out += version[i];
    }
    lp = c;
  }
  return out;
}

export function preparePhpVersion(version: string): PhpVersion {
  return { tokens: version.length === 0 ? [] : canonicalize(version).split('.') };
}

function specialForm(token: string): number {
  for (const [name, order] of SPECIAL_FORMS) if (token.startsWith(name)) return order;
  return -1;
}

/** `strtol` of a token that starts with a digit: its leading digits, saturating at LONG_MAX. */
function leadingNumber(token: string): bigint {
  let end = 0;
  while (end < token.length && isDigit(token.charCodeAt(end))) end++;
  const n = BigInt(token.slice(0, end));
  return n > LONG_MAX ? LONG_MAX : n;
}

function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

function compareTokens(t1: string, t2: string): number {
  const d1 = t1.length > 0 && isDigit(t1.charCodeAt(0));
  const d2 = t2.length > 0 && isDigit(t2.charCodeAt(0));
  if (d1 && d2) {
    const n1 = leadingNumber(t1);
    const n2 = leadingNumber(t2);
    return n1 < n2 ? -1 : n1 > n2 ? 1 : 0;
  }
  return sign((d1 ? NUMBER_FORM : specialForm(t1)) - (d2 ? NUMBER_FORM : specialForm(t2)));
}

/** `php_version_compare` on prepared versions: -1, 0 or 1. */
export function phpVersionCompare(a: PhpVersion, b: PhpVersion): number {
  const t1 = a.tokens;
  const t2 = b.tokens;
  if (t1.length === 0 || t2.length === 0) return t1.length === t2.length ? 0 : t1.length === 0 ? -1 : 1;
  // PHP walks both lists together and stops at the first empty token or the end of either list.
  let i = 0;
  while (i < t1.length && i < t2.length) {
    if (t1[i] === '' || t2[i] === '') break;
    const c = compareTokens(t1[i]!, t2[i]!);
    if (c !== 0) return c;
    i++;
  }
  if (i < t1.length && i >= t2.length) {
    // The longer one has more: a number after the end makes it larger; otherwise its next token
    // is weighed against a number (1.0-beta < 1.0 < 1.0-patch).
    return isDigit(t1[i]!.charCodeAt(0)) ? 1 : sign(specialForm(t1[i]!) - NUMBER_FORM);
  }
  if (i < t2.length && i >= t1.length) {
    return isDigit(t2[i]!.charCodeAt(0)) ? -1 : sign(NUMBER_FORM - specialForm(t2[i]!));
  }
  return 0;
}
