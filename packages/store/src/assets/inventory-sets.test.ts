import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { InstalledPackage } from '@patchwarden/core';
import { canonicalSet, SET_CANONICAL_HEADER, setHashOfSorted, withLineBytes } from './inventory-sets.ts';

/** The set's canonical text as first defined: one JSON.stringify'd array per item. */
function referenceHash(packages: readonly InstalledPackage[]): string {
  const lines = new Set(
    canonicalSet(packages).items.map(({ tuple, details: d }) =>
      JSON.stringify([
        tuple.ecosystem,
        tuple.name,
        tuple.version,
        d.n,
        d.v,
        d.sn,
        d.sv,
        d.a,
        d.p,
        d.k,
        d.m,
        d.f,
      ]),
    ),
  );
  const sorted = [...lines].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `sha256:${createHash('sha256')
    .update([SET_CANONICAL_HEADER, ...sorted].join('\n'))
    .digest('hex')}`;
}

describe('canonicalSet', () => {
  it('hashes exactly the JSON.stringify lines, whatever characters the fields hold', () => {
    const odd = [
      'quote"inside',
      'back\\slash',
      'tab\tand\nnewline\u0001',
      'lone \ud800 surrogate',
      'pair \ud83d\ude00 emoji',
      'line\u2028separator',
      'ünïcödé',
      '',
    ];
    const packages: InstalledPackage[] = odd.map((text, i) => ({
      name: `pkg-${i}-${text}`,
      version: `1.${i}-${text}`,
      kind: 'os',
      packageManager: 'dpkg',
      ecosystem: 'Debian:12',
      sourceName: `src-${text}`,
      sourceVersion: `1.${i}`,
      arch: text,
      purl: `pkg:deb/debian/pkg-${i}`,
      location: { file: `/var/lib/dpkg/${text}`, line: i + 1 },
    }));
    packages.push({
      name: 'plain',
      version: '1.0',
      kind: 'language',
      packageManager: 'npm',
      ecosystem: 'npm',
    });
    packages.push({ name: 'no-ecosystem', version: '2.0', kind: 'language', packageManager: 'pypi' });
    const set = canonicalSet(packages);
    expect(set.hash).toBe(referenceHash(packages));
    expect(canonicalSet([]).hash).toBe(referenceHash([]));
    for (const item of set.items) {
      const d = item.details;
      const { ecosystem, name, version } = item.tuple;
      expect(item.line).toBe(
        JSON.stringify([ecosystem, name, version, d.n, d.v, d.sn, d.sv, d.a, d.p, d.k, d.m, d.f]),
      );
    }
  });

  it('orders items by code unit and drops duplicates (a package listed twice, or on another line)', () => {
    const base: InstalledPackage = {
      name: 'b',
      version: '1',
      kind: 'language',
      packageManager: 'npm',
      ecosystem: 'npm',
    };
    const set = canonicalSet([
      { ...base, name: 'ä' },
      base,
      { ...base, name: 'B' },
      { ...base, location: { file: 'package-lock.json', line: 3 } },
      { ...base, location: { file: 'package-lock.json', line: 9 } },
    ]);
    expect(set.items.map((item) => item.tuple.name)).toEqual(['B', 'b', 'b', 'ä']);
    expect(set.items).toHaveLength(4);
  });

  it('hashes items that carry their line bytes exactly as their lines, past any buffer size', () => {
    // 12,000 lines of about 190 bytes (over 2 MiB), one of them longer than a MiB on its own.
    const packages: InstalledPackage[] = Array.from({ length: 12_000 }, (_, i) => ({
      name: `package-${String(i).padStart(6, '0')}`,
      version: i === 7_000 ? `1.0+${'x'.repeat(1_500_000)}` : `1.${i}-ubuntu0.22.04.${i % 97}`,
      kind: 'os',
      packageManager: 'dpkg',
      ecosystem: 'Ubuntu:22.04',
      sourceName: `source-${i % 500}`,
      arch: 'amd64',
      location: { file: '/var/lib/dpkg/status' },
    }));
    const set = canonicalSet(packages);
    expect(set.hash).toBe(referenceHash(packages));
    const withBytes = set.items.map((item) => withLineBytes({ ...item }));
    expect(setHashOfSorted(withBytes)).toBe(set.hash);
    // Twice: nothing of the first call's bytes is left over in the second.
    expect(setHashOfSorted(withBytes.slice(0, 3))).toBe(setHashOfSorted(set.items.slice(0, 3)));
    expect(setHashOfSorted(withBytes.slice(1))).not.toBe(set.hash);
  });
});
