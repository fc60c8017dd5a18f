import semver from 'semver';
import { pwError } from '../errors/index.ts';
import type { AffectedRange } from './advisory.ts';

/**
 * Turns an npm-style range expression (`>=6.10.0 <6.10.3 || <0.2.4`, as npm audit, GitHub's
 * `vulnerable_versions` and the Node security WG write them) into OSV ranges, so that legacy
 * npm advisories are matched by the same OSV evaluation as everything else.
 */
export function semverExpressionToOsv(expression: string): { ranges: AffectedRange[]; versions: string[] } {
  let range: semver.Range;
  try {
    range = new semver.Range(expression.trim() === '' ? '<0.0.0-0' : expression, { loose: true });
  } catch (cause) {
    throw pwError(
      'PW_ERR_INVALID_RANGE',
      `Invalid semver range "${expression}"`,
      { range: expression },
      cause,
    );
  }
  const ranges: AffectedRange[] = [];
  const versions: string[] = [];
  for (const comparators of range.set) {
    let introduced = '0';
    let introducedExclusive = false;
    let upper: { fixed: string } | { last_affected: string } | undefined;
    let exact: string | undefined;
    for (const comparator of comparators) {
      const op = comparator.operator;
      // `*` parses to a comparator with an empty value: no bound.
      if (comparator.value === '') continue;
      const version = comparator.semver.version;
      if (op === '' || op === '=') exact = version;
      else if (op === '>=') introduced = version;
      else if (op === '>') {
        introduced = version;
        introducedExclusive = true;
      } else if (op === '<') upper = { fixed: version };
      else if (op === '<=') upper = { last_affected: version };
    }
    if (exact !== undefined) {
      versions.push(exact);
      continue;
    }
    if (introducedExclusive) {
      // OSV has no exclusive lower bound: the least version above 1.2.3 is 1.2.4-0, and the
      // least above 1.2.3-alpha is 1.2.3-alpha.0.
      const parsed = semver.parse(introduced)!;
      introduced =
        parsed.prerelease.length > 0
          ? `${introduced}.0`
          : `${parsed.major}.${parsed.minor}.${parsed.patch + 1}-0`;
    }
    ranges.push({ type: 'SEMVER', events: [{ introduced }, ...(upper ? [upper] : [])] });
  }
  return { ranges, versions };
}
