import { describe, expect, it } from 'vitest';
import { normalizeComposerVersion } from './composer-normalize.ts';

/**
 * composer/semver's VersionParserTest::successfulNormalizedVersions, re-typed; only the cases whose
 * expectation still holds in 3.x (3.x keeps `dev-master` as a branch instead of `9999999-dev`).
 */
const NORMALIZED: [string, string][] = [
  ['1.0.0', '1.0.0.0'],
  ['1.2.3.4', '1.2.3.4'],
  ['1.0.0RC1dev', '1.0.0.0-RC1-dev'],
  ['1.0.0-rC15-dev', '1.0.0.0-RC15-dev'],
  ['1.0.0.RC.15-dev', '1.0.0.0-RC15-dev'],
  ['1.0.0-rc1', '1.0.0.0-RC1'],
  ['1.0.0.pl3-dev', '1.0.0.0-patch3-dev'],
  ['1.0-dev', '1.0.0.0-dev'],
  ['0', '0.0.0.0'],
  ['10.4.13-beta', '10.4.13.0-beta'],
  ['10.4.13beta2', '10.4.13.0-beta2'],
  ['10.4.13beta.2', '10.4.13.0-beta2'],
  ['10.4.13-b', '10.4.13.0-beta'],
  ['10.4.13-b5', '10.4.13.0-beta5'],
  ['v1.0.0', '1.0.0.0'],
  ['2010.01', '2010.01.0.0'],
  ['2010.01.02', '2010.01.02.0'],
  ['2010.1.555', '2010.1.555.0'],
  ['2010.10.200', '2010.10.200.0'],
  ['v20100102', '20100102'],
  ['2010-01-02', '2010.01.02'],
  ['2010-01-02.5', '2010.01.02.5'],
  ['20100102-203040', '20100102.203040'],
  ['20100102203040-10', '20100102203040.10'],
  ['20100102-203040-p1', '20100102.203040-patch1'],
  ['1.x-dev', '1.9999999.9999999.9999999-dev'],
  ['dev-feature-foo', 'dev-feature-foo'],
  ['DEV-FOOBAR', 'dev-FOOBAR'],
  ['dev-feature/foo', 'dev-feature/foo'],
  ['dev-feature+issue-1', 'dev-feature+issue-1'],
  ['1.0.0-beta.5+foo', '1.0.0.0-beta5'],
  ['1.0.0+foo', '1.0.0.0'],
  ['1.0.0-alpha.3.1+foo', '1.0.0.0-alpha3.1'],
  ['1.0.0-alpha2.1+foo', '1.0.0.0-alpha2.1'],
  ['1.0.0-alpha-2.1-3+foo', '1.0.0.0-alpha2.1-3'],
  ['1.0.0+foo as 2.0', '1.0.0.0'],
];

/** VersionParserTest::failingNormalizedVersions. */
const FAILING = ['', 'a', '1.0.0-meh', '1.0.0.0.0', 'feature-foo', '1.0.0+foo bar'];

describe('normalizeComposerVersion (composer/semver VersionParserTest)', () => {
  it.each(NORMALIZED)('normalises %j to %j', (input, expected) => {
    expect(normalizeComposerVersion(input)).toBe(expected);
  });

  it.each(FAILING)('rejects %j', (input) => {
    expect(normalizeComposerVersion(input)).toBeUndefined();
  });

  it('normalises numeric branches (VersionParserTest::successfulNormalizedBranches, through -dev)', () => {
    expect(normalizeComposerVersion('v1.x-dev')).toBe('1.9999999.9999999.9999999-dev');
    expect(normalizeComposerVersion('v1.*-dev')).toBe('1.9999999.9999999.9999999-dev');
    expect(normalizeComposerVersion('v1.0.x-dev')).toBe('1.0.9999999.9999999-dev');
    expect(normalizeComposerVersion('v1.0.3.*-dev')).toBe('1.0.3.9999999-dev');
    expect(normalizeComposerVersion('master')).toBe('dev-master');
  });

  it('does not backtrack exponentially on a long run of stability digits', () => {
    const started = performance.now();
    expect(normalizeComposerVersion(`1.0.0-beta${'1'.repeat(40)}x`)).toBeUndefined();
    expect(normalizeComposerVersion(`1.0.0-beta${'.1'.repeat(40)}`)).toBe(`1.0.0.0-beta1${'.1'.repeat(39)}`);
    expect(performance.now() - started).toBeLessThan(200);
  });
});
