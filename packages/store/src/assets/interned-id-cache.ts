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

export interface InternedIdCaches {
  /** Tuple key (inventory-sets.ts `tupleKey`) to package_tuples.id. */
  tuples: InternedIdCache;
  /** An item's canonical line to its package_items.id and tuple id. */
  items: InternedIdCache<ItemIds>;
}

const caches = new WeakMap<object, InternedIdCaches>();

/** The process's interned ids for one database (one per Database object, shared by its repositories). */
export function internedIdCachesOf(database: object): InternedIdCaches {
  let both = caches.get(database);
  if (!both) caches.set(database, (both = { tuples: new InternedIdCache(), items: new InternedIdCache() }));
  return both;
}
