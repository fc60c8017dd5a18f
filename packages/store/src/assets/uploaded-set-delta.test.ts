import { fc, test } from '@fast-check/vitest';
import type { InstalledPackage, OsRelease } from '@patchwarden/core';
import {
  canonicalInventoryText,
  osEcosystem,
  PatchwardenError,
  splitCanonicalInventory,
} from '@patchwarden/core';
import { describe, expect, it } from 'vitest';
import { realHostPackages, withOsEcosystem } from '../testing/real-host-packages.ts';
import { InventoryLineCache } from './inventory-line-cache.ts';
import { canonicalSet } from './inventory-sets.ts';

const UBUNTU: OsRelease = { id: 'ubuntu', versionId: '18.04', versionCodename: 'bionic', idLike: ['debian'] };
const DEBIAN: OsRelease = { id: 'debian', versionId: '12', idLike: [] };

/** The set the object path stores for these packages: the reference every build must equal. */
function expectedSet(os: OsRelease, packages: readonly InstalledPackage[]) {
  return canonicalSet(withOsEcosystem(os, packages));
}

const BASE = realHostPackages();

/** One upload of a host: the real packages with some removed, some upgraded, some added. */
const upload = fc.record({
  host: fc.constantFrom('host-a', 'host-b', 'host-c'),
  debian: fc.boolean(),
  removed: fc.uniqueArray(fc.nat({ max: BASE.length - 1 }), { maxLength: 40 }),
  upgraded: fc.uniqueArray(fc.nat({ max: BASE.length - 1 }), { maxLength: 40 }),
  added: fc.array(fc.nat({ max: BASE.length - 1 }), { maxLength: 20 }),
  // The same package listed twice (equal lines), or once with its OS ecosystem spelt out
  // (another line, the same set line): both must come out once.
  listedTwice: fc.option(fc.nat({ max: BASE.length - 1 }), { nil: undefined }),
  spelledOut: fc.option(fc.nat({ max: BASE.length - 1 }), { nil: undefined }),
  generation: fc.nat({ max: 3 }),
});

function packagesOf(u: UploadCase) {
  const os = u.debian ? DEBIAN : UBUNTU;
  const removed = new Set(u.removed);
  const upgraded = new Set(u.upgraded);
  const packages: InstalledPackage[] = [];
  BASE.forEach((p, i) => {
    if (removed.has(i)) return;
    packages.push(upgraded.has(i) ? { ...p, version: `${p.version}.pw${u.generation}` } : p);
  });
  for (const i of u.added) packages.push({ ...BASE[i]!, name: `${BASE[i]!.name}-extra${i % 7}` });
  if (u.listedTwice !== undefined) packages.push(BASE[u.listedTwice]!);
  if (u.spelledOut !== undefined) {
    const p = BASE[u.spelledOut]!;
    const ecosystem = osEcosystem(os);
    if (p.kind === 'os' && ecosystem) packages.push({ ...p, ecosystem });
  }
  return { os, packages };
}

interface UploadCase {
  host: string;
  debian: boolean;
  removed: number[];
  upgraded: number[];
  added: number[];
  listedTwice: number | undefined;
  spelledOut: number | undefined;
  generation: number;
}

describe('sets built from a reference (uploaded-set-delta.ts)', () => {
  test.prop([fc.array(upload, { minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 3_000 })], {
    numRuns: 40,
  })("any sequence of hosts' uploads gives exactly the sets built from scratch", (uploads, maxHostLines) => {
    const cache = new InventoryLineCache({ maxHostLines });
    for (const u of uploads) {
      const { os, packages } = packagesOf(u);
      const built = cache.setOf(splitCanonicalInventory(canonicalInventoryText(os, packages)), {
        host: u.host,
      });
      const expected = expectedSet(os, packages);
      expect(built.hash).toBe(expected.hash);
      expect(built.items.map((item) => item.line)).toEqual(expected.items.map((item) => item.line));
    }
  });

  it("reuses the reference's items and forgets hosts beyond its bound", () => {
    const cache = new InventoryLineCache({ maxHostLines: BASE.length * 2 });
    const text = canonicalInventoryText(UBUNTU, BASE);
    const first = cache.setOf(splitCanonicalInventory(text), { host: 'a' });
    const moved = BASE.map((p, i) => (i % 50 === 0 ? { ...p, version: `${p.version}.1` } : p));
    const second = cache.setOf(splitCanonicalInventory(canonicalInventoryText(UBUNTU, moved)), { host: 'a' });
    expect(second.hash).toBe(expectedSet(UBUNTU, moved).hash);
    const firstItems = new Set(first.items);
    const shared = second.items.filter((item) => firstItems.has(item)).length;
    expect(shared).toBe(second.items.length - Math.ceil(BASE.length / 50));
    cache.setOf(splitCanonicalInventory(text), { host: 'b' });
    expect(cache.hostsKept).toBe(2);
    cache.setOf(splitCanonicalInventory(text), { host: 'c' });
    expect(cache.hostsKept).toBe(2); // 'a', uploaded longest ago, was forgotten
  });

  it('refuses a bad line that the reference lacks, with its number, and keeps the reference', () => {
    const cache = new InventoryLineCache();
    const good = canonicalInventoryText(UBUNTU, BASE);
    const before = cache.setOf(splitCanonicalInventory(good), { host: 'a' });
    const lines = good.split('\n');
    // The last OS line: with `true` for its ecosystem it still sorts before the npm lines.
    const at = lines.findLastIndex((line) => line.includes('"os",null,'));
    lines[at] = lines[at]!.replace('"os",null,', '"os",true,');
    let error: unknown;
    try {
      cache.setOf(splitCanonicalInventory(lines.join('\n')), { host: 'a' });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(PatchwardenError);
    expect((error as PatchwardenError).details).toMatchObject({ field: 'inventory', line: at + 1 });
    // The host's reference is still its last good upload: the same text builds the same set.
    expect(cache.setOf(splitCanonicalInventory(good), { host: 'a' }).items).toEqual(before.items);
  });
});
