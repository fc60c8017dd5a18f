import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { PatchwardenError } from '../errors/index.ts';
import { SHARED_DATA, sharedDataPath } from '../../../../test-support/shared-data.ts';
import { semverScheme } from './semver.ts';

const { compare, isValid } = semverScheme;

describe('semverScheme', () => {
  it('orders prereleases as SemVer 2.0.0 section 11 lists them', () => {
    const ascending = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '1.0.1-0',
      '1.0.1',
      '2.0.0',
      '2.1.0',
      '2.1.1',
    ];
    for (let i = 0; i < ascending.length; i++) {
      for (let j = i + 1; j < ascending.length; j++) {
        expect(compare(ascending[i]!, ascending[j]!), `${ascending[i]} < ${ascending[j]}`).toBe(-1);
        expect(compare(ascending[j]!, ascending[i]!)).toBe(1);
      }
    }
  });

  it('compares numeric identifiers numerically and below alphanumeric ones', () => {
    expect(compare('1.0.0-alpha.10', '1.0.0-alpha.9')).toBe(1);
    expect(compare('1.0.0-1', '1.0.0-a')).toBe(-1);
    expect(compare('1.0.0-a.1', '1.0.0-a.b')).toBe(-1);
    expect(compare('1.0.0-rc.1', '1.0.0-RC.1')).toBe(1); // ASCII order: uppercase first
  });

  it('ignores build metadata and accepts npm’s loose prefixes', () => {
    expect(compare('1.0.0+build.1', '1.0.0+build.2')).toBe(0);
    expect(compare('1.0.0-beta+exp.sha.5114f85', '1.0.0-beta')).toBe(0);
    expect(compare('v1.2.3', '1.2.3')).toBe(0);
    expect(compare('=1.2.3', '1.2.3')).toBe(0);
    expect(compare(' 1.2.3 ', '1.2.3')).toBe(0);
    expect(compare('v 1.2.3', '1.2.3')).toBe(0);
  });

  it('rejects garbage, ranges and partial versions', () => {
    for (const bad of [
      '',
      'latest',
      '*',
      'x',
      '1',
      '1.2',
      '1.2.3.4',
      '^1.2.3',
      '~1.2.3',
      '>=1.0.0',
      '1.2.3 - 2.0.0',
      'a.b.c',
      '1.2.3+',
      '1.2.3-alpha..1',
      'one.two.three',
    ]) {
      expect(isValid(bad), bad).toBe(false);
      expect(() => compare(bad, '1.0.0')).toThrow(PatchwardenError);
    }
  });
});

/** Every version string a real npm lockfile, GHSA record or Retire.js database holds. */
function npmVersions(): string[] {
  const found = new Set<string>();
  const add = (v: string): void => {
    if (v.length > 0 && v.length < 256) found.add(v);
  };
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('package-lock.json')) {
        for (const m of readFileSync(path, 'utf8').matchAll(/"version": "([^"]+)"/g)) add(m[1]!);
      } else if (name.endsWith('yarn.lock')) {
        for (const m of readFileSync(path, 'utf8').matchAll(/^\s+version:? "?([^"\n]+)"?$/gm)) add(m[1]!);
      }
    }
  };
  walk(join(SHARED_DATA, 'lockfiles'));
  for (const name of readdirSync(join(SHARED_DATA, 'osv-npm/ghsa-samples'))) {
    for (const m of readFileSync(join(SHARED_DATA, 'osv-npm/ghsa-samples', name), 'utf8').matchAll(
      /"(?:introduced|fixed)": "([^"]+)"/g,
    ))
      add(m[1]!);
  }
  for (const name of ['retirejs-jsrepository.json', 'retirejs-npmrepository.json']) {
    const text = readFileSync(join(SHARED_DATA, 'npm-advisories-legacy', name), 'utf8');
    for (const m of text.matchAll(/"(?:below|atOrAbove)": "([^"]+)"/g)) add(m[1]!);
  }
  return [...found];
}

const lockfiles = sharedDataPath('lockfiles');

describe.skipIf(!lockfiles)(
  'semverScheme against the semver package (real npm lockfile and advisory versions)',
  () => {
    it('agrees with semver.valid and semver.compare (loose) on every neighbour and thousands of random pairs', () => {
      const versions = npmVersions();
      const loose = { loose: true };
      const valid = versions.filter((v) => semver.valid(v, loose) !== null);
      for (const v of versions) expect(isValid(v), v).toBe(semver.valid(v, loose) !== null);

      const pairs: [string, string][] = [];
      for (let i = 1; i < valid.length; i++) pairs.push([valid[i - 1]!, valid[i]!]);
      let seed = 3;
      const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
      for (let i = 0; i < 20_000; i++)
        pairs.push([valid[Math.floor(next() * valid.length)]!, valid[Math.floor(next() * valid.length)]!]);

      const t0 = performance.now();
      const mismatches = pairs.filter(([a, b]) => compare(a, b) !== semver.compare(a, b, loose));
      const ms = performance.now() - t0;
      console.info(
        `[semver] ${versions.length} distinct real versions (${versions.length - valid.length} rejected), ${pairs.length} pairs; ` +
          `${ms.toFixed(0)} ms for both sides; ${mismatches.length} mismatches`,
      );
      expect(valid.length).toBeGreaterThan(1000);
      expect(mismatches.slice(0, 20)).toEqual([]);
    });
  },
);
