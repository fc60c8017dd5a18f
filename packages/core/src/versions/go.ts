/**
 * Go module versions, ordered as golang.org/x/mod/semver orders them: SemVer 2.0.0 with a `v`
 * prefix and the `v1` / `v1.2` shorthands. OSV's Go records drop the `v`, so it is optional here.
 * `+incompatible` is build metadata and does not take part in the order. Pseudo-versions
 * (v0.0.0-20191109021931-daa7c04131f5, v1.2.4-0.20191109021931-daa7c04131f5,
 * v1.2.3-pre.0.20191109021931-daa7c04131f5) are prereleases and need no special case: their
 * timestamp identifiers sort them between the tags they were cut from.
 */
import { invalidVersion } from './invalid-version.ts';
import { boundedParseCache, PARSE_CACHE_LIMIT } from './parse-cache.ts';
import { compareSemver, parseSemver } from './semver-precedence.ts';
import type { SemverParts } from './semver-precedence.ts';
import type { VersionScheme } from './version-scheme.ts';

const GO = { shorthand: true } as const;

const parse = boundedParseCache<SemverParts>(PARSE_CACHE_LIMIT, (version) =>
  parseSemver(version.charCodeAt(0) === 118 /* v */ ? version.slice(1) : version, GO),
);

function parsed(version: string): SemverParts {
  const v = parse(version);
  if (v === undefined) throw invalidVersion('go', version);
  return v;
}

export const goScheme: VersionScheme = Object.freeze({
  id: 'go',
  compare(a: string, b: string): number {
    return compareSemver(parsed(a), parsed(b));
  },
  isValid(version: string): boolean {
    return typeof version === 'string' && parse(version) !== undefined;
  },
});
