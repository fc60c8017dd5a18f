import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FIXTURES, SHARED_DATA, fixturePath, sharedDataPath } from '../../../../test-support/shared-data.ts';
import { PatchwardenError } from '../errors/index.ts';
import { apkScheme, compareApkVersions, isValidApkVersion, parseApkVersion } from './apk.ts';
import { hostCorpusIo } from './testing/host-corpus-io.ts';
import { seededRandom } from './testing/near-pairs.ts';
import { apkCorpus, corpusVersions } from './testing/os-corpora.ts';
import { vulsUpgradePairs } from './testing/version-sources.ts';

const SIGN = { '<': -1, '=': 0, '>': 1 } as const;

/*
 * There is no apk binary on Debian, so the reference is apk-tools' own test vectors:
 * alpinelinux/apk-tools, test/version.data at fd8f39f1d54c3b56d16a494898e5a753e2c71715 (read with
 * its tokenizer, src/version.c). apk-tools is GPL-2.0-only, so the file is not copied: the cases
 * below are a selection re-derived from it, grouped by the rule each one exercises, plus our own.
 */
const VECTORS: readonly (readonly [string, keyof typeof SIGN, string])[] = [
  // Dotted numbers compare by value...
  ['1.0.0', '<', '1.0.1'],
  ['1.2.1', '>', '1.2'],
  ['2.6.1', '>', '2.6'],
  ['1.2.12.1', '<', '1.2.13'],
  ['7.0.17', '<', '7.0.174'],
  ['2.38', '<', '20050405'],
  ['3.0.20060720', '<', '20060720'],
  ['0.9.28.1', '>', '0.9.28'],
  // ...the first number too, leading zeros and all...
  ['006', '>', '1.0.0'],
  ['013', '<', '014-r1'],
  ['087-r1', '<', '103'],
  ['021109-r3', '<', '20060512'],
  ['6', '=', '006'],
  // ...but a later component with a leading zero compares as a string (Gentoo's rule).
  ['1.02', '<', '1.1'],
  ['1.02', '<', '1.03-r1'],
  ['1.2.07.8', '<', '1.2.12.04'],
  ['1.2.12.04', '<', '1.2.12.05'],
  ['0.01', '<', '0.06'],
  ['0.0.16', '<', '0.0.25'],
  ['0.20070118', '<', '0.20070207_rc1'],
  ['4.20', '>', '0.20070118'],
  ['1.0', '<', '1.00'],
  ['1.07-r1', '<', '1.07.5'],
  // One letter after the numbers; a letter beats no letter but not another component.
  ['1.7', '<', '1.7b'],
  ['2.5.1-r8', '<', '2.5.1a-r1'],
  ['0.9.8c-r1', '<', '0.9.8d'],
  ['1.1a', '<', '1.3a'],
  ['1.0a', '<', '1.0.1'],
  ['2.12r-r4', '<', '2.12r-r5'],
  // Suffixes: alpha < beta < pre < rc < (none) < cvs < svn < git < hg < p.
  ['1.1_alpha1', '<', '1.1'],
  ['0.1.0_alpha', '<', '0.1.0_alpha2'],
  ['1.3_alpha2', '<', '1.3_alpha3'],
  ['0.8_beta1', '<', '0.8_beta2'],
  ['1.0_alpha9', '<', '1.0_beta'],
  ['1.0_beta9', '<', '1.0_pre'],
  ['1.0_pre9', '<', '1.0_rc'],
  ['1.0_rc9', '<', '1.0'],
  ['6.0_pre1', '<', '6.0'],
  ['1.3_pre1-r1', '<', '1.3.2'],
  ['0.10.0', '<', '0.10.1_rc1'],
  ['1.0', '<', '1.0_cvs'],
  ['1.0_cvs9', '<', '1.0_svn'],
  ['1.0_svn9', '<', '1.0_git'],
  ['1.0_git9', '<', '1.0_hg'],
  ['1.0_hg9', '<', '1.0_p'],
  ['6.0_p1', '>', '6.0'],
  ['1.8.5', '<', '1.8.5_p2'],
  ['1.0_p9-r0', '<', '1.0_p10-r0'],
  ['4.5_p1-r1', '>', '4.5_p1'],
  ['1.2.4_git20230717-r4', '>', '1.2.4-r4'],
  ['1.0.0_pre20191002222144-r0', '<', '1.0.0_pre20210530193627-r0'],
  // Several suffixes: a further pre-release suffix makes it older.
  ['0.1.0_alpha_pre2', '<', '0.1.0_alpha'],
  ['1.0_alpha_p1', '>', '1.0_alpha'],
  ['1.0_p1_p1', '>', '1.0_p1'],
  // Package revisions.
  ['1.0.4-r3', '<', '1.0.4-r4'],
  ['1.3.5-r10', '>', '1.3.5-r8'],
  ['2.8.9-r1', '>', '2.8.9'],
  ['1.0', '<', '1.0-r0'],
  ['1.3-r0', '<', '1.3.1-r0'],
  ['0.2.0-r1', '=', '0.2.0-r1'],
  ['1.0-r01', '=', '1.0-r1'],
  // Commit hashes (apk-tools 2.14+): after the suffixes, before the revision.
  ['1.0~abc', '>', '1.0'],
  ['1.0~abc', '<', '1.0~abd'],
  ['1.0~ab', '<', '1.0~abc'],
  ['1.0~abc-r1', '>', '1.0~abc'],
  ['1.0~abc', '>', '1.0-r0'],
  ['1.0_git1~abc', '>', '1.0_git1'],
  // Numbers of any length.
  [`1.${'9'.repeat(30)}`, '<', `1.1${'0'.repeat(30)}`],
  ['18446744073709551616', '>', '18446744073709551615'],
];

