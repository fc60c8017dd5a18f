/**
 * npm's version order, by the `semver` package npm itself uses. Parsing is loose, as npm's own
 * registry normalisation is: a leading `v` or `=` and surrounding spaces are accepted. Build
 * metadata does not take part in the order.
 */
import semver from 'semver';
import { invalidVersion } from './invalid-version.ts';
import { boundedParseCache, PARSE_CACHE_LIMIT } from './parse-cache.ts';
import type { VersionScheme } from './version-scheme.ts';

const LOOSE = { loose: true } as const;

const parse = boundedParseCache<semver.SemVer>(PARSE_CACHE_LIMIT, (version) => {
  try {
    return new semver.SemVer(version, LOOSE);
  } catch {
    return undefined;
  }
});

function parsed(version: string): semver.SemVer {
  const v = parse(version);
  if (v === undefined) throw invalidVersion('semver', version);
  return v;
}

export const semverScheme: VersionScheme = Object.freeze({
  id: 'semver',
  compare(a: string, b: string): number {
    const left = parsed(a);
    const right = parsed(b);
    // SemVer#compare is main version then prerelease; build metadata is only in compareBuild.
    return left.compare(right);
  },
  isValid(version: string): boolean {
    return typeof version === 'string' && parse(version) !== undefined;
  },
});
