/**
 * Packagist (Composer) versions, ordered as composer/semver's `Semver::sort` orders them: each
 * version is normalised by `VersionParser::normalize` (`v` prefix, up to four numbers, stability
 * suffixes, `-dev` branches), `dev-master`, `dev-default` and `dev-trunk` stand for the newest
 * development version (`9999999-dev`), and the normal forms are compared with PHP's
 * `version_compare`: dev < alpha = a < beta = b < RC < stable < patch = pl = p.
 *
 * Composer cannot order two named branches (`dev-foo`, `dev-bar`); to keep a total order they sort
 * below every numbered version, as `version_compare` puts them, and among themselves by name.
 */
import { normalizeComposerVersion } from './composer-normalize.ts';
import { invalidVersion } from './invalid-version.ts';
import { boundedParseCache, PARSE_CACHE_LIMIT } from './parse-cache.ts';
import { phpVersionCompare, preparePhpVersion } from './php-version-compare.ts';
import type { PhpVersion } from './php-version-compare.ts';
import type { VersionScheme } from './version-scheme.ts';

type ComposerVersion = { readonly branch: string } | { readonly php: PhpVersion };

const DEFAULT_BRANCHES = new Set(['dev-master', 'dev-default', 'dev-trunk']);

const parse = boundedParseCache<ComposerVersion>(PARSE_CACHE_LIMIT, (version) => {
  const normalized = normalizeComposerVersion(version);
  if (normalized === undefined) return undefined;
  if (DEFAULT_BRANCHES.has(normalized)) return { php: preparePhpVersion('9999999-dev') };
  if (normalized.startsWith('dev-')) return { branch: normalized };
  return { php: preparePhpVersion(normalized) };
});

function parsed(version: string): ComposerVersion {
  const v = parse(version);
  if (v === undefined) throw invalidVersion('packagist', version);
  return v;
}

export const packagistScheme: VersionScheme = Object.freeze({
  id: 'packagist',
  compare(a: string, b: string): number {
    const x = parsed(a);
    const y = parsed(b);
    if ('php' in x && 'php' in y) return phpVersionCompare(x.php, y.php);
    if ('branch' in x && 'branch' in y) return x.branch === y.branch ? 0 : x.branch < y.branch ? -1 : 1;
    return 'branch' in x ? -1 : 1;
  },
  isValid(version: string): boolean {
    return typeof version === 'string' && parse(version) !== undefined;
  },
});
