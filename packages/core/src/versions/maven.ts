/**
 * Maven's version order: a port of `org.apache.maven.artifact.versioning.ComparableVersion` with
 * Maven 3.9 semantics (maven-artifact 3.9.x), written from the algorithm, not translated line by
 * line. A version is a list of items; `.` separates items in one list, while `-` and every
 * letter/digit transition open a nested sub-list, which sorts below a number at the same place:
 * 1-1 < 1.0.1, 1.0.RC2 < 1.0-RC3 < 1.0.1.
 *
 * Qualifiers: alpha = a < beta = b < milestone = m < rc = cr < snapshot < "" = ga = final = release
 * < sp < any other string (case-insensitive, ordered lexically). Trailing zeros, empty qualifiers
 * and empty sub-lists are dropped, so 1 == 1.0 == 1-0 == 1.0-ga.
 *
 * Maven's own order is not transitive in some corners (1-0.alpha < 1 < 1-foo < 1-0.alpha;
 * 1.foo-SNAPSHOT < 1-alpha < 1 < 1.foo-SNAPSHOT): a sub-list always beats a qualifier, yet compares
 * to "nothing" by its content. We keep Maven's answers, so that range checks agree with what Maven
 * resolves; hyphen-qualified versions (1.2.3-rc1, 2.0-SNAPSHOT) are totally ordered.
 *
 * Maven accepts any string; we reject the empty string, whitespace and control characters (no POM
 * version contains them) and non-ASCII decimal digits (Java would read them as digits, a corner we
 * do not port).
 */
import { invalidVersion } from './invalid-version.ts';
import { boundedParseCache, PARSE_CACHE_LIMIT } from './parse-cache.ts';
import type { VersionScheme } from './version-scheme.ts';

const NUM = 0;
const STR = 1;
const LIST = 2;

/** A number, kept as its digits without leading zeros so that any length compares exactly. */
interface NumItem {
  readonly kind: typeof NUM;
  readonly digits: string;
}
/** A qualifier, kept as its sort key (see qualifierKey). */
interface StrItem {
  readonly kind: typeof STR;
  readonly key: string;
}
interface ListItem {
  readonly kind: typeof LIST;
  readonly items: Item[];
}
type Item = NumItem | StrItem | ListItem;

const ZERO: NumItem = { kind: NUM, digits: '0' };

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const ALIASES: Readonly<Record<string, string>> = { ga: '', final: '', release: '', cr: 'rc' };
/** The key of the empty qualifier: a release. Items that compare equal to it are "null". */
const RELEASE_KEY = String(QUALIFIERS.indexOf(''));

/**
 * Known qualifiers sort by their index; unknown ones after all of them, lexically. Maven does this
 * with one string: the index, or `<count>-<qualifier>`, compared as strings.
 */
function qualifierKey(qualifier: string): string {
  const i = QUALIFIERS.indexOf(qualifier);
  return i >= 0 ? String(i) : `${QUALIFIERS.length}-${qualifier}`;
}

function stringItem(raw: string, followedByDigit: boolean): StrItem {
  let value = raw;
  // a1 = alpha-1, b1 = beta-1, m1 = milestone-1: single letters are aliases only before a number.
  if (followedByDigit && value.length === 1) {
    if (value === 'a') value = 'alpha';
    else if (value === 'b') value = 'beta';
    else if (value === 'm') value = 'milestone';
  }
  const alias = Object.hasOwn(ALIASES, value) ? ALIASES[value] : undefined;
  return { kind: STR, key: qualifierKey(alias ?? value) };
}

function numberItem(digits: string): NumItem {
  let i = 0;
  while (i < digits.length - 1 && digits.charCodeAt(i) === 48) i++;
  return { kind: NUM, digits: digits.slice(i) };
}

function isNull(item: Item): boolean {
  switch (item.kind) {
    case NUM:
      return item.digits === '0';
    case STR:
      return item.key === RELEASE_KEY;
    case LIST:
      return item.items.length === 0;
  }
}

