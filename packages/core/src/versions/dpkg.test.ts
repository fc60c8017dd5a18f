import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../../../../test-support/shared-data.ts';
import { PatchwardenError } from '../errors/index.ts';
import {
  compareDpkgVersions,
  compareParsedDpkgVersions,
  dpkgScheme,
  isValidDpkgVersion,
  parseDpkgVersion,
} from './dpkg.ts';

const SIGN = { '<': -1, '=': 0, '>': 1 } as const;

// Each answer was confirmed with `dpkg --compare-versions` (dpkg 1.21.22); dpkg.oracle.test.ts
// asks dpkg again at test time.
const KNOWN: readonly (readonly [string, keyof typeof SIGN, string])[] = [
  ['1.0~rc1', '<', '1.0'],
  ['1.0~~', '<', '1.0~'],
  ['1.0~~a', '>', '1.0~~'],
  ['1.0~', '<', '1.0'],
  ['1.0', '=', '1.0-0'],
  ['1.0-0', '=', '1.0-00'],
  ['1.0-1', '<', '1.0-1ubuntu0.1'],
  ['1.1.1f-1ubuntu2.20', '>', '1.1.1f-1ubuntu2.3'],
  ['1.1.1-1ubuntu2.1~18.04.6', '<', '1.1.1-1ubuntu2.1~18.04.13'],
  ['1.0-1~18.04.1', '<', '1.0-1'],
  ['1:0.1', '>', '2.0'],
  ['0:1.0', '=', '1.0'],
  ['10:0.1', '>', '2:1.0'],
  ['1.0+dfsg-1', '>', '1.0-1'],
  ['1.0+dfsg-1', '<', '1.0.1-1'],
  ['2.0+really1.9-1', '>', '2.0-1'],
  ['1.2.3a', '<', '1.2.3+'],
  ['1.2.3a', '<', '1.2.3.'],
  ['1.0Z', '<', '1.0a'],
  ['1.02', '=', '1.2'],
  ['7.6.q-27', '>', '7.6-27'],
  ['1-2-3', '<', '1-2-4'],
  ['1:2:3', '>', '1:2.3'],
  ['a', '<', 'b'],
  ['~1', '<', '1'],
  [`1.${'9'.repeat(30)}`, '<', `1.1${'0'.repeat(30)}`],
  ['18446744073709551616', '>', '18446744073709551615'],
  [`${'0'.repeat(40)}1`, '=', '1'],
  [' 1.0 ', '=', '1.0'],
];

function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

const token = fc.constantFrom('0', '1', '2', '9', '10', '00', '01', 'a', 'b', 'Z', '.', '+', '~', '~~');
/** Versions from a small alphabet, so that generated pairs often share prefixes or tie. */
const dpkgVersion = fc
  .record({
    epoch: fc.option(fc.constantFrom('0', '1', '2', '10', '00'), { nil: undefined }),
    head: fc.constantFrom('0', '1', '2', '10'),
    upstream: fc.array(token, { maxLength: 5 }),
    revision: fc.option(fc.array(token, { minLength: 1, maxLength: 3 }), { nil: undefined }),
  })
  .map(
    ({ epoch, head, upstream, revision }) =>
      `${epoch === undefined ? '' : `${epoch}:`}${head}${upstream.join('')}` +
      `${revision === undefined ? '' : `-${revision.join('')}`}`,
  );

