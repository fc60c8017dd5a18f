import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../../../../test-support/shared-data.ts';
import { PatchwardenError } from '../errors/index.ts';
import {
  compareParsedRpmVersions,
  compareRpmVersions,
  isValidRpmVersion,
  parseRpmVersion,
  rpmScheme,
  rpmVerCmp,
} from './rpm.ts';

const SIGN = { '<': -1, '=': 0, '>': 1 } as const;

// Each answer was confirmed with rpm 4.18's `rpm.vercmp`; rpm.oracle.test.ts asks rpm again at
// test time.
const KNOWN: readonly (readonly [string, keyof typeof SIGN, string])[] = [
  ['1.0~rc1', '<', '1.0'],
  ['1.0~~', '<', '1.0~'],
  ['1.0^', '>', '1.0'],
  ['1.0^git1', '<', '1.0.1'],
  ['1.0^git1', '<', '1.0a'],
  ['1.0~rc1^git1', '<', '1.0'],
  ['1.0~rc1^git1', '>', '1.0~rc1'],
  ['1:1.0', '>', '2.0'],
  ['0:1.0', '=', '1.0'],
  ['1.0', '<', '1.0-1'],
  ['1.0-1.el9', '<', '1.0-1.el9_0'],
  ['1.0-1.el9_5.alma.1', '>', '1.0-1.el9_5'],
  ['1:1.48.10-2.el9_5.alma.1', '>', '1:1.48.10-2.el9_5'],
  ['1:1.36.0-4.el9_0', '<', '1:1.54.0-4.el9_7'],
  ['1.0a', '>', '1.0'],
  ['1.0a', '<', '1.0.1'],
  ['1.0', '=', '1_0'],
  ['1.01', '=', '1.1'],
  ['10', '>', '9'],
  ['a', '<', '1'],
  ['A', '<', 'a'],
  ['2.0b', '<', '2.0.0'],
  ['5.5p1', '<', '5.5.1'],
  ['1.0.', '=', '1.0'],
  [`1.${'9'.repeat(30)}`, '<', `1.1${'0'.repeat(30)}`],
  [`${'0'.repeat(40)}1`, '=', '1'],
];

const token = fc.constantFrom('0', '1', '2', '10', '00', 'a', 'b', 'A', 'el9', '.', '_', '+', '~', '^');
/** Versions from a small alphabet, so that generated pairs often share prefixes or tie. */
const rpmVersion = fc
  .record({
    epoch: fc.option(fc.constantFrom('0', '1', '2', '10', '00'), { nil: undefined }),
    version: fc.array(token, { minLength: 1, maxLength: 5 }),
    release: fc.option(fc.array(token, { minLength: 1, maxLength: 4 }), { nil: undefined }),
  })
  .map(
    ({ epoch, version, release }) =>
      `${epoch === undefined ? '' : `${epoch}:`}${version.join('')}${release === undefined ? '' : `-${release.join('')}`}`,
  );