/** Drops trailing null items, looking through trailing sub-lists as Maven does. */
function normalize(list: ListItem): void {
  const items = list.items;
  for (let i = items.length - 1; i >= 0; i--) {
    const last = items[i]!;
    if (isNull(last)) items.splice(i, 1);
    else if (last.kind !== LIST) break;
  }
}

/** Whitespace, control characters, and decimal digits other than ASCII 0-9. */
const REJECTED_CHARS = /[\s\p{Cc}]|(?![0-9])\p{Nd}/u;

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function parseMaven(version: string): ListItem | undefined {
  if (version.length === 0 || REJECTED_CHARS.test(version)) return undefined;
  const v = version.toLowerCase();
  const root: ListItem = { kind: LIST, items: [] };
  let list = root;
  // Every list ever opened, in order; normalising them newest first handles children before parents.
  const opened: ListItem[] = [root];
  const open = (): void => {
    const child: ListItem = { kind: LIST, items: [] };
    list.items.push(child);
    list = child;
    opened.push(child);
  };
  const token = (digit: boolean, text: string): Item => (digit ? numberItem(text) : stringItem(text, false));

  let digit = false;
  let start = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 46 /* . */ || c === 45 /* - */) {
      list.items.push(i === start ? ZERO : token(digit, v.slice(start, i)));
      start = i + 1;
      if (c === 45) open();
    } else if (isDigit(c)) {
      if (!digit && i > start) {
        // 1.0.0.X1 < 1.0.0-X2: a qualifier after a dot is read as if after a hyphen.
        if (list.items.length > 0) open();
        list.items.push(stringItem(v.slice(start, i), true));
        start = i;
        open();
      }
      digit = true;
    } else {
      if (digit && i > start) {
        list.items.push(numberItem(v.slice(start, i)));
        start = i;
        open();
      }
      digit = false;
    }
  }
  if (v.length > start) {
    if (!digit && list.items.length > 0) open();
    list.items.push(token(digit, v.slice(start)));
  }
  for (let i = opened.length - 1; i >= 0; i--) normalize(opened[i]!);
  return root;
}

function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

function compareDigits(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `item.compareTo(other)`, where a missing `other` is Maven's null: the end of the shorter list. */
function compareItem(item: Item, other: Item | undefined): number {
  switch (item.kind) {
    case NUM:
      if (other === undefined) return item.digits === '0' ? 0 : 1; // 1.0 == 1, 1.1 > 1
      if (other.kind === NUM) return compareDigits(item.digits, other.digits);
      return 1; // 1.1 > 1-sp and 1.1 > 1-1
    case STR:
      if (other === undefined) return compareKeys(item.key, RELEASE_KEY); // 1-rc < 1, 1-sp > 1
      if (other.kind === STR) return compareKeys(item.key, other.key);
      return -1; // 1.any < 1.1 and 1.any < 1-1
    case LIST:
      if (other === undefined) {
        // The whole list decides, not only its first item (MNG-6964): 1-0.alpha < 1.
        for (const child of item.items) {
          const r = compareItem(child, undefined);
          if (r !== 0) return r;
        }
        return 0;
      }
      if (other.kind === NUM) return -1; // 1-1 < 1.0.x
      if (other.kind === STR) return 1; // 1-1 > 1-sp
      return compareLists(item.items, other.items);
  }
}

function compareLists(left: readonly Item[], right: readonly Item[]): number {
  const n = Math.max(left.length, right.length);
  for (let i = 0; i < n; i++) {
    const l = left[i];
    const r = right[i];
    const result = l === undefined ? -compareItem(r!, undefined) : compareItem(l, r);
    if (result !== 0) return sign(result);
  }
  return 0;
}

const parse = boundedParseCache(PARSE_CACHE_LIMIT, parseMaven);

function parsed(version: string): ListItem {
  const v = parse(version);
  if (v === undefined) throw invalidVersion('maven', version);
  return v;
}

export const mavenScheme: VersionScheme = Object.freeze({
  id: 'maven',
  compare(a: string, b: string): number {
    return compareLists(parsed(a).items, parsed(b).items);
  },
  isValid(version: string): boolean {
    return typeof version === 'string' && parse(version) !== undefined;
  },
});