describe('dpkg version ordering', () => {
  it.each(KNOWN)('%s %s %s', (a, relation, b) => {
    expect(compareDpkgVersions(a, b)).toBe(SIGN[relation]);
    expect(compareDpkgVersions(b, a)).toBe(-SIGN[relation] || 0);
  });

  it('is exposed as the dpkg VersionScheme', () => {
    expect(dpkgScheme.id).toBe('dpkg');
    expect(dpkgScheme.compare('1.0-1', '1.0-2')).toBe(-1);
    expect(dpkgScheme.isValid('1.0-')).toBe(false);
  });

  it('parses epoch, upstream and revision as dpkg does', () => {
    expect(parseDpkgVersion('1:1.2.3-4ubuntu0.1')).toEqual({
      epoch: 1,
      upstream: '1.2.3',
      revision: '4ubuntu0.1',
    });
    expect(parseDpkgVersion('2.0')).toEqual({ epoch: 0, upstream: '2.0', revision: '' });
    // The last hyphen splits off the revision; later colons belong to the upstream part.
    expect(parseDpkgVersion('1:2:3-4-5')).toEqual({ epoch: 1, upstream: '2:3-4', revision: '5' });
    expect(parseDpkgVersion(' 00:1.0\t')).toEqual({ epoch: 0, upstream: '1.0', revision: '' });
  });

  it('accepts what dpkg accepts, including an upstream part that does not start with a digit', () => {
    for (const v of [
      '1.0',
      '1:1.0-1',
      '0:0',
      'a1.0',
      '~1',
      '1:a',
      '1.0-a.b+c~d',
      '2147483647:1',
      '+1:1',
      '-0:1',
    ]) {
      expect(isValidDpkgVersion(v), v).toBe(true);
    }
  });

  it('refuses what dpkg refuses, and characters outside Policy even where dpkg only warns', () => {
    const refused = [
      '',
      ' ',
      '1.0-',
      '-1',
      '1:',
      ':1',
      'a:1',
      '1:-1',
      '1.0:1',
      '2147483648:1',
      '-1:1',
      '1 0',
    ];
    const outsidePolicy = ['1.0_1', '1.0-1_2', '1.0-1:2', 'é1', '1:é', '1.0\n', '1.0#', '1.0/1'];
    for (const v of [...refused, ...outsidePolicy])
      expect(isValidDpkgVersion(v), JSON.stringify(v)).toBe(false);
  });

  it('throws PW_ERR_INVALID_VERSION naming the version and dpkg’s reason', () => {
    const thrown = (() => {
      try {
        compareDpkgVersions('1.0', '1:');
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(thrown).toBeInstanceOf(PatchwardenError);
    expect(thrown).toMatchObject({
      code: 'PW_ERR_INVALID_VERSION',
      details: { scheme: 'dpkg', version: '1:', reason: 'nothing after colon in version number' },
    });
    expect(() => parseDpkgVersion('1.0_1')).toThrow(/invalid character/);
  });

  it('orders every fixed version after the installed one in Trivy’s real Ubuntu and Debian findings', () => {
    let checked = 0;
    for (const name of ['ubuntu-1804', 'debian-buster', 'debian-stretch']) {
      const report = JSON.parse(readFileSync(fixturePath(`versions/trivy/${name}.json.golden`), 'utf8')) as {
        Results: { Vulnerabilities?: { InstalledVersion: string; FixedVersion?: string }[] }[];
      };
      for (const v of report.Results.flatMap((r) => r.Vulnerabilities ?? [])) {
        if (!v.FixedVersion) continue;
        expect(
          compareDpkgVersions(v.InstalledVersion, v.FixedVersion),
          `${v.InstalledVersion} < ${v.FixedVersion}`,
        ).toBe(-1);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(9);
  });
});

describe('dpkg version ordering properties', () => {
  it('generated versions are valid and equal to themselves', () => {
    fc.assert(
      fc.property(dpkgVersion, (v) => {
        expect(isValidDpkgVersion(v)).toBe(true);
        expect(compareDpkgVersions(v, v)).toBe(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('is antisymmetric', () => {
    fc.assert(
      fc.property(dpkgVersion, dpkgVersion, (a, b) => {
        expect(compareDpkgVersions(a, b)).toBe(-compareDpkgVersions(b, a) || 0);
      }),
      { numRuns: 5000 },
    );
  });

  it('is transitive', () => {
    fc.assert(
      fc.property(dpkgVersion, dpkgVersion, dpkgVersion, (a, b, c) => {
        const [x, y, z] = [a, b, c].sort(compareDpkgVersions) as [string, string, string];
        expect(compareDpkgVersions(x, y)).toBeLessThanOrEqual(0);
        expect(compareDpkgVersions(y, z)).toBeLessThanOrEqual(0);
        expect(compareDpkgVersions(x, z)).toBeLessThanOrEqual(0);
        if (compareDpkgVersions(x, y) === 0 && compareDpkgVersions(y, z) === 0)
          expect(compareDpkgVersions(x, z)).toBe(0);
      }),
      { numRuns: 5000 },
    );
  });

  it('sorts a tilde after anything before everything, and ignores a zero epoch and revision', () => {
    fc.assert(
      fc.property(dpkgVersion, (v) => {
        expect(compareDpkgVersions(`${v}~`, v)).toBe(-1);
        if (!v.includes(':')) expect(compareDpkgVersions(`0:${v}`, v)).toBe(0);
        if (!v.includes('-') && !v.includes(':')) expect(compareDpkgVersions(`${v}-0`, v)).toBe(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('orders parsed versions as it orders their strings', () => {
    fc.assert(
      fc.property(dpkgVersion, dpkgVersion, (a, b) => {
        expect(compareParsedDpkgVersions(parseDpkgVersion(a), parseDpkgVersion(b))).toBe(
          sign(compareDpkgVersions(a, b)),
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws from isValid, and compare throws exactly for invalid input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), dpkgVersion, fc.stringMatching(/^[0-9a-z:~+.\- _]{0,8}$/)), (s) => {
        const valid = isValidDpkgVersion(s);
        if (valid) expect(() => compareDpkgVersions(s, '1')).not.toThrow();
        else expect(() => compareDpkgVersions('1', s)).toThrow(PatchwardenError);
      }),
      { numRuns: 3000 },
    );
  });
});