describe('RPM version ordering', () => {
  it.each(KNOWN)('%s %s %s', (a, relation, b) => {
    expect(compareRpmVersions(a, b)).toBe(SIGN[relation]);
    expect(compareRpmVersions(b, a)).toBe(-SIGN[relation] || 0);
  });

  it('is exposed as the rpm VersionScheme', () => {
    expect(rpmScheme.id).toBe('rpm');
    expect(rpmScheme.compare('1.0.9-1.el9', '1.0.9-1.el9_0')).toBe(-1);
    expect(rpmScheme.isValid('1.0-1-2')).toBe(false);
  });

  it('parses the EVR forms that feeds and inventories write', () => {
    expect(parseRpmVersion('1:1.48.10-2.el9_5.alma.1')).toEqual({
      epoch: 1,
      version: '1.48.10',
      release: '2.el9_5.alma.1',
    });
    expect(parseRpmVersion('1.0.9-1.el9')).toEqual({ epoch: 0, version: '1.0.9', release: '1.el9' });
    expect(parseRpmVersion('1:1.36.0-4.el9_0')).toEqual({ epoch: 1, version: '1.36.0', release: '4.el9_0' });
    expect(parseRpmVersion('2.0^git1')).toEqual({ epoch: 0, version: '2.0^git1', release: undefined });
  });

  it('refuses strings that are not [epoch:]version[-release]', () => {
    const refused = ['', ':1.0', 'a:1.0', '1:', '1.0-', '-1', '1:1:1', '1.0-1-2', '1.0-1:2', '4294967296:1'];
    const badCharacters = ['1.0 1', ' 1.0', '1.0/1', '1.0%{x}', 'é', '1.0\n'];
    for (const v of [...refused, ...badCharacters])
      expect(isValidRpmVersion(v), JSON.stringify(v)).toBe(false);
    for (const v of ['1', '0:1', '4294967295:1', '1.0-1', 'a', '.1', '1.0_rc1+git^2~3']) {
      expect(isValidRpmVersion(v), v).toBe(true);
    }
  });

  it('throws PW_ERR_INVALID_VERSION naming the version and the reason', () => {
    expect(() => compareRpmVersions('1.0-1-2', '1.0')).toThrow(PatchwardenError);
    try {
      compareRpmVersions('1.0', ':1');
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({
        code: 'PW_ERR_INVALID_VERSION',
        details: { scheme: 'rpm', version: ':1', reason: 'empty epoch' },
      });
    }
  });

  it('orders every fixed version after the installed one in Trivy’s real AlmaLinux and CentOS findings', () => {
    let checked = 0;
    for (const name of ['almalinux-8', 'centos-7']) {
      const report = JSON.parse(readFileSync(fixturePath(`versions/trivy/${name}.json.golden`), 'utf8')) as {
        Results: { Vulnerabilities?: { InstalledVersion: string; FixedVersion?: string }[] }[];
      };
      for (const v of report.Results.flatMap((r) => r.Vulnerabilities ?? [])) {
        if (!v.FixedVersion) continue;
        expect(
          compareRpmVersions(v.InstalledVersion, v.FixedVersion),
          `${v.InstalledVersion} < ${v.FixedVersion}`,
        ).toBe(-1);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(3);
  });
});

describe('RPM version ordering properties', () => {
  it('generated versions are valid and equal to themselves', () => {
    fc.assert(
      fc.property(rpmVersion, (v) => {
        expect(isValidRpmVersion(v)).toBe(true);
        expect(compareRpmVersions(v, v)).toBe(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('is antisymmetric', () => {
    fc.assert(
      fc.property(rpmVersion, rpmVersion, (a, b) => {
        expect(compareRpmVersions(a, b)).toBe(-compareRpmVersions(b, a) || 0);
      }),
      { numRuns: 5000 },
    );
  });

  it('is transitive', () => {
    fc.assert(
      fc.property(rpmVersion, rpmVersion, rpmVersion, (a, b, c) => {
        const [x, y, z] = [a, b, c].sort(compareRpmVersions) as [string, string, string];
        expect(compareRpmVersions(x, y)).toBeLessThanOrEqual(0);
        expect(compareRpmVersions(y, z)).toBeLessThanOrEqual(0);
        expect(compareRpmVersions(x, z)).toBeLessThanOrEqual(0);
        if (compareRpmVersions(x, y) === 0 && compareRpmVersions(y, z) === 0)
          expect(compareRpmVersions(x, z)).toBe(0);
      }),
      { numRuns: 5000 },
    );
  });

  it('puts a tilde before and a caret after the version it ends, and ignores a zero epoch', () => {
    fc.assert(
      fc.property(rpmVersion, (v) => {
        expect(compareRpmVersions(`${v}~`, v)).toBe(-1);
        expect(compareRpmVersions(`${v}^`, v)).toBe(1);
        if (!v.includes(':')) expect(compareRpmVersions(`0:${v}`, v)).toBe(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('orders parsed versions as it orders their strings', () => {
    fc.assert(
      fc.property(rpmVersion, rpmVersion, (a, b) => {
        expect(compareParsedRpmVersions(parseRpmVersion(a), parseRpmVersion(b))).toBe(
          compareRpmVersions(a, b),
        );
        const { version: va } = parseRpmVersion(a);
        const { version: vb } = parseRpmVersion(b);
        expect(rpmVerCmp(va, vb)).toBe(-rpmVerCmp(vb, va) || 0);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws from isValid, and compare throws exactly for invalid input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), rpmVersion, fc.stringMatching(/^[0-9a-z:~^+._\- ]{0,8}$/)), (s) => {
        if (isValidRpmVersion(s)) expect(() => compareRpmVersions(s, '1')).not.toThrow();
        else expect(() => compareRpmVersions('1', s)).toThrow(PatchwardenError);
      }),
      { numRuns: 3000 },
    );
  });
});
