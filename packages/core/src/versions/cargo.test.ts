import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { PatchwardenError } from '../errors/index.ts';
import { SHARED_DATA, sharedDataPath } from '../../../../test-support/shared-data.ts';
import { cargoScheme } from './cargo.ts';

const { compare, isValid } = cargoScheme;

describe('cargoScheme', () => {
  it('orders the SemVer 2.0.0 precedence examples (semver.org section 11)', () => {
    const ascending = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '2.0.0',
      '2.1.0',
      '2.1.1',
      '18446744073709551615.0.0',
    ];
    for (let i = 0; i < ascending.length; i++) {
      for (let j = i + 1; j < ascending.length; j++) {
        expect(compare(ascending[i]!, ascending[j]!), `${ascending[i]} < ${ascending[j]}`).toBe(-1);
        expect(compare(ascending[j]!, ascending[i]!)).toBe(1);
      }
    }
  });

  it('ignores build metadata and compares long numeric identifiers exactly', () => {
    expect(compare('1.0.0+20130313144700', '1.0.0+exp.sha.5114f85')).toBe(0);
    expect(compare('1.0.0-beta+exp.sha.5114f85', '1.0.0-beta')).toBe(0);
    expect(compare('1.0.0-99999999999999999999', '1.0.0-100000000000000000000')).toBe(-1);
    expect(compare('1.0.0+001', '1.0.0')).toBe(0); // leading zeros are allowed in build metadata
  });

  it('rejects what strict SemVer 2.0.0 and the semver crate reject (partial, prefixed, leading zeros, > u64)', () => {
    const bad = [
      '',
      '  ',
      '1',
      '1.2',
      '1.2.3-',
      'a.b.c',
      '1.2.3 abc',
      '1.2.3.4',
      '01.0.0',
      '1.01.0',
      '1.0.01',
      '1.2.3-01',
      '1.2.3-a.01',
      '1.2.3+',
      '1.2.3-a..b',
      'v1.2.3',
      '=1.2.3',
      ' 1.2.3',
      '18446744073709551616.0.0',
      '1.2.3-🦀',
    ];
    for (const v of bad) {
      expect(isValid(v), JSON.stringify(v)).toBe(false);
      expect(() => compare(v, '1.0.0')).toThrow(PatchwardenError);
    }
  });
});

function realVersions(): string[] {
  const found = new Set<string>();
  for (const file of ['osv-go/golang-vulndb-osv.jsonl', 'osv-pypi/pypa-advisory-database-osv.jsonl']) {
    const path = join(SHARED_DATA, file);
    if (!existsSync(path)) continue;
    for (const m of readFileSync(path, 'utf8').matchAll(/"(?:introduced|fixed|last_affected)":"([^"]+)"/g))
      found.add(m[1]!);
  }
  for (const m of readFileSync(
    join(SHARED_DATA, 'lockfiles/vulsio-integration/npm-v3/package-lock.json'),
    'utf8',
  ).matchAll(/"version": "([^"]+)"/g))
    found.add(m[1]!);
  return [...found];
}

const osvGo = sharedDataPath('osv-go/golang-vulndb-osv.jsonl');

describe.skipIf(!osvGo)(
  'cargoScheme against an independent SemVer 2.0.0 implementation (npm semver, strict mode)',
  () => {
    it('agrees on validity and order for real version strings', () => {
      // npm's strict parser also takes a `v`, `=` or spaces and stops at 2^53; leave those out.
      const versions = realVersions().filter((v) => !/^[v=\s]|\s$/.test(v) && !/\d{16,}/.test(v));
      for (const v of versions) expect(isValid(v), v).toBe(semver.valid(v) !== null);
      const valid = versions.filter(isValid);
      const pairs: [string, string][] = [];
      let seed = 9;
      const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
      for (let i = 0; i < 20_000; i++)
        pairs.push([valid[Math.floor(next() * valid.length)]!, valid[Math.floor(next() * valid.length)]!]);
      const mismatches = pairs.filter(([a, b]) => compare(a, b) !== semver.compare(a, b));
      console.info(
        `[cargo] ${versions.length} real strings (${valid.length} strict SemVer), ${pairs.length} pairs; ${mismatches.length} mismatches`,
      );
      expect(valid.length).toBeGreaterThan(1000);
      expect(mismatches.slice(0, 20)).toEqual([]);
    });
  },
);
