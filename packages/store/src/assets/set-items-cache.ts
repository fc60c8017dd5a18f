import type { SetItem } from './inventory-sets.ts';

/**
 * A stored set as the upload that wrote it built it: its items in set order and, at the same
 * positions, their tuple ids. Both arrays are the writer's own (never modified afterwards): no
 * object per package is made to keep it. Kept for the next few uploads, such objects outlived
 * several young-generation collections and were promoted, 1,500 per upload, a large share of
 * the server's collection pauses; readers now make them when they read, to be dropped at once.
 */
export interface CachedSet {
  items: readonly SetItem[];
  tupleIds: readonly number[];
}

const MAX_SETS = 32;

/**
 * The items of the package sets this process wrote last. A set is content-addressed and
 * never changed once written, so an entry cannot go stale; it is added only after the writing
 * transaction committed. It saves the findings recompute that follows an upload from reading back
 * the 1,500 rows just written.
 */
export class SetItemsCache {
  readonly #sets = new Map<number, CachedSet>();

  get(setId: number): CachedSet | undefined {
    const items = this.#sets.get(setId);
    if (items !== undefined) {
      this.#sets.delete(setId);
      this.#sets.set(setId, items);
    }
    return items;
  }

  publish(setId: number, set: CachedSet): void {
    if (set.items.length !== set.tupleIds.length) throw new Error('a cached set needs one tuple id per item');
    this.#sets.delete(setId);
    this.#sets.set(setId, set);
    while (this.#sets.size > MAX_SETS) this.#sets.delete(this.#sets.keys().next().value!);
  }
}

const caches = new WeakMap<object, SetItemsCache>();

export function setItemsCacheOf(database: object): SetItemsCache {
  let cache = caches.get(database);
  if (!cache) caches.set(database, (cache = new SetItemsCache()));
  return cache;
}
