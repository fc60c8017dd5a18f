import { describe, expect, it } from 'vitest';
import { PatchwardenError } from '../errors/index.ts';
import { nugetScheme } from './nuget.ts';

const { compare, isValid } = nugetScheme;

// Cases re-typed from NuGet.Client's NuGet.Versioning.Test (VersionComparerTests, NuGetVersionTest).
describe('nugetScheme (NuGet.Versioning tests, re-typed)', () => {
  it('VersionComparisonDefaultEqual: labels compare case-insensitively, metadata is ignored', () => {
    for (const [a, b] of [
      ['1.0.0', '1.0.0'],
      ['1.0.0-BETA', '1.0.0-beta'],
      ['1.0.0-BETA+AA', '1.0.0-beta+aa'],
      ['1.0.0-BETA.X.y.5.77.0+AA', '1.0.0-beta.x.y.5.77.0+aa'],
    ] as const) {
      expect(compare(a, b), `${a} == ${b}`).toBe(0);
    }
  });

  it('VersionComparisonDefaultLess', () => {
    for (const [a, b] of [
      ['0.0.0', '1.0.0'],
      ['1.0.0', '1.1.0'],
      ['1.0.0', '1.0.1'],
      ['1.999.9999', '2.1.1'],
      ['1.0.0-BETA', '1.0.0-beta2'],
      ['1.0.0-beta+AA', '1.0.0+aa'],
      ['1.0.0-BETA', '1.0.0-beta.1+AA'],
      ['1.0.0-BETA.X.y.5.77.0+AA', '1.0.0-beta.x.y.5.79.0+aa'],
      ['1.0.0-BETA.X.y.5.79.0+AA', '1.0.0-beta.x.y.5.790.0+abc'],
    ] as const) {
      expect(compare(a, b), `${a} < ${b}`).toBe(-1);
      expect(compare(b, a), `${b} > ${a}`).toBe(1);
    }
  });

  it('SemVerLessThanAndGreaterThanOperatorsWorks: legacy 2- and 4-part versions', () => {
    for (const [a, b] of [
      ['1.0', '1.0.1'],
      ['1.23', '1.231'],
      ['1.4.5.6', '1.45.6'],
      ['1.4.5.6', '1.4.5.60'],
      ['1.01', '1.10'],
      ['1.01-alpha', '1.10-beta'],
      ['1.01.0-RC-1', '1.10.0-rc-2'],
      ['1.01-RC-1', '1.01'],
      ['1.01', '1.2-preview'],
    ] as const) {
      expect(compare(a, b), `${a} < ${b}`).toBe(-1);
      expect(compare(b, a), `${b} > ${a}`).toBe(1);
    }
  });

  it('SemVerEqualsOperatorWorks: missing parts are 0 and leading zeros are dropped', () => {
    for (const [a, b] of [
      ['1.0', '1.0.0.0'],
      ['1.23.01', '1.23.1'],
      ['1.45.6', '1.45.6.0'],
      ['1.45.6-Alpha', '1.45.6-Alpha'],
      ['1.6.2-BeTa', '1.6.02-beta'],
      ['22.3.07     ', '22.3.07'],
      ['1.0.0009.01-1.1+A', '1.0.9.1-1.1'],
      ['  1.022-Beta', '1.22.0.0-Beta'],
    ] as const) {
      expect(compare(a, b), `${a} == ${b}`).toBe(0);
    }
    expect(compare('1.0.0.1', '1.0.0')).toBe(1);
  });

  it('ParseThrowsIfStringIsNotAValidSemVer', () => {
    const bad = [
      '',
      '1beta',
      '$version$',
      '1.2Av^c',
      '1.2..',
      '1.2.3.4.5',
      '1.2.3.Beta',
      '1.2.3.4This version is full of awesomeness!!',
      'So.is.this',
      '1.34.2Alpha',
      '1.34.2Release Candidate',
      '1.4.7-',
      '1.4.7-*',
      '1.4.7+*',
      '1.4.7-AA.01^',
      '1.4.7-AA.0A^',
      '1.4.7-A^A',
      '1.4.7+AA.01^',
      '1.0.0-01', // numeric label with a leading zero
      '2147483648.0.0', // beyond Int32
    ];
    for (const v of bad) {
      expect(isValid(v), JSON.stringify(v)).toBe(false);
      expect(() => compare(v, '1.0.0')).toThrow(PatchwardenError);
    }
  });

  it('orders numeric labels numerically and below alphanumeric ones, as int.TryParse decides', () => {
    expect(compare('1.0.0-2', '1.0.0-10')).toBe(-1);
    expect(compare('1.0.0-10', '1.0.0-a')).toBe(-1);
    expect(compare('1.0.0-alpha.2', '1.0.0-alpha.10')).toBe(-1);
    // Too large for Int32: compared as text, so above every number and below letters.
    expect(compare('1.0.0-99999999999', '1.0.0-2')).toBe(1);
    expect(compare('1.0.0-99999999999', '1.0.0-a')).toBe(-1);
  });
});
