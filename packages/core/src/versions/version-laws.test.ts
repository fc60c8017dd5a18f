/**
 * The laws every VersionScheme owes its callers, checked with fast-check on each language
 * ecosystem's scheme: a total preorder (reflexive, antisymmetric in sign, transitive), results in
 * {-1, 0, 1}, `isValid` total on any string, and `compare` failing only with PW_ERR_INVALID_VERSION.
 * Looped over the schemes, one generator of realistic versions each.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PatchwardenError } from '../errors/index.ts';
import { cargoScheme } from './cargo.ts';
import { goScheme } from './go.ts';
import { mavenScheme } from './maven.ts';
import { nugetScheme } from './nuget.ts';
import { packagistScheme } from './packagist.ts';
import { pep440Scheme } from './pep440.ts';
import { rubygemsScheme } from './rubygems.ts';
import { semverScheme } from './semver.ts';
import type { VersionScheme } from './version-scheme.ts';

// Small numbers on purpose: equal and near-equal versions are where orders go wrong.
const num = fc.oneof(fc.nat(3), fc.nat(12), fc.constantFrom(0, 10, 99, 2147483647));
const numStr = num.map(String);
const dotted = (min: number, max: number) =>
  fc.array(numStr, { minLength: min, maxLength: max }).map((p) => p.join('.'));
const ident = fc.oneof(
  fc.constantFrom('alpha', 'beta', 'rc', 'a1', 'x-y', 'RC', 'Beta', '0'),
  numStr.filter((s) => s !== '0' || true),
);
const semverCore = fc.tuple(numStr, numStr, numStr).map((p) => p.join('.'));
const preIds = fc.array(ident, { minLength: 1, maxLength: 3 }).map((ids) => ids.join('.'));
const build = fc.constantFrom('', '', '+build.1', '+001', '+sha.5114f85');
const strictSemver = fc
  .tuple(semverCore, fc.option(preIds, { nil: '' }), build)
  .map(([core, pre, b]) => `${core}${pre ? `-${pre}` : ''}${b}`);

const ARBITRARIES: Record<string, fc.Arbitrary<string>> = {
  semver: fc.tuple(fc.constantFrom('', 'v', '='), strictSemver).map(([p, v]) => p + v),
  pep440: fc
    .tuple(
      fc.constantFrom('', '', '1!'),
      dotted(1, 4),
      fc.constantFrom('', 'a1', 'b2', 'rc1', 'alpha', 'c3', '.pre2', '-beta.0'),
      fc.constantFrom('', '.post1', '-2', '.rev0', 'post'),
      fc.constantFrom('', '.dev0', '.dev3', 'dev'),
      fc.constantFrom('', '+abc', '+1', '+abc.2', '+1e5', '+ubuntu-1'),
    )
    .map((parts) => parts.join('')),
  // Maven's own order has cycles once qualifiers follow dots or zero-led sub-lists (see maven.test.ts,
  // checked against maven-artifact); the laws hold for the hyphen-qualified form Maven recommends.
  maven: fc
    .tuple(
      fc.array(fc.oneof(numStr, fc.constantFrom('00', '123456789012', '99999999999999999999')), {
        minLength: 1,
        maxLength: 4,
      }),
      fc.option(
        fc.tuple(
          fc.constantFrom(
            'alpha',
            'a',
            'beta',
            'b',
            'milestone',
            'm',
            'rc',
            'cr',
            'RC',
            'ga',
            'final',
            'Final',
            'RELEASE',
            'sp',
            'foo',
            'jre',
          ),
          fc.constantFrom('', '1', '2', '-1', '-2', '.1', '10'),
        ),
      ),
      fc.constantFrom('', '-SNAPSHOT'),
    )
    .map(
      ([core, qualifier, snapshot]) =>
        core.join('.') + (qualifier ? `-${qualifier[0]}${qualifier[1]}` : '') + snapshot,
    ),
  go: fc
    .tuple(
      fc.constantFrom('', 'v'),
      semverCore,
      fc.constantFrom(
        '',
        '-pre',
        '-0.20191109021931-daa7c04131f5',
        '-pre.0.20191109021931-daa7c04131f5',
        '-20191109021931-daa7c04131f5',
        '-rc.1',
      ),
      fc.constantFrom('', '+incompatible'),
    )
    .map((parts) => parts.join('')),
  rubygems: fc
    .tuple(
      numStr,
      fc.array(fc.oneof(numStr, fc.constantFrom('a', 'b', 'rc', 'pre', 'A', 'a1')), { maxLength: 4 }),
      fc.constantFrom('', '-1', '-beta.2'),
    )
    .map(([head, rest, tail]) => [head, ...rest].join('.') + tail),
  cargo: strictSemver,
  nuget: fc
    .tuple(dotted(1, 4), fc.option(preIds, { nil: '' }), build)
    .map(([core, pre, b]) => `${core}${pre ? `-${pre}` : ''}${b}`),
  packagist: fc.oneof(
    fc
      .tuple(
        fc.constantFrom('', 'v'),
        dotted(1, 4),
        fc.constantFrom(
          '',
          '-alpha1',
          '-beta',
          '-b2',
          '-RC1',
          '-rc2',
          '-patch1',
          '-pl2',
          '-stable',
          '-dev',
          '.x-dev',
        ),
        fc.constantFrom('', '-dev', '+build'),
      )
      .map((parts) => parts.join('')),
    fc.constantFrom('dev-master', 'dev-main', 'dev-feature/x', 'DEV-trunk', '2010-01-02', '20100102-203040'),
  ),
};

const SCHEMES: VersionScheme[] = [
  semverScheme,
  pep440Scheme,
  mavenScheme,
  goScheme,
  rubygemsScheme,
  cargoScheme,
  nugetScheme,
  packagistScheme,
];
const RUNS = { numRuns: 400, seed: 20_251_123 };

for (const scheme of SCHEMES) {
  const version = ARBITRARIES[scheme.id]!.filter((v) => scheme.isValid(v));
  describe(`${scheme.id}: VersionScheme laws`, () => {
    it('generates valid versions (the laws below are not vacuous)', () => {
      const sample = fc.sample(ARBITRARIES[scheme.id]!, { numRuns: 200, seed: 1 });
      expect(sample.filter((v) => scheme.isValid(v)).length).toBeGreaterThan(150);
    });

    it('is reflexive and answers -1, 0 or 1', () => {
      fc.assert(
        fc.property(version, version, (a, b) => {
          expect(scheme.compare(a, a)).toBe(0);
          expect([-1, 0, 1]).toContain(scheme.compare(a, b));
        }),
        RUNS,
      );
    });

    it('is antisymmetric', () => {
      fc.assert(
        fc.property(version, version, (a, b) => {
          expect(Math.sign(scheme.compare(a, b))).toBe(-Math.sign(scheme.compare(b, a)) || 0);
        }),
        RUNS,
      );
    });

    it('is transitive, for order and for equality', () => {
      fc.assert(
        fc.property(version, version, version, (a, b, c) => {
          const ab = scheme.compare(a, b);
          const bc = scheme.compare(b, c);
          const ac = scheme.compare(a, c);
          if (ab <= 0 && bc <= 0) expect(ac).toBeLessThanOrEqual(0);
          if (ab >= 0 && bc >= 0) expect(ac).toBeGreaterThanOrEqual(0);
          if (ab === 0 && bc === 0) expect(ac).toBe(0);
          if (ab === 0) expect(scheme.compare(a, c)).toBe(bc);
        }),
        RUNS,
      );
    });

    it('sorts consistently: every adjacent pair of a sorted list is in order', () => {
      fc.assert(
        fc.property(fc.array(version, { minLength: 2, maxLength: 30 }), (list) => {
          const sorted = [...list].sort(scheme.compare);
          for (let i = 1; i < sorted.length; i++)
            expect(scheme.compare(sorted[i - 1]!, sorted[i]!)).toBeLessThanOrEqual(0);
          for (let i = 0; i < sorted.length; i++)
            for (let j = i + 1; j < sorted.length; j++)
              expect(scheme.compare(sorted[i]!, sorted[j]!)).toBeLessThanOrEqual(0);
        }),
        { numRuns: 100, seed: 7 },
      );
    });

    it('isValid never throws, and compare rejects exactly the invalid strings with PW_ERR_INVALID_VERSION', () => {
      fc.assert(
        fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), ARBITRARIES[scheme.id]!), (s) => {
          const valid = scheme.isValid(s);
          expect(typeof valid).toBe('boolean');
          if (valid) {
            expect(scheme.compare(s, s)).toBe(0);
          } else {
            let thrown: unknown;
            try {
              scheme.compare(s, s);
            } catch (e) {
              thrown = e;
            }
            expect(thrown).toBeInstanceOf(PatchwardenError);
            expect((thrown as PatchwardenError).code).toBe('PW_ERR_INVALID_VERSION');
          }
        }),
        { numRuns: 300, seed: 3 },
      );
      expect(scheme.isValid(undefined as unknown as string)).toBe(false);
    });
  });
}
