/**
 * PyPI's version order (PEP 440), as pip's vendored `packaging.version.Version` defines it. The
 * string is parsed by `@renovatebot/pep440`; the sort key is built here from that parse, because
 * the library re-parses on every comparison and classifies local segments with `Number()`, which
 * reads `+1e5` or `+0x1f` as numbers where packaging reads them as strings.
 *
 * Numbers beyond 2^53 lose precision in the library's parse; no real PyPI version needs them.
 */
import { parse as parsePep440 } from '@renovatebot/pep440';
import { invalidVersion } from './invalid-version.ts';
import { boundedParseCache, PARSE_CACHE_LIMIT } from './parse-cache.ts';
import type { VersionScheme } from './version-scheme.ts';

/**
 * packaging's `_cmpkey`. Optional parts that are absent become -Infinity or +Infinity, exactly as
 * packaging's NegativeInfinity / Infinity sentinels sort.
 */
interface Pep440Key {
  readonly epoch: number;
  /** Release numbers with trailing zeros removed, so that 1.0 == 1.0.0. */
  readonly release: readonly number[];
  readonly pre: { readonly letter: string; readonly n: number } | number;
  readonly post: number;
  readonly dev: number;
  /** Local segments, numbers above strings; undefined (no local part) sorts below any local part. */
  readonly local: readonly (number | string)[] | undefined;
}

const DIGITS = /^[0-9]+$/;

function buildKey(raw: string): Pep440Key | undefined {
  // packaging strips surrounding whitespace (its pattern is anchored by `\s*`); the library does not.
  const version = raw.trim();
  const p = parsePep440(version);
  if (!p) return undefined;

  let end = p.release.length;
  while (end > 0 && p.release[end - 1] === 0) end--;

  const pre = p.pre as [string, number] | null;
  const post = p.post as [string, number] | null;
  const dev = p.dev as [string, number] | null;

  const plus = version.indexOf('+');
  return {
    epoch: p.epoch,
    release: p.release.slice(0, end),
    // 1.0.dev0 sorts before 1.0a0: a dev release with neither pre nor post takes the lowest pre slot.
    pre: pre ? { letter: pre[0], n: pre[1] } : !post && dev ? -Infinity : Infinity,
    post: post ? post[1] : -Infinity,
    dev: dev ? dev[1] : Infinity,
    local:
      plus < 0
        ? undefined
        : version
            .slice(plus + 1)
            .split(/[._-]/)
            .map((part) => (DIGITS.test(part) ? Number(part) : part.toLowerCase())),
  };
}

const key = boundedParseCache(PARSE_CACHE_LIMIT, buildKey);

function keyOf(version: string): Pep440Key {
  const k = key(version);
  if (k === undefined) throw invalidVersion('pep440', version);
  return k;
}

function cmp(a: number | string, b: number | string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareRelease(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = cmp(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return cmp(a.length, b.length);
}

function comparePre(a: Pep440Key['pre'], b: Pep440Key['pre']): number {
  if (typeof a === 'number') return typeof b === 'number' ? cmp(a, b) : a < 0 ? -1 : 1;
  if (typeof b === 'number') return b < 0 ? 1 : -1;
  return cmp(a.letter, b.letter) || cmp(a.n, b.n);
}

function compareLocal(a: Pep440Key['local'], b: Pep440Key['local']): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    // packaging keys a string as (-inf, s) and a number as (n, ''): any string sorts first.
    if (typeof x !== typeof y) return typeof x === 'string' ? -1 : 1;
    const c = cmp(x, y);
    if (c !== 0) return c;
  }
  return cmp(a.length, b.length);
}

function compareKeys(a: Pep440Key, b: Pep440Key): number {
  return (
    cmp(a.epoch, b.epoch) ||
    compareRelease(a.release, b.release) ||
    comparePre(a.pre, b.pre) ||
    cmp(a.post, b.post) ||
    cmp(a.dev, b.dev) ||
    compareLocal(a.local, b.local)
  );
}

export const pep440Scheme: VersionScheme = Object.freeze({
  id: 'pep440',
  compare(a: string, b: string): number {
    return compareKeys(keyOf(a), keyOf(b));
  },
  isValid(version: string): boolean {
    return typeof version === 'string' && key(version) !== undefined;
  },
});
