import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { InstalledPackage } from '@patchwarden/core';
import { parseDpkgStatus, parseOsRelease } from '@patchwarden/inventory';
import { inventoryHash } from './inventory-hash.ts';

const STATUS = fileURLToPath(
  new URL('../../../fixtures/inventory/dpkg/trivy-ubuntu1804-status', import.meta.url),
);
const { packages } = parseDpkgStatus(readFileSync(STATUS, 'utf8'), STATUS);
const os = parseOsRelease('ID=ubuntu\nVERSION_ID="18.04"\nVERSION_CODENAME=bionic\n', '/etc/os-release').os!;

/** Deterministic shuffles (mulberry32), so a failure names the seed that found it. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

describe('inventoryHash', () => {
  const base = inventoryHash(os, packages);

  it('is a sha256 content address of a real 90-package dpkg inventory', () => {
    assert.equal(packages.length, 90);
    assert.match(base, /^sha256:[0-9a-f]{64}$/);
  });

  it('does not depend on the order packages were collected in', () => {
    for (let seed = 1; seed <= 25; seed++) {
      assert.equal(inventoryHash(os, shuffled(packages, seed)), base, `seed ${seed}`);
    }
  });

  it('does not depend on where in the file a package was read', () => {
    const moved = packages.map((p, i) => ({ ...p, location: { file: STATUS, line: 10_000 + i } }));
    assert.equal(inventoryHash(os, moved), base);
  });

  it('changes when one version changes, even by one character', () => {
    const index = packages.findIndex((p) => p.name === 'libc6');
    assert.ok(index >= 0, 'fixture has libc6');
    const upgraded: InstalledPackage[] = packages.map((p, i) =>
      i === index ? { ...p, version: `${p.version}1` } : p,
    );
    assert.notEqual(inventoryHash(os, upgraded), base);
    assert.notEqual(inventoryHash(os, shuffled(upgraded, 7)), base);
  });

  it('changes when a package is added or removed, or the OS release changes', () => {
    assert.notEqual(inventoryHash(os, packages.slice(1)), base);
    assert.notEqual(inventoryHash(os, [...packages, { ...packages[0]!, arch: 'i386' }]), base);
    assert.notEqual(inventoryHash({ ...os, versionId: '18.10' }, packages), base);
  });

  it('tells apart the same package read from two different lockfiles', () => {
    const pkg: InstalledPackage = {
      name: 'left-pad',
      version: '1.3.0',
      kind: 'language',
      packageManager: 'npm',
      ecosystem: 'npm',
    };
    const a = inventoryHash(os, [{ ...pkg, location: { file: '/srv/a/package-lock.json' } }]);
    const b = inventoryHash(os, [{ ...pkg, location: { file: '/srv/b/package-lock.json' } }]);
    assert.notEqual(a, b);
  });
});
