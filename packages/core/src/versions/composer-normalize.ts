/**
 * Composer's `VersionParser::normalize` (composer/semver 3.x), ported regex for regex. It turns
 * what a package's tags say into the form Composer compares: four numbers and a stability suffix
 * (`v1.2-beta.1` -> `1.2.0.0-beta1`, `1.0.x-dev` -> `1.0.9999999.9999999-dev`), or a branch
 * (`dev-main`). Returns undefined where Composer throws UnexpectedValueException.
 *
 * PCRE's possessive `*+` has no JS form; `(?=(x*))\k` gives the same atomic match and keeps a long
 * run of digits from backtracking exponentially.
 */

/** PHP's `trim()` with its default set: space, \t, \n, \r, NUL and vertical tab. */
function phpTrim(value: string): string {
  const strip = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13 || c === 0 || c === 11;
  let start = 0;
  let end = value.length;
  while (start < end && strip(value.charCodeAt(start))) start++;
  while (end > start && strip(value.charCodeAt(end - 1))) end--;
  return value.slice(start, end);
}

/** PCRE's `\s` without the u flag is ASCII whitespace only (JS's `\s` is Unicode-wide), hence the explicit sets. */
const NOT_S_OR_COMMA = '[^,\\t\\n\\v\\f\\r ]';

const ALIAS = new RegExp(`^(${NOT_S_OR_COMMA}+) +as +(${NOT_S_OR_COMMA}+)$`);
const STABILITY_FLAG = /@(?:stable|RC|beta|alpha|dev)$/i;
const BUILD = /^([^,\t\n\v\f\r +]+)\+[^\t\n\v\f\r ]+$/;

/** `[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\d+)*+)?)?([.-]?dev)?` */
const MODIFIER =
  '[._-]?(?:(?<stab>stable|beta|b|RC|alpha|a|patch|pl|p)(?:(?=(?<num>(?:[.-]?\\d+)*))\\k<num>)?)?(?<dev>[.-]?dev)?';
const CLASSICAL = new RegExp(
  `^v?(?<n1>\\d{1,5})(?<n2>\\.\\d+)?(?<n3>\\.\\d+)?(?<n4>\\.\\d+)?${MODIFIER}$`,
  'i',
);
const DATE = new RegExp(`^v?(?<date>\\d{4}(?:[.:-]?\\d{2}){1,6}(?:[.:-]?\\d{1,3})?)${MODIFIER}$`, 'i');
const DEV_BRANCH = /(.*?)[.-]?dev$/i;
const NUMERIC_BRANCH = /^v?(\d+)(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?$/i;

function expandStability(stability: string): string {
  const s = stability.toLowerCase();
  switch (s) {
    case 'a':
      return 'alpha';
    case 'b':
      return 'beta';
    case 'p':
    case 'pl':
      return 'patch';
    case 'rc':
      return 'RC';
    default:
      return s;
  }
}

/** `VersionParser::normalizeBranch`: `1.x` -> `1.9999999.9999999.9999999-dev`, else `dev-<name>`. */
function normalizeBranch(raw: string): string {
  const name = phpTrim(raw);
  const m = NUMERIC_BRANCH.exec(name);
  if (m) {
    let version = '';
    for (let i = 1; i < 5; i++) version += m[i] !== undefined ? m[i]!.replace(/[*X]/g, 'x') : '.x';
    return `${version.replaceAll('x', '9999999')}-dev`;
  }
  return `dev-${name}`;
}

function withModifiers(version: string, groups: Record<string, string | undefined>): string {
  let out = version;
  const stability = groups['stab'];
  if (stability) {
    if (stability === 'stable') return out;
    const num = groups['num'];
    out += `-${expandStability(stability)}${num ? num.replace(/^[.-]+/, '') : ''}`;
  }
  if (groups['dev']) out += '-dev';
  return out;
}

export function normalizeComposerVersion(input: string): string | undefined {
  let version = phpTrim(input);

  const alias = ALIAS.exec(version);
  if (alias) version = alias[1]!;

  const flag = STABILITY_FLAG.exec(version);
  if (flag) version = version.slice(0, version.length - flag[0].length);

  if (version === 'master' || version === 'trunk' || version === 'default') version = `dev-${version}`;

  if (version.slice(0, 4).toLowerCase() === 'dev-') return `dev-${version.slice(4)}`;

  const build = BUILD.exec(version);
  if (build) version = build[1]!;

  const classical = CLASSICAL.exec(version);
  if (classical) {
    const g = classical.groups!;
    return withModifiers(`${g['n1']}${g['n2'] || '.0'}${g['n3'] || '.0'}${g['n4'] || '.0'}`, g);
  }
  const date = DATE.exec(version);
  if (date) {
    const g = date.groups!;
    return withModifiers(g['date']!.replace(/\D/g, '.'), g);
  }

  const branch = DEV_BRANCH.exec(version);
  if (branch) {
    const normalized = normalizeBranch(branch[1]!);
    if (!normalized.includes('dev-')) return normalized;
  }
  return undefined;
}
