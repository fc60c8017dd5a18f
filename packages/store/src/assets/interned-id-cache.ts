/**
 * Ids of interned rows known to exist, per process: package tuples and package items (a tuple with
 * its details) are shared across hosts and uploads, and such a row is never deleted, so after the
 * first few inventories nearly every row of an upload is known and only the new ones go to the
 * database.
 *
 * Ids enter the cache only after the transaction that read or inserted them committed
 * (`publish`): an id inserted by a transaction that rolled back never existed and is never
 * handed out.
 */

const MAX_ENTRIES = 500_000;

export class InternedIdCache<V = number> {
  readonly #ids = new Map<string, V>();
  readonly #max: number;

  constructor(options: { maxEntries?: number } = {}) {
    this.#max = options.maxEntries ?? MAX_ENTRIES;
  }

  get(key: string): V | undefined {
    return this.#ids.get(key);
  }

  /** Adds ids read or written by a transaction that has committed. */
  publish(ids: ReadonlyMap<string, V>): void {
    for (const [key, id] of ids) {
      if (this.#ids.size >= this.#max) {
        // Oldest first: a dropped id only costs one more lookup.
        const oldest = this.#ids.keys().next().value;
        if (oldest !== undefined) this.#ids.delete(oldest);
      }
      this.#ids.set(key, id);
    }
  }

  get size(): number {
    return this.#ids.size;
  }
}

/** A package item's id with its tuple's: a known item needs no tuple lookup. */
export interface ItemIds {
  itemId: number;
  tupleId: number;
}

/** An item's ids as remembered on the item, with the cache (one per database) they came from. */
export interface RememberedItemIds {
  cache: InternedIdCache<ItemIds>;
  ids: ItemIds;
}

/**
 * An item's ids in `cache`, remembered on the item after the first lookup: items are shared by
 * the uploads of a fleet (inventory-line-cache.ts), so each is looked up by its line once, where
 * a string-keyed map probe per package per upload was a large share of an upload's cost.
 */
export function knownItemIds(
  cache: InternedIdCache<ItemIds>,
  item: { line: string; storedIds?: RememberedItemIds },
): ItemIds | undefined {
  const remembered = item.storedIds;
  if (remembered !== undefined && remembered.cache === cache) return remembered.ids;
  const ids = cache.get(item.line);
  if (ids !== undefined) item.storedIds = { cache, ids };
  return ids;
}

/**
 * Items an upload is storing now, by line, each to that upload's outcome: the ids it read or
 * inserted, once its statements have committed (an item missing from them was not stored).
 */
export type ItemsInFlight = Map<string, Promise<ReadonlyMap<string, ItemIds>>>;

export interface InternedIdCaches {
  /** Tuple key (inventory-sets.ts `tupleKey`) to package_tuples.id. */
  tuples: InternedIdCache;
  /** An item's canonical line to its package_items.id and tuple id. */
  items: InternedIdCache<ItemIds>;
  /** Items being stored by an upload of this process (asset-repository.ts `#internItems`). */
  itemsInFlight: ItemsInFlight;
}

const caches = new WeakMap<object, InternedIdCaches>();

/** The process's interned ids for one database (one per Database object, shared by its repositories). */
export function internedIdCachesOf(database: object): InternedIdCaches {
  let interned = caches.get(database);
  if (!interned) {
    interned = { tuples: new InternedIdCache(), items: new InternedIdCache(), itemsInFlight: new Map() };
    caches.set(database, interned);
  }
  return interned;
}