/** Strings apk-tools' `apk_version_validate` refuses, among them the two invalid test vectors. */
const INVALID: readonly string[] = [
  '',
  '23_foo',
  '1.0bc',
  'a',
  '.1',
  '1.',
  '1..0',
  '1.0a.1',
  '1.0a1',
  '1.0A',
  '1.0_',
  '1.0_beta_',
  '1.0_p1a',
  '1.0-1',
  '1.0-r',
  '1.0-r1-r2',
  '1.0-r1_p1',
  '1.0~',
  '1.0~xyz',
  '1.0~ABC',
  '1.0~abc~def',
  '1.0-r1~abc',
  ' 1.0',
  '1.0 ',
];

/** apk's grammar written as a regular expression, as an independent check of the tokenizer. */
const APK_GRAMMAR = /^\d+(\.\d+)*[a-z]?(_(alpha|beta|pre|rc|cvs|svn|git|hg|p)\d*)*(~[0-9a-f]+)?(-r\d+)?$/;

const base = fc
  .record({
    numbers: fc.array(fc.constantFrom('0', '1', '2', '9', '10', '01', '00'), { minLength: 1, maxLength: 3 }),
    letter: fc.option(fc.constantFrom('a', 'b', 'z'), { nil: undefined }),
    suffixes: fc.array(
      fc.tuple(
        fc.constantFrom('alpha', 'beta', 'pre', 'rc', 'cvs', 'svn', 'git', 'hg', 'p'),
        fc.constantFrom('', '0', '1', '2', '10'),
      ),
      { maxLength: 2 },
    ),
  })
  .map(
    ({ numbers, letter, suffixes }) =>
      `${numbers.join('.')}${letter ?? ''}${suffixes.map(([name, n]) => `_${name}${n}`).join('')}`,
  );
/** Valid apk versions from a small alphabet, so that generated pairs often tie or share prefixes. */
const apkVersion = fc
  .tuple(
    base,
    fc.option(fc.constantFrom('a', 'ab', 'b0'), { nil: undefined }),
    fc.option(fc.constantFrom('0', '1', '2', '10'), { nil: undefined }),
  )
  .map(
    ([b, hash, revision]) =>
      `${b}${hash === undefined ? '' : `~${hash}`}${revision === undefined ? '' : `-r${revision}`}`,
  );

