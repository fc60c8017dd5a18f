import type { Asset } from '@patchwarden/core';

/**
 * What a heartbeat needs to know about its asset (the facts it compares, the stored inventory
 * hash), kept per process so that the common heartbeat costs no database read.
 *
 * Every write through an AssetRepository of this process drops the entries of the assets it
 * touched once the write has ended (committed or not), and a read that was in flight meanwhile
 * cannot put its older answer back (`begin`/`fill` tokens). A write by another process on the
 * same database is seen within `ttlMs` (default 5 s): until then a heartbeat may skip merging
 * facts that changed there, or ask for an inventory it already sent, never anything worse.
 */

export const ASSET_STATE_TTL_MS = 5_000;
const MAX_ENTRIES = 100_000;

export interface AssetState {
  asset: Asset;
  /** The hash of the stored inventory as reported (asset_inventories.hash), if any. */
  inventoryHash: string | undefined;
}

interface Entry {
  state: AssetState;
  expiresAt: number;
}

export class AssetStateCache {
  readonly #entries = new Map<string, Entry>();
  readonly #fills = new Map<string, object>();
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(options: { ttlMs?: number; now?: () => number } = {}) {
    this.#ttlMs = options.ttlMs ?? ASSET_STATE_TTL_MS;
    this.#now = options.now ?? (() => performance.now());
  }

  get(assetId: string): AssetState | undefined {
    const entry = this.#entries.get(assetId);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(assetId);
      return undefined;
    }
    return entry.state;
  }

  /** Call before reading the database; pass the token to `fill`. */
  begin(assetId: string): object {
    const token = {};
    this.#fills.set(assetId, token);
    return token;
  }

  /** Keeps what was read, unless the asset was written (or another read began) since `begin`. */
  fill(assetId: string, token: object, state: AssetState): void {
    if (this.#fills.get(assetId) !== token) return;
    this.#fills.delete(assetId);
    if (this.#entries.size >= MAX_ENTRIES) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(assetId, { state, expiresAt: this.#now() + this.#ttlMs });
  }

  /**
   * The state a write of this process has just committed: it replaces the entry, and a read in
   * flight cannot put its older answer back. Writes of one asset commit in order (its row lock),
   * and their answers are handled in that order, so the last one here is the stored one.
   */
  put(assetId: string, state: AssetState): void {
    this.#fills.delete(assetId);
    this.#entries.delete(assetId);
    if (this.#entries.size >= MAX_ENTRIES) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(assetId, { state, expiresAt: this.#now() + this.#ttlMs });
  }

  /** A read that found nothing (or failed) leaves no token behind. */
  abandon(assetId: string, token: object): void {
    if (this.#fills.get(assetId) === token) this.#fills.delete(assetId);
  }

  invalidate(assetIds: Iterable<string>): void {
    for (const id of assetIds) {
      this.#entries.delete(id);
      this.#fills.delete(id);
    }
  }
}

const caches = new WeakMap<object, AssetStateCache>();

/** The process's cache for one database (one per Database object, shared by its repositories). */
export function assetStateCacheOf(database: object): AssetStateCache {
  let cache = caches.get(database);
  if (!cache) caches.set(database, (cache = new AssetStateCache()));
  return cache;
}
