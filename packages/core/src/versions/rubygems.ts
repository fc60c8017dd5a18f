/**
 * RubyGems' version order (`Gem::Version#<=>`). A `-` reads as `.pre.`, the string is cut into
 * runs of digits and runs of letters, and any letter makes the version a prerelease that sorts
 * below the release: 1.0.a < 1.0 < 1.0.1. Trailing zeros are dropped from the numeric head and
 * from the qualifier tail, so 1.0 == 1 and 1.a.0 == 1.a. Letters compare case-sensitively.
 *
 * Validity is `Gem::Version.correct?`, except that we reject the blank string RubyGems reads as 0.
 */
import { invalidVersion } from './invalid-version.ts';
import { boundedParseCache, PARSE_CACHE_LIMIT } from './parse-cache.ts';
import type { VersionScheme } from './version-scheme.ts';

/** A number as its digits without leading zeros (Ruby integers have no size limit), or letters. */
type Segment = { readonly num: string } | { readonly str: string };

/** Gem::Version::VERSION_PATTERN, anchored; Ruby's `\s` is ASCII whitespace only. */
const VERSION = /^[0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
const ASCII_SPACE = /^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g;
const SEGMENTS = /[0-9]+|[a-z]+/gi;
const ZERO: Segment = { num: '0' };

function isZero(s: Segment): boolean {
  return 'num' in s && s.num === '0';
}

function dropTrailingZeros(segments: Segment[]): Segment[] {
  let end = segments.length;
  while (end > 0 && isZero(segments[end - 1]!)) end--;
  return segments.slice(0, end);
}

/** `canonical_segments`: numeric head and qualifier tail, each without trailing zeros. */
function parseGem(raw: string): readonly Segment[] | undefined {
  const version = raw.replace(ASCII_SPACE, '');
  if (!VERSION.test(version)) return undefined;
  const segments: Segment[] = [];
  for (const m of version.replaceAll('-', '.pre.').matchAll(SEGMENTS)) {
    const text = m[0];
    if (text.charCodeAt(0) <= 57) {
      let i = 0;
      while (i < text.length - 1 && text.charCodeAt(i) === 48) i++;
      segments.push({ num: text.slice(i) });
    } else {
      segments.push({ str: text });
    }
  }
  const firstString = segments.findIndex((s) => 'str' in s);
  if (firstString < 0) return dropTrailingZeros(segments);
  return [
    ...dropTrailingZeros(segments.slice(0, firstString)),
    ...dropTrailingZeros(segments.slice(firstString)),
  ];
}

function compareSegments(a: readonly Segment[], b: readonly Segment[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const l = a[i] ?? ZERO;
    const r = b[i] ?? ZERO;
    if ('num' in l && 'num' in r) {
      if (l.num === r.num) continue;
      if (l.num.length !== r.num.length) return l.num.length < r.num.length ? -1 : 1;
      return l.num < r.num ? -1 : 1;
    }
    if ('str' in l && 'str' in r) {
      if (l.str === r.str) continue;
      return l.str < r.str ? -1 : 1; // Ruby compares strings bytewise; these are ASCII letters
    }
    return 'str' in l ? -1 : 1; // a letter segment is a prerelease: below any number
  }
  return 0;
}

const parse = boundedParseCache(PARSE_CACHE_LIMIT, parseGem);

function parsed(version: string): readonly Segment[] {
  const v = parse(version);
  if (v === undefined) throw invalidVersion('rubygems', version);
  return v;
}

export const rubygemsScheme: VersionScheme = Object.freeze({
  id: 'rubygems',
  compare(a: string, b: string): number {
    return compareSegments(parsed(a), parsed(b));
  },
  isValid(version: string): boolean {
    return typeof version === 'string' && parse(version) !== undefined;
  },
});
