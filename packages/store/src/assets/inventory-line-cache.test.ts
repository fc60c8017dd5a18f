import type { OsRelease } from '@patchwarden/core';
import { canonicalInventoryText, PatchwardenError, splitCanonicalInventory } from '@patchwarden/core';
import { describe, expect, it } from 'vitest';
import { realHostPackages, withOsEcosystem } from '../testing/real-host-packages.ts';
import { InventoryLineCache } from './inventory-line-cache.ts';
import { canonicalSet } from './inventory-sets.ts';

const UBUNTU: OsRelease = { id: 'ubuntu', versionId: '18.04', versionCodename: 'bionic', idLike: ['debian'] };

describe('InventoryLineCache', () => {
  const packages = realHostPackages();

  it('builds from the canonical text exactly the set that the objects give', () => {
    expect(packages.filter((p) => p.kind === 'os').length).toBeGreaterThan(80);
    expect(packages.filter((p) => p.kind === 'language').length).toBeGreaterThan(10);
    const cache = new InventoryLineCache();
    const text = canonicalInventoryText(UBUNTU, packages);
    const fromText = cache.setOf(splitCanonicalInventory(text));
    const fromObjects = canonicalSet(withOsEcosystem(UBUNTU, packages));
    expect(fromText.hash).toBe(fromObjects.hash);
    // The cache also keeps each line's bytes (for hashing); the rest of each item is the same.
    const withoutBytes = (items: readonly object[]) =>
      items.map((item) => Object.fromEntries(Object.entries(item).filter(([k]) => k !== 'lineBytes')));
    expect(withoutBytes(fromText.items)).toEqual(withoutBytes(fromObjects.items));
    expect(fromText.items.every((item) => item.lineBytes?.toString('utf8') === `\n${item.line}`)).toBe(true);
    const osItems = fromText.items.filter((item) => item.details.k === 'os');
    expect(osItems.length).toBeGreaterThan(80);
    expect(osItems.every((item) => item.tuple.ecosystem === 'Ubuntu:18.04:LTS')).toBe(true);
    // Again, now from the cache: the same set, and the same item objects (nothing parsed twice).
    const again = cache.setOf(splitCanonicalInventory(text));
    expect(again.hash).toBe(fromText.hash);
    expect(again.items.every((item, i) => item === fromText.items[i])).toBe(true);
  });

  it('keeps one line apart per OS release (OS packages take their ecosystem from it)', () => {
    const cache = new InventoryLineCache();
    const debian: OsRelease = { id: 'debian', versionId: '12', idLike: [] };
    const onUbuntu = cache.setOf(splitCanonicalInventory(canonicalInventoryText(UBUNTU, packages)));
    const onDebian = cache.setOf(splitCanonicalInventory(canonicalInventoryText(debian, packages)));
    expect(onDebian.hash).toBe(canonicalSet(withOsEcosystem(debian, packages)).hash);
    expect(onDebian.hash).not.toBe(onUbuntu.hash);
  });

  it('forgets its oldest lines beyond its bound, and still builds the right set', () => {
    const cache = new InventoryLineCache({ maxLines: 50 });
    const text = canonicalInventoryText(UBUNTU, packages);
    const first = cache.setOf(splitCanonicalInventory(text));
    expect(cache.size).toBe(50);
    expect(cache.setOf(splitCanonicalInventory(text)).hash).toBe(first.hash);
    expect(cache.size).toBe(50);
  });

  it('refuses a bad line with its number, and remembers nothing of it', () => {
    const cache = new InventoryLineCache();
    const lines = canonicalInventoryText(UBUNTU, packages.slice(0, 3)).split('\n');
    // An ecosystem that is not a string (and still in order: `true` sorts after `null`).
    lines[4] = lines[4]!.replace('"os",null,', '"os",true,');
    const split = splitCanonicalInventory(lines.join('\n'));
    const error = (() => {
      try {
        cache.setOf(split);
      } catch (thrown) {
        return thrown;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(PatchwardenError);
    expect((error as PatchwardenError).details).toMatchObject({ field: 'inventory', line: 5 });
    expect((error as PatchwardenError).message).toContain('inventory line 5: element 2');
    expect(cache.size).toBe(2); // Lines 3 and 4 were good and are kept; line 5 was not.
  });
});
