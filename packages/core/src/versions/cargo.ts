/**
 * crates.io versions: strict SemVer 2.0.0 as Cargo's `semver` crate parses it (three numbers, no
 * `v`, no leading zeros, each number at most 2^64 - 1). Precedence is SemVer's; build metadata is
 * accepted and ignored, as crates.io treats `1.0.0+a` and `1.0.0+b` as the same version.
 */
import { invalidVersion } from './invalid-version.ts';
import { boundedParseCache, PARSE_CACHE_LIMIT } from './parse-cache.ts';
import { compareNumeric, compareSemver, parseSemver } from './semver-precedence.ts';
import type { SemverParts } from './semver-precedence.ts';
import type { VersionScheme } from './version-scheme.ts';

const STRICT = { shorthand: false } as const;
const U64_MAX = '18446744073709551615';

const parse = boundedParseCache<SemverParts>(PARSE_CACHE_LIMIT, (version) => {
  const v = parseSemver(version, STRICT);
  if (v === undefined) return undefined;
  for (const n of [v.major, v.minor, v.patch]) if (compareNumeric(n, U64_MAX) > 0) return undefined;
  return v;
});

function parsed(version: string): SemverParts {
  const v = parse(version);
  if (v === undefined) throw invalidVersion('cargo', version);
  return v;
}

export const cargoScheme: VersionScheme = Object.freeze({
  id: 'cargo',
  compare(a: string, b: string): number {
    return compareSemver(parsed(a), parsed(b));
  },
  isValid(version: string): boolean {
    return typeof version === 'string' && parse(version) !== undefined;
  },
});