const io = hostCorpusIo({
  readFile: (path) => (existsSync(path) ? readFileSync(path) : undefined),
  listDir: (path) => (existsSync(path) ? readdirSync(path) : []),
  gunzip: (bytes) => gunzipSync(bytes),
  run: () => undefined,
  sharedRoot: sharedDataPath('MANIFEST.md') === undefined ? undefined : SHARED_DATA,
  fixturesRoot: FIXTURES,
});

describe('apk version ordering', () => {
  it.each(VECTORS)('%s %s %s', (a, relation, b) => {
    expect(compareApkVersions(a, b)).toBe(SIGN[relation]);
    expect(compareApkVersions(b, a)).toBe(-SIGN[relation] || 0);
  });

  it.each(INVALID.map((v) => [JSON.stringify(v), v]))('refuses %s', (_label, v) => {
    expect(isValidApkVersion(v)).toBe(false);
    expect(APK_GRAMMAR.test(v)).toBe(false);
    expect(() => compareApkVersions(v, '1.0')).toThrow(PatchwardenError);
  });

  it('is exposed as the apk VersionScheme and throws PW_ERR_INVALID_VERSION naming the version', () => {
    expect(apkScheme.id).toBe('apk');
    expect(apkScheme.compare('1.36.1-r15', '1.36.1-r19')).toBe(-1);
    expect(() => apkScheme.compare('1.0', '23_foo')).toThrow(
      expect.objectContaining({
        code: 'PW_ERR_INVALID_VERSION',
        details: { field: 'version', scheme: 'apk', version: '23_foo' },
      }),
    );
  });

  it('splits off the package revision', () => {
    expect(parseApkVersion('1.2.4_git20230717-r4')).toEqual({ version: '1.2.4_git20230717', revision: 4 });
    expect(parseApkVersion('20230506')).toEqual({ version: '20230506', revision: undefined });
    expect(parseApkVersion('1.0~abc-r10')).toEqual({ version: '1.0~abc', revision: 10 });
  });

  it('orders every fixed version after the installed one in Trivy’s real Alpine findings', () => {
    const report = JSON.parse(readFileSync(fixturePath('versions/trivy/alpine-310.json.golden'), 'utf8')) as {
      Results: { Vulnerabilities?: { InstalledVersion: string; FixedVersion?: string }[] }[];
    };
    const findings = report.Results.flatMap((r) => r.Vulnerabilities ?? []).filter((v) => v.FixedVersion);
    expect(findings.length).toBeGreaterThanOrEqual(4);
    for (const v of findings) expect(compareApkVersions(v.InstalledVersion, v.FixedVersion ?? '')).toBe(-1);
  });

  it('accepts every version of the committed Alpine inventories and reports', () => {
    const versions = corpusVersions(
      apkCorpus({ ...io, shared: () => undefined, sharedGunzipped: () => undefined }),
    );
    expect(versions.length).toBeGreaterThanOrEqual(10);
    expect(versions.filter((v) => !isValidApkVersion(v))).toEqual([]);
  });

  it.skipIf(sharedDataPath('advisories-alpine/secdb-v3.11-main.yaml') === undefined)(
    'accepts the real Alpine versions of the shared data, except the secdb keys apk itself refuses',
    () => {
      const versions = corpusVersions(apkCorpus(io));
      const refused = versions.filter((v) => !isValidApkVersion(v));
      console.log(
        `[apk] ${versions.length} real versions, ${refused.length} refused: ${JSON.stringify(refused)}`,
      );
      expect(versions.length).toBeGreaterThan(1000);
      // Typos in alpine-secdb (v3.3 to v3.11) that today's apk-tools would reject as well.
      expect(refused.sort()).toEqual(
        [
          '0.12.5.-r0',
          '0.8.21.r2',
          '1.0.4.-r0',
          '1.11-20-r0',
          '1.18.-r2',
          '1.7.5.-r1',
          '10.2.22.r0',
          '10.2.24.r0',
          '10.2.26.r0',
          '2.15.r-r1',
          '2.7.16-33',
          '4.10-1-r1',
          '4.8.0.-r1',
          '57-1-r2',
          '6.6.2p1-r0',
        ].sort(),
      );
      for (const v of versions) expect(isValidApkVersion(v), v).toBe(APK_GRAMMAR.test(v));

      // A total order on real versions: sorting agrees with every pairwise answer on random triples.
      const valid = versions.filter(isValidApkVersion).sort(compareApkVersions);
      for (let i = 1; i < valid.length; i++)
        expect(compareApkVersions(valid[i - 1]!, valid[i]!)).toBeLessThanOrEqual(0);
      const random = seededRandom(7);
      for (let n = 0; n < 20_000; n++) {
        const [i, j] = [Math.floor(random() * valid.length), Math.floor(random() * valid.length)].sort(
          (x, y) => x - y,
        );
        expect(compareApkVersions(valid[i!]!, valid[j!]!)).toBeLessThanOrEqual(0);
      }
    },
  );

  it.skipIf(sharedDataPath('inventory/vuls-scan-results/alpine_319.json') === undefined)(
    'never orders the update apk offered (Vuls scan of Alpine 3.19) before the installed version',
    () => {
      const pairs = vulsUpgradePairs(io.shared('inventory/vuls-scan-results/alpine_319.json') ?? '{}');
      expect(pairs.length).toBe(18);
      const upgrades = pairs.filter(([installed, available]) => compareApkVersions(installed, available) < 0);
      for (const [installed, available] of pairs)
        expect(compareApkVersions(installed, available)).toBeLessThanOrEqual(0);
      expect(upgrades.length).toBeGreaterThan(0);
    },
  );
});

