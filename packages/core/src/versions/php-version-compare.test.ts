import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { phpVersionCompare, preparePhpVersion } from './php-version-compare.ts';

function cmp(a: string, b: string): number {
  return phpVersionCompare(preparePhpVersion(a), preparePhpVersion(b));
}

describe('phpVersionCompare', () => {
  it('follows the examples of the PHP manual’s version_compare page', () => {
    expect(cmp('5.2', '5.2.0')).toBe(-1); // a shorter version is older
    expect(cmp('5.2.0', '5.2.0')).toBe(0);
    expect(cmp('1.0rc1', '1.0')).toBe(-1);
    expect(cmp('1.0', '1.0pl1')).toBe(-1);
    expect(cmp('1.0.0-dev', '1.0.0alpha')).toBe(-1);
    expect(cmp('1.0a', '1.0b')).toBe(-1);
    expect(cmp('1.0beta', '1.0RC')).toBe(-1);
    expect(cmp('1.0-foo', '1.0-dev')).toBe(-1); // an unknown word sorts below every special form
  });

  it('reads separators and letter/digit boundaries alike: 1.0-RC1 == 1.0.RC.1 == 1.0RC1', () => {
    expect(cmp('1.0-RC1', '1.0.RC.1')).toBe(0);
    expect(cmp('1.0-RC1', '1.0RC1')).toBe(0);
    expect(cmp('1.0_1', '1.0+1')).toBe(0);
    expect(cmp('1.0.0.0-patch1', '1.0.0.0-p1')).toBe(0);
  });
});

/** Version-like strings without empty segments (PHP's handling of `1..2` or a trailing `.` is not ported). */
const phpLike = fc
  .array(
    fc.oneof(
      fc.nat(20).map(String),
      fc.constantFrom(
        'dev',
        'alpha',
        'a',
        'beta',
        'b',
        'RC',
        'rc',
        'pl',
        'p',
        'patch',
        'foo',
        'stable',
        '007',
        '99999999999999999999',
      ),
    ),
    { minLength: 1, maxLength: 6 },
  )
  .chain((parts) =>
    fc
      .array(fc.constantFrom('.', '-', '_', '+', ''), {
        minLength: parts.length - 1,
        maxLength: parts.length - 1,
      })
      .map((seps) => parts.map((p, i) => p + (seps[i] ?? '')).join('')),
  );

const phpAvailable = spawnSync('php', ['-r', 'echo PHP_VERSION;'], { encoding: 'utf8' }).status === 0;
if (!phpAvailable)
  console.warn('[patchwarden tests] SKIP: php is not installed; version_compare oracle skipped');

describe.skipIf(!phpAvailable)('phpVersionCompare against PHP’s version_compare (one php process)', () => {
  it('agrees on 10,000 pairs of version-like strings', () => {
    const versions = fc.sample(phpLike, { numRuns: 4000, seed: 82 });
    const pairs: [string, string][] = [];
    for (let i = 0; i < 10_000; i++)
      pairs.push([versions[(i * 7) % versions.length]!, versions[(i * 13 + 5) % versions.length]!]);
    const run = spawnSync(
      'php',
      [
        '-r',
        '$o=[]; foreach (explode("\\n", stream_get_contents(STDIN)) as $l) { if ($l==="") continue; [$a,$b]=explode("\\t",$l,2); $o[]=version_compare($a,$b); } echo implode("\\n",$o),"\\n";',
      ],
      {
        input: pairs.map(([a, b]) => `${a}\t${b}`).join('\n'),
        encoding: 'utf8',
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    expect(run.status, run.stderr).toBe(0);
    const expected = run.stdout.trimEnd().split('\n');
    expect(expected.length).toBe(pairs.length);
    const mismatches = pairs.flatMap(([a, b], i) =>
      String(cmp(a, b)) === expected[i] ? [] : [`${a} vs ${b}: php ${expected[i]}, we ${cmp(a, b)}`],
    );
    console.info(`[php version_compare] ${pairs.length} pairs; ${mismatches.length} mismatches`);
    expect(mismatches.slice(0, 20)).toEqual([]);
  });
});
