/**
 * NuGet versions, as NuGet.Versioning's `NuGetVersion.TryParse` and `VersionComparer.Default` read
 * and order them: one to four numbers (`1.0.0.1`; missing parts are 0 and leading zeros are
 * dropped, so 1.0 == 1.00.0.0), then SemVer 2.0.0 prerelease labels compared case-insensitively,
 * then build metadata, which is ignored.
 *
 * Labels that .NET's `int.TryParse` accepts (optionally negative, within Int32) compare as
 * numbers and sort below the other labels; the others compare by ordinal ignoring case.
 */
import { invalidVersion } from './invalid-version.ts';
import { boundedParseCache, PARSE_CACHE_LIMIT } from './parse-cache.ts';
import type { VersionScheme } from './version-scheme.ts';

const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;

interface NugetVersion {
  readonly numbers: readonly [number, number, number, number];
  /** Upper-cased labels, or numbers for the labels .NET reads as Int32; empty for a release. */
  readonly labels: readonly (string | number)[];
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isLabelChar(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45;
}

function isAllDigits(s: string, from = 0): boolean {
  if (s.length <= from) return false;
  for (let i = from; i < s.length; i++) if (!isDigit(s.charCodeAt(i))) return false;
  return true;
}

/** NuGet's IsValidPart: non-empty, [0-9A-Za-z-], and a numeric label without leading zeros. */
function isValidPart(part: string, allowLeadingZeros: boolean): boolean {
  if (part.length === 0) return false;
  if (!allowLeadingZeros && part.length > 1 && part.charCodeAt(0) === 48 && isAllDigits(part, 1))
    return false;
  for (let i = 0; i < part.length; i++) if (!isLabelChar(part.charCodeAt(i))) return false;
  return true;
}

function labelKey(label: string): string | number {
  const negative = label.charCodeAt(0) === 45;
  if (isAllDigits(label, negative ? 1 : 0)) {
    const n = Number(label);
    if (n >= INT32_MIN && n <= INT32_MAX) return n === 0 ? 0 : n; // -0 is 0
  }
  return label.toUpperCase();
}

function parseNuget(raw: string): NugetVersion | undefined {
  const value = raw.trim();
  // Sections as NuGet's ParseSections cuts them: the version runs to the first `-` or `+`, the
  // labels from a `-` to the first `+`, the metadata after it.
  let versionEnd = value.length;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 45 || c === 43) {
      versionEnd = i;
      break;
    }
  }
  const plus = value.indexOf('+', versionEnd);
  let labels: string[] = [];
  if (value.charCodeAt(versionEnd) === 45) {
    labels = value.slice(versionEnd + 1, plus < 0 ? value.length : plus).split('.');
    if (!labels.every((l) => isValidPart(l, false))) return undefined;
  }
  if (
    plus >= 0 &&
    !value
      .slice(plus + 1)
      .split('.')
      .every((m) => isValidPart(m, true))
  )
    return undefined;

  const parts = value.slice(0, versionEnd).split('.');
  if (parts.length < 1 || parts.length > 4) return undefined;
  const numbers: [number, number, number, number] = [0, 0, 0, 0];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (!isAllDigits(part)) return undefined;
    const n = Number(part);
    if (n > INT32_MAX) return undefined;
    numbers[i] = n;
  }
  return { numbers, labels: labels.map(labelKey) };
}

function cmp(a: number | string, b: number | string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareVersions(a: NugetVersion, b: NugetVersion): number {
  for (let i = 0; i < 4; i++) {
    const c = cmp(a.numbers[i]!, b.numbers[i]!);
    if (c !== 0) return c;
  }
  if (a.labels.length === 0 || b.labels.length === 0) {
    // A release sorts above its prereleases.
    return a.labels.length === b.labels.length ? 0 : a.labels.length === 0 ? 1 : -1;
  }
  const n = Math.min(a.labels.length, b.labels.length);
  for (let i = 0; i < n; i++) {
    const x = a.labels[i]!;
    const y = b.labels[i]!;
    if (typeof x !== typeof y) return typeof x === 'number' ? -1 : 1;
    const c = cmp(x, y);
    if (c !== 0) return c;
  }
  return cmp(a.labels.length, b.labels.length);
}

const parse = boundedParseCache(PARSE_CACHE_LIMIT, parseNuget);

function parsed(version: string): NugetVersion {
  const v = parse(version);
  if (v === undefined) throw invalidVersion('nuget', version);
  return v;
}

export const nugetScheme: VersionScheme = Object.freeze({
  id: 'nuget',
  compare(a: string, b: string): number {
    return compareVersions(parsed(a), parsed(b));
  },
  isValid(version: string): boolean {
    return typeof version === 'string' && parse(version) !== undefined;
  },
});