describe('apk version ordering properties', () => {
  it('accepts exactly what apk’s grammar allows', () => {
    const alphabet = fc.constantFrom(
      '0',
      '1',
      '9',
      '.',
      'a',
      'b',
      'f',
      'g',
      'z',
      'A',
      '_',
      'p',
      'rc',
      'alpha',
      '~',
      '-',
      '-r',
      'r',
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(alphabet, { maxLength: 8 }).map((t) => t.join('')),
          fc.string(),
          apkVersion,
        ),
        (s) => {
          expect(isValidApkVersion(s)).toBe(APK_GRAMMAR.test(s));
        },
      ),
      { numRuns: 10_000 },
    );
  });

  it('generated versions equal themselves', () => {
    fc.assert(
      fc.property(apkVersion, (v) => {
        expect(compareApkVersions(v, v)).toBe(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('is antisymmetric', () => {
    fc.assert(
      fc.property(apkVersion, apkVersion, (a, b) => {
        expect(compareApkVersions(a, b)).toBe(-compareApkVersions(b, a) || 0);
      }),
      { numRuns: 5000 },
    );
  });

  it('is transitive', () => {
    fc.assert(
      fc.property(apkVersion, apkVersion, apkVersion, (a, b, c) => {
        const [x, y, z] = [a, b, c].sort(compareApkVersions) as [string, string, string];
        expect(compareApkVersions(x, y)).toBeLessThanOrEqual(0);
        expect(compareApkVersions(y, z)).toBeLessThanOrEqual(0);
        expect(compareApkVersions(x, z)).toBeLessThanOrEqual(0);
        if (compareApkVersions(x, y) === 0 && compareApkVersions(y, z) === 0)
          expect(compareApkVersions(x, z)).toBe(0);
      }),
      { numRuns: 5000 },
    );
  });

  it('puts pre-release suffixes before the release and the others after it, and any revision after none', () => {
    fc.assert(
      fc.property(base, fc.constantFrom('', '1'), (v, n) => {
        for (const pre of ['alpha', 'beta', 'pre', 'rc'])
          expect(compareApkVersions(`${v}_${pre}${n}`, v)).toBe(-1);
        for (const post of ['cvs', 'svn', 'git', 'hg', 'p'])
          expect(compareApkVersions(`${v}_${post}${n}`, v)).toBe(1);
        expect(compareApkVersions(`${v}-r0`, v)).toBe(1);
      }),
      { numRuns: 1000 },
    );
  });
});
