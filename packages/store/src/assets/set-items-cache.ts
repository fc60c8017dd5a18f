import type { MatchTarget, InstalledPackage } from '@patchwarden/core';

/** One item of a stored package set (as AssetRepository.setItems returns it). */
export interface CachedSetItem {
  tupleId: number;
  tuple: MatchTarget;
  package: InstalledPackage;
}

const MAX_SETS = 32;

/**
 * The items of the package sets this process wrote last. A set is content-addressed and
 * never changed once written, so an entry cannot go stale; it is added only after the writing
 * transaction committed. It saves the findings recompute that follows an upload from reading back
 * the 1,500 rows just written.
 */
export class SetItemsCache {
  readonly #sets = new Map<number, readonly CachedSetItem[]>();

  get(setId: number): readonly CachedSetItem[] | undefined {
    const items = this.#sets.get(setId);
    if (items !== undefined) {
      this.#sets.delete(setId);
      this.#sets.set(setId, items);
    }
    return items;
  }

  publish(setId: number, items: readonly CachedSetItem[]): void {
    this.#sets.delete(setId);
    this.#sets.set(setId, items);
    while (this.#sets.size > MAX_SETS) this.#sets.delete(this.#sets.keys().next().value!);
  }
}

const caches = new WeakMap<object, SetItemsCache>();

export function setItemsCacheOf(database: object): SetItemsCache {
  let cache = caches.get(database);
  if (!cache) caches.set(database, (cache = new SetItemsCache()));
  return cache;
}
