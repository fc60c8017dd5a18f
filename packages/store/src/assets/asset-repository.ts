import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Transaction } from 'kysely';
import type {
  Asset,
  AssetFacts,
  AssetFilter,
  AssetRecord,
  AssetSource,
  InstalledPackage,
  MatchTarget,
  MergeAttribute,
  MergeRule,
} from '@patchwarden/core';
import {
  assetFactsFromRecord,
  assetFromFacts,
  compileAssetFilter,
  DEFAULT_STALE_AFTER_DAYS,
  findMergeCandidate,
  isIdentifyingHostname,
  isIdentifyingIp,
  isIdentifyingMac,
  MERGE_ATTRIBUTES,
  mergeAsset,
  normalizeAssetFacts,
  PatchwardenError,
  pwError,
  validateAssetRecords,
} from '@patchwarden/core';
import { AuditLog } from '../audit/audit-log.ts';
import type { AuditActor } from '../audit/audit-entry.ts';
import type { Database } from '../database/open-database.ts';
import type { Schema } from '../schema/schema.ts';
import { jsonbParam } from '../sql/jsonb-param.ts';
import { chunks } from '../util/batches.ts';
import { assetFilterWhere } from './asset-filter-sql.ts';
import type { AssetRow, SourceReport, StoredAsset } from './asset-rows.ts';
import { ASSET_SELECT, assetFromRow, writeAssets, writeSourceReports } from './asset-rows.ts';
import type { CanonicalSet, PackageDetails, SetItem } from './inventory-sets.ts';
import { canonicalSet, packageFromItem, packageOfItem, tupleKey } from './inventory-sets.ts';
import type { SetItemsCache } from './set-items-cache.ts';
import { setItemsCacheOf } from './set-items-cache.ts';
import type { InternedIdCache, ItemIds, ItemsInFlight } from './interned-id-cache.ts';
import { internedIdCachesOf, knownItemIds } from './interned-id-cache.ts';
import { PREPARED } from '../database/auto-prepare.ts';
import { isForeignKeyViolation } from '../database/pg-errors.ts';
import { sortedDistinct } from '../util/sorted-distinct.ts';
import type { FindingsBefore } from '../findings/finding-repository.ts';
import { countsOf, FINDING_COUNTS } from '../findings/finding-repository.ts';
import type { AssetState, AssetStateCache } from './asset-state-cache.ts';
import { assetStateCacheOf } from './asset-state-cache.ts';

type Tx = Transaction<Schema>;

/** What one source says about one asset (an agent check-in, a scanner host, an SBOM subject). */
export interface AssetReport {
  source: AssetSource;
  facts: AssetFacts;
  /** When the source observed it (RFC 3339); defaults to `now`. */
  reportedAt?: string;
}

export interface UpsertResult {
  asset: Asset;
  /** How the report was recognised as an existing asset (`none`: a new asset). */
  rule: MergeRule;
  created: boolean;
  /** Attributes the report set or replaced. */
  changed: MergeAttribute[];
}

export interface ImportedRow {
  line?: number;
  record?: string;
  assetId: string;
  rule: MergeRule;
  created: boolean;
}

export interface ImportResult {
  created: number;
  merged: number;
  rows: ImportedRow[];
}

export interface ListOptions {
  /** The instant `stale:` is judged at (RFC 3339); the store never reads a clock for it. */
  now: string;
  staleAfterDays?: number;
  /** Page size, 1 to 1000 (default 100). */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface AssetPage {
  items: Asset[];
  /** Absent on the last page. */
  nextCursor?: string;
}

/** What a person may edit. `null` clears an attribute; lists are replaced as given. */
export type AssetPatch = {
  [
    K in
      | 'name'
      | 'kind'
      | 'hostname'
      | 'fqdn'
      | 'os'
      | 'environment'
      | 'businessImpact'
      | 'exposure'
      | 'dataSensitivity'
      | 'ownerTeam'
      | 'location'
      | 'timeZone'
      | 'ips'
      | 'macs'
      | 'tags'
      | 'services'
      | 'assetClasses'
  ]?: Asset[K] | null;
};

export interface InventoryResult {
  setId: number;
  /** The set's content address. */
  setHash: string;
  /** The set already existed (another asset, or an earlier report, had the same packages). */
  reused: boolean;
  /** The asset now points at another set than before (its findings need recomputing). */
  changed: boolean;
  /** False when a newer inventory was already stored: an older report never replaces it. */
  applied: boolean;
  packages: number;
  /** Tuples seen for the first time anywhere in the fleet. */
  newTuples: number;
  /**
   * Read by the statement that linked the set, for the findings recompute that follows (spares
   * it a round trip): the intel generation and what an empty match would change.
   */
  findingsBefore?: FindingsBefore;
}

export interface StoredInventory {
  setId: number;
  setHash: string;
  /** The hash the reporter gave (the agent's inventoryHash), else the set's. */
  hash: string;
  receivedAt: string;
  packages: InstalledPackage[];
}

export interface SetItemRow {
  tupleId: number;
  tuple: MatchTarget;
  package: InstalledPackage;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MERGE_LOCK = sql`hashtextextended('patchwarden:asset-merge', 0)`;
const ITEM_BATCH = 5_000;
/** Sets deleted per transaction by pruneUnusedSets. */
const PRUNE_BATCH = 2_000;
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1_000;

/** A `bigint[]` bound as one JSON text parameter (see jsonb-param.ts), order kept. */
/**
 * A bigint[] bound as its array literal (`{1,2,3}`) in a text parameter, which both drivers pass
 * unchanged; PostgreSQL reads it with array_in, several times cheaper than unpacking JSON.
 */
function bigintArray(values: readonly number[] | Float64Array) {
  return sql<number[]>`cast(${`{${values.join(',')}}`} as text)::bigint[]`;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function encodeCursor(row: { name: string; id: string }): string {
  return Buffer.from(JSON.stringify([row.name, row.id])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(value) &&
      typeof value[0] === 'string' &&
      typeof value[1] === 'string' &&
      UUID.test(value[1])
    ) {
      return [value[0], value[1]];
    }
  } catch {
    // Reported below.
  }
  throw pwError('PW_ERR_BAD_REQUEST', 'Invalid page cursor', { field: 'cursor' });
}

/** Reported facts checked as an import row is, plus the facts only software on the host knows. */
function validatedFacts(facts: AssetFacts): AssetFacts {
  const { kernel, rebootRequired, ...rest } = facts;
  const values = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  const checked = assetFactsFromRecord({ file: 'report', values }, { requireIdentity: true });
  if (facts.os?.ecosystem !== undefined && checked.os) checked.os.ecosystem = facts.os.ecosystem;
  if (kernel !== undefined && kernel !== '') checked.kernel = kernel;
  if (rebootRequired !== undefined) checked.rebootRequired = rebootRequired;
  return checked;
}

/** In-memory view of the assets one merge transaction may touch, indexed by identifier. */
class MergePool {
  readonly #entries = new Map<string, StoredAsset & { dirty: boolean }>();
  readonly #index = new Map<string, Set<string>>();

  add(stored: StoredAsset, dirty: boolean): void {
    this.#entries.set(stored.asset.id, { ...stored, dirty });
    for (const key of MergePool.keys(stored.asset)) {
      let ids = this.#index.get(key);
      if (!ids) this.#index.set(key, (ids = new Set()));
      ids.add(stored.asset.id);
    }
  }

  get(id: string): StoredAsset | undefined {
    return this.#entries.get(id);
  }

  candidates(facts: AssetFacts): Asset[] {
    const ids = new Set<string>();
    for (const key of MergePool.keys(facts)) for (const id of this.#index.get(key) ?? []) ids.add(id);
    return [...ids].map((id) => this.#entries.get(id)!.asset);
  }

  dirty(): StoredAsset[] {
    return [...this.#entries.values()].filter((entry) => entry.dirty);
  }

  static keys(facts: AssetFacts): string[] {
    const keys: string[] = [];
    if (facts.fqdn) keys.push(`f:${facts.fqdn}`);
    if (facts.hostname && isIdentifyingHostname(facts.hostname)) keys.push(`h:${facts.hostname}`);
    for (const mac of facts.macs ?? []) if (isIdentifyingMac(mac)) keys.push(`m:${mac}`);
    for (const ip of facts.ips ?? []) if (isIdentifyingIp(ip)) keys.push(`i:${ip}`);
    return keys;
  }
}

/**
 * The asset inventory (CMDB): assets merged from every source by the core's rules, their
 * installed software as content-addressed package sets, and the lookups findings need.
 * Every write is one transaction. Methods take the time they act at (`now`, `receivedAt`).
 */
export class AssetRepository {
  readonly #database: Database;
  readonly #states: AssetStateCache;
  readonly #tupleIds: InternedIdCache;
  readonly #itemIds: InternedIdCache<ItemIds>;
  readonly #itemsInFlight: ItemsInFlight;
  readonly #setItems: SetItemsCache;

  constructor(database: Database) {
    this.#database = database;
    this.#states = assetStateCacheOf(database);
    const interned = internedIdCachesOf(database);
    this.#tupleIds = interned.tuples;
    this.#itemIds = interned.items;
    this.#itemsInFlight = interned.itemsInFlight;
    this.#setItems = setItemsCacheOf(database);
  }

  /** One transaction; the assets named in `touched` leave the state cache once it has ended. */
  async #write<T>(what: string, fn: (trx: Tx) => Promise<T>, touched?: Set<string>): Promise<T> {
    try {
      return await this.#database.transaction(fn);
    } catch (error) {
      if (error instanceof PatchwardenError) throw error;
      throw pwError('PW_ERR_DATABASE', `${what} failed: ${reasonOf(error)}`, {}, error);
    } finally {
      if (touched) this.#states.invalidate(touched);
    }
  }

  /**
   * Merges reports into the store, in order; all assets any of them may match are loaded once.
   * Merges are serialised across processes by a transaction-level advisory lock, so that two
   * reports of one new host never create it twice.
   */
  async #merge(
    trx: Tx,
    reports: readonly (AssetReport & { facts: AssetFacts; reportedAt: string })[],
    touched: Set<string>,
  ) {
    await sql`select pg_advisory_xact_lock(${MERGE_LOCK})`.execute(trx);
    const keys = {
      fqdn: new Set<string>(),
      hostname: new Set<string>(),
      mac: new Set<string>(),
      ip: new Set<string>(),
    };
    for (const { facts } of reports) {
      for (const key of MergePool.keys(facts)) {
        const value = key.slice(2);
        if (key.startsWith('f:')) keys.fqdn.add(value);
        else if (key.startsWith('h:')) keys.hostname.add(value);
        else if (key.startsWith('m:')) keys.mac.add(value);
        else keys.ip.add(value);
      }
    }
    const list = (values: Set<string>) => jsonbParam([...values]);
    const { rows } = await sql<AssetRow>`
      select ${ASSET_SELECT} from assets a
      where a.fqdn in (select jsonb_array_elements_text(${list(keys.fqdn)}))
         or a.hostname in (select jsonb_array_elements_text(${list(keys.hostname)}))
         or a.macs ?| array(select jsonb_array_elements_text(${list(keys.mac)}))
         or a.ips ?| array(select jsonb_array_elements_text(${list(keys.ip)}))`.execute(trx);
    const pool = new MergePool();
    for (const row of rows) pool.add(assetFromRow(row), false);

    const results: { assetId: string; rule: MergeRule; created: boolean; changed: MergeAttribute[] }[] = [];
    const sources: SourceReport[] = [];
    for (const report of reports) {
      const { asset: match, rule } = findMergeCandidate(report.facts, pool.candidates(report.facts));
      let stored: StoredAsset;
      let changed: MergeAttribute[];
      if (match) {
        const merged = mergeAsset(match, report.facts, report.source, {
          provenance: pool.get(match.id)!.provenance,
          reportedAt: report.reportedAt,
        });
        stored = { asset: merged.asset, provenance: merged.provenance };
        changed = merged.changed;
      } else {
        stored = assetFromFacts(randomUUID(), report.facts, report.source, report.reportedAt);
        changed = Object.keys(stored.provenance) as MergeAttribute[];
      }
      pool.add(stored, true);
      results.push({ assetId: stored.asset.id, rule, created: !match, changed });
      sources.push({ assetId: stored.asset.id, source: report.source, reportedAt: report.reportedAt, rule });
    }
    const dirty = pool.dirty();
    for (const stored of dirty) touched.add(stored.asset.id);
    await writeAssets(trx, dirty);
    await writeSourceReports(trx, sources);
    return results;
  }

  /** Merges one report (agent, scanner, SBOM) into the inventory: the asset and the rule used. */
  async upsertFromReport(report: AssetReport, now: string): Promise<UpsertResult> {
    const facts = normalizeAssetFacts(validatedFacts(report.facts));
    const reportedAt = report.reportedAt ?? now;
    const touched = new Set<string>();
    return this.#write(
      'Storing an asset report',
      async (trx) => {
        const [result] = await this.#merge(trx, [{ ...report, facts, reportedAt }], touched);
        const asset = (await this.#get(trx, result!.assetId))!.asset;
        return { asset, rule: result!.rule, created: result!.created, changed: result!.changed };
      },
      touched,
    );
  }

  /**
   * Imports an asset list (core `AssetRecord`s from a CSV or JSON file, or an API body) in one
   * transaction. Every record is validated first: if any is bad, nothing is written and the error
   * names the first bad line (`details.errors` lists every one).
   */
  async importAssets(
    records: readonly AssetRecord[],
    source: AssetSource,
    now: string,
  ): Promise<ImportResult> {
    const { rows, errors } = validateAssetRecords(records);
    if (errors.length > 0) {
      const first = errors[0]!;
      const more =
        errors.length > 1 ? ` (and ${errors.length - 1} more bad record${errors.length > 2 ? 's' : ''})` : '';
      throw pwError('PW_ERR_INVALID_RECORD', `${first.message}${more}; nothing was imported`, {
        ...first.details,
        errors: errors.map((error) => error.toJSON()),
      });
    }
    const touched = new Set<string>();
    const results = await this.#write(
      'Importing assets',
      (trx) =>
        this.#merge(
          trx,
          rows.map((row) => ({ source, facts: row.facts, reportedAt: now })),
          touched,
        ),
      touched,
    );
    const imported = results.map((result, index): ImportedRow => {
      const { record } = rows[index]!;
      const row: ImportedRow = { assetId: result.assetId, rule: result.rule, created: result.created };
      if (record.line !== undefined) row.line = record.line;
      if (record.record !== undefined) row.record = record.record;
      return row;
    });
    const created = imported.filter((row) => row.created).length;
    return { created, merged: imported.length - created, rows: imported };
  }

  async #get(db: Tx | Database['db'], id: string, forUpdate = false): Promise<StoredAsset | undefined> {
    if (!UUID.test(id)) return undefined;
    const { rows } = await sql<AssetRow>`
      select ${ASSET_SELECT} from assets a where a.id = ${id}::uuid ${forUpdate ? sql`for update` : sql``}`.execute(
      db,
    );
    return rows[0] ? assetFromRow(rows[0]) : undefined;
  }

  /** One asset, or undefined (also for an id that is not a UUID). */
  async get(id: string): Promise<Asset | undefined> {
    return (await this.#get(this.#database.db, id))?.asset;
  }

  /**
   * What a heartbeat compares against: the asset and the hash of its stored inventory. Served from
   * a per-process cache (asset-state-cache.ts): writes through this process's repositories apply at
   * once, another process's within ASSET_STATE_TTL_MS (5 s). Treat the answer as read-only.
   */
  async checkinState(id: string): Promise<AssetState | undefined> {
    const cached = this.#states.get(id);
    if (cached) return cached;
    if (!UUID.test(id)) return undefined;
    const token = this.#states.begin(id);
    try {
      const { rows } = await sql<AssetRow & { inventory_hash: string | null }>`
        select ${ASSET_SELECT},
          (select ai.hash from asset_inventories ai where ai.asset_id = a.id) as inventory_hash
        from assets a where a.id = ${id}::uuid`.execute(this.#database.db);
      const row = rows[0];
      if (!row) {
        this.#states.abandon(id, token);
        return undefined;
      }
      const state = { asset: assetFromRow(row).asset, inventoryHash: row.inventory_hash ?? undefined };
      this.#states.fill(id, token, state);
      return state;
    } catch (error) {
      this.#states.abandon(id, token);
      throw error;
    }
  }

  /** Which source set each attribute (for explaining a merge). */
  async provenanceOf(id: string): Promise<StoredAsset['provenance'] | undefined> {
    return (await this.#get(this.#database.db, id))?.provenance;
  }

  /**
   * A page of assets matching a filter, ordered by name then id (bytewise, the same on every
   * backend). The filter runs in SQL (every term translates exactly, see asset-filter-sql.ts); each
   * row is then checked again with the core's `matchesAsset`, which can only drop a row.
   */
  async list(filter: AssetFilter, options: ListOptions): Promise<AssetPage> {
    const limit = options.limit ?? DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw pwError('PW_ERR_BAD_REQUEST', `limit must be an integer from 1 to ${MAX_LIMIT}, not ${limit}`, {
        field: 'limit',
      });
    }
    const context = { now: options.now, staleAfterDays: options.staleAfterDays ?? DEFAULT_STALE_AFTER_DAYS };
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    const { rows } = await sql<AssetRow>`
      select ${ASSET_SELECT} from assets a
      where ${assetFilterWhere(filter, context)}
        ${after ? sql`and (a.name collate "C", a.id) > (${after[0]}, ${after[1]}::uuid)` : sql``}
      order by a.name collate "C", a.id
      limit ${sql.lit(limit + 1)}`.execute(this.#database.db);
    const matches = compileAssetFilter(filter, context);
    const page = rows.slice(0, limit);
    const items = page.map((row) => assetFromRow(row).asset).filter(matches);
    const last = page.at(-1);
    return rows.length > limit && last ? { items, nextCursor: encodeCursor(last) } : { items };
  }

  /** A person's edit: values set by hand win over every source until edited again. */
  async update(id: string, patch: AssetPatch): Promise<Asset | undefined> {
    const values: Record<string, unknown> = {};
    const cleared: string[] = [];
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      if (value === null) cleared.push(key);
      else values[key] = value;
    }
    for (const key of cleared) {
      if (key === 'name' || key === 'kind') {
        throw pwError('PW_ERR_INVALID_RECORD', `patch: ${key} cannot be cleared`, { field: key });
      }
    }
    const facts = assetFactsFromRecord({ file: 'patch', values }, { requireIdentity: false });
    return this.#write(
      'Updating an asset',
      async (trx) => {
        const stored = await this.#get(trx, id, true);
        if (!stored) return undefined;
        const asset = structuredClone(stored.asset) as unknown as Record<string, unknown>;
        const provenance = { ...stored.provenance };
        for (const key of cleared) {
          if (['ips', 'macs', 'tags', 'services', 'assetClasses'].includes(key)) asset[key] = [];
          else delete asset[key];
          delete provenance[key as MergeAttribute];
        }
        for (const [key, value] of Object.entries(facts)) {
          asset[key] = value;
          if ((MERGE_ATTRIBUTES as readonly string[]).includes(key))
            provenance[key as MergeAttribute] = 'manual';
        }
        await writeAssets(trx, [{ asset: asset as unknown as Asset, provenance }]);
        return (await this.#get(trx, id))!.asset;
      },
      new Set([id]),
    );
  }

  /** Deletes an asset with its sources, inventory link and findings; false when it did not exist. */
  async remove(id: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    try {
      const result = await this.#database.db.deleteFrom('assets').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    } finally {
      this.#states.invalidate([id]);
    }
  }

  /**
   * Stores an asset's installed software. The package set is content-addressed: when another
   * asset (or an earlier report) had the same packages, its set is reused and nothing but the link
   * is written; otherwise new tuples are interned in bulk and the set is written once. An
   * inventory older than the stored one is ignored (`applied: false`).
   */
  async replaceInventory(
    assetId: string,
    packages: readonly InstalledPackage[],
    receivedAt: string,
    options: { reportedHash?: string } = {},
  ): Promise<InventoryResult> {
    return this.replaceInventorySet(assetId, canonicalSet(packages), receivedAt, options);
  }

  /**
   * `replaceInventory` for a set already built (an agent's canonical text: InventoryLineCache).
   *
   * No transaction: interning writes rows that are never deleted and never change (each statement
   * may commit on its own), and one statement then finds the set by content or writes it, links
   * it and moves the asset's times (#linkSet). Uploads of one host are ordered by that statement's
   * upsert, which replaces the link only with a report at least as recent; a set's share lock keeps
   * pruneUnusedSets off it until the link is written. One to three round trips (interning only
   * what the process's id caches lack; one more when a concurrent upload wrote the same set), where
   * a transaction took seven: on a two-core host each one costs the server and PostgreSQL a wakeup.
   */
  async replaceInventorySet(
    assetId: string,
    set: CanonicalSet,
    receivedAt: string,
    options: { reportedHash?: string } = {},
  ): Promise<InventoryResult> {
    if (!UUID.test(assetId)) throw pwError('PW_ERR_NOT_FOUND', `No asset ${assetId}`, { record: assetId });
    const db = this.#database.db;
    let stored = false;
    try {
      const interned = await this.#internItems(db, set.items);
      const itemTupleIds = interned.ids.map((ids) => ids.tupleId);
      const ids = {
        itemIds: interned.ids.map((ids) => ids.itemId),
        tupleIds: sortedDistinct(itemTupleIds),
      };
      const reportedHash = options.reportedHash ?? set.hash;
      let link = await this.#linkSet(assetId, set, ids, receivedAt, reportedHash);
      // Another upload wrote the same set after this statement's snapshot was taken: it is
      // committed now (the insert waited for it), so a second statement sees it.
      if (link.set_id === null && link.asset_exists)
        link = await this.#linkSet(assetId, set, ids, receivedAt, reportedHash);
      if (!link.asset_exists) throw pwError('PW_ERR_NOT_FOUND', `No asset ${assetId}`, { record: assetId });
      if (link.set_id === null) throw new Error(`the package set ${set.hash} could not be stored or found`);
      const setId = Number(link.set_id);
      const applied = link.id !== null;
      if (link.inserted_id !== null) {
        // Written here: the set can spare its readers a round trip.
        this.#setItems.publish(setId, { items: set.items, tupleIds: itemTupleIds });
      }
      if (applied) {
        // The row the statement wrote is the asset's state now.
        this.#states.put(assetId, {
          asset: assetFromRow(link as AssetRow).asset,
          inventoryHash: reportedHash,
        });
        stored = true;
      }
      const previousSetId = link.previous_set_id === null ? undefined : Number(link.previous_set_id);
      return {
        setId,
        setHash: set.hash,
        reused: link.inserted_id === null,
        changed: applied && previousSetId !== setId,
        applied,
        packages: set.items.length,
        newTuples: interned.newTuples,
        ...(applied
          ? { findingsBefore: { generation: Number(link.generation ?? 0), counts: countsOf(link) } }
          : {}),
      };
    } catch (error) {
      if (error instanceof PatchwardenError) throw error;
      // The asset was deleted while its inventory was being linked.
      if (isForeignKeyViolation(error, 'asset_id'))
        throw pwError('PW_ERR_NOT_FOUND', `No asset ${assetId}`, { record: assetId });
      throw pwError('PW_ERR_DATABASE', `Storing an inventory failed: ${reasonOf(error)}`, {}, error);
    } finally {
      if (!stored) this.#states.invalidate([assetId]);
    }
  }

  /**
   * One statement: the set by content, share-locked (or inserted when new), linked to the asset
   * unless a more recent report is linked already, and the asset's inventory and seen times moved.
   * Answers the set id (null when a concurrent upload's insert of the same set is not visible to
   * this snapshot), whether the set was inserted here, the previous link, whether the asset
   * exists, and the updated asset row when the link was written (`id` null otherwise).
   */
  async #linkSet(
    assetId: string,
    set: CanonicalSet,
    ids: { itemIds: number[]; tupleIds: Float64Array },
    receivedAt: string,
    reportedHash: string,
  ) {
    const { rows } = await sql<
      Partial<AssetRow> & {
        id: string | null;
        set_id: number | string | null;
        inserted_id: number | null;
        previous_set_id: number | string | null;
        asset_exists: boolean;
        generation: number | string | null;
        kept: number | string | null;
        changing: number | string | null;
      }
    >`
      ${sql.raw(PREPARED)}
      with owner as (
        select id from assets where id = ${assetId}::uuid),
      existing as (
        select s.id from inventory_sets s where s.hash = ${set.hash} for share),
      inserted as (
        insert into inventory_sets (hash, packages, item_ids, tuple_ids)
        select ${set.hash}, ${set.items.length}, ${bigintArray(ids.itemIds)}, ${bigintArray(ids.tupleIds)}
        where not exists (select 1 from existing) and exists (select 1 from owner)
        on conflict (hash) do nothing
        returning id),
      target as (
        select coalesce((select id from existing), (select id from inserted)) as id),
      link as (
        insert into asset_inventories (asset_id, set_id, received_at, hash)
        select o.id, t.id, ${receivedAt}::timestamptz, ${reportedHash}
        from owner o cross join target t where t.id is not null
        on conflict (asset_id) do update
          set set_id = excluded.set_id, received_at = excluded.received_at, hash = excluded.hash
          where asset_inventories.received_at <= excluded.received_at
        returning asset_id),
      touched as (
        update assets a set
          inventory_at = greatest(a.inventory_at, ${receivedAt}::timestamptz),
          last_seen = greatest(a.last_seen, ${receivedAt}::timestamptz),
          first_seen = least(a.first_seen, ${receivedAt}::timestamptz),
          updated_at = now()
        where a.id = (select asset_id from link)
        returning ${ASSET_SELECT})
      select touched.*, (select id from target) as set_id, (select id from inserted) as inserted_id,
        (select ai.set_id from asset_inventories ai where ai.asset_id = ${assetId}::uuid) as previous_set_id,
        exists (select 1 from owner) as asset_exists,
        (select n from intel_generation) as generation, counts.kept, counts.changing
      from (select 1) as one left join touched on true
      cross join (select ${FINDING_COUNTS} from findings where asset_id = ${assetId}::uuid) as counts`.execute(
      this.#database.db,
    );
    return rows[0]!;
  }

  /**
   * package_items ids (with their tuple ids) for every item, inserting the tuples and items not
   * stored before (only those: no id is burnt). Items in the process's cache cost no lookup at all.
   * Items that another upload of this process is storing right now are not sent again: this one
   * waits for that upload's statements instead (hosts upgraded together upload the same new
   * packages at once, and a fleet's first uploads after a start all carry the same ones; each sent
   * them all, and each waited in PostgreSQL for the first one's uncommitted rows before reading
   * them again). It stores its own first and waits after, so two uploads never wait for each other.
   * `db` must not be a transaction: every statement here commits on its own (see #storeItems).
   */
  async #internItems(
    db: Database['db'],
    items: readonly SetItem[],
  ): Promise<{ ids: ItemIds[]; newTuples: number }> {
    // An item's canonical line says its tuple and its details: it is the item's identity.
    const ids: (ItemIds | undefined)[] = new Array<ItemIds | undefined>(items.length);
    const missing: SetItem[] = [];
    const elsewhere = new Map<Promise<ReadonlyMap<string, ItemIds>>, SetItem[]>();
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const known = knownItemIds(this.#itemIds, item);
      ids[i] = known;
      if (known !== undefined) continue;
      const flight = this.#itemsInFlight.get(item.line);
      if (flight === undefined) missing.push(item);
      else {
        const waiting = elsewhere.get(flight);
        if (waiting === undefined) elsewhere.set(flight, [item]);
        else waiting.push(item);
      }
    }
    const seenItems = new Map<string, ItemIds>();
    let newTuples = missing.length > 0 ? await this.#storeItems(db, missing, seenItems) : 0;
    const unstored: SetItem[] = [];
    for (const [flight, waiting] of elsewhere) {
      const stored = await flight;
      for (const item of waiting) {
        const got = stored.get(item.line);
        if (got === undefined) unstored.push(item);
        else seenItems.set(item.line, got);
      }
    }
    // What another upload failed to store (its statement failed): stored here after all.
    if (unstored.length > 0) newTuples += await this.#storeItems(db, unstored, seenItems);
    for (let i = 0; i < items.length; i++)
      ids[i] ??= seenItems.get(items[i]!.line) ?? this.#itemIds.get(items[i]!.line);
    return { ids: ids as ItemIds[], newTuples };
  }

  /**
   * Inserts or reads the ids of `missing` (items not in the cache), into `seenItems`; answers how
   * many tuples were new. Meanwhile the items are in flight (`#itemsInFlight`); each statement
   * commits on its own (no transaction here), so what it returned is published to the process's
   * caches at the end, failed or not, and handed to the uploads that waited for these items.
   */
  async #storeItems(
    db: Database['db'],
    missing: readonly SetItem[],
    seenItems: Map<string, ItemIds>,
  ): Promise<number> {
    let settle!: (stored: ReadonlyMap<string, ItemIds>) => void;
    const flight = new Promise<ReadonlyMap<string, ItemIds>>((resolve) => (settle = resolve));
    for (const item of missing) this.#itemsInFlight.set(item.line, flight);
    const seenTuples = new Map<string, number>();
    try {
      const tuples = await this.#internTuples(db, missing, seenTuples);
      for (const batch of chunks(
        missing.map((item, i) => ({ line: item.line, row: [tuples.ids[i]!, item.details] as const })),
        ITEM_BATCH,
      )) {
        const param = jsonbParam(batch.map(({ row }) => row));
        // Inserts the new items and reads every id in one round trip, probing the unique index
        // once per item. The statement's snapshot cannot see an item that a concurrent upload
        // committed meanwhile (its insert is skipped as a conflict): those few are read again by a
        // second statement, which can. Stored ids are read by a correlated subquery, an index probe
        // per row, whatever the table's size: a join let the planner, misled by the function
        // scan's estimate, hash the whole table on every upload. That plan shape is also why the
        // statement can be prepared: its generic plan does not depend on table sizes (planning it
        // on every upload was a quarter of its time in PostgreSQL).
        const { rows } = await sql<{ ord: number; id: number | null }>`
          ${sql.raw(PREPARED)}
          with input as (
            select r.ord, (r.value->>0)::bigint as tuple_id, r.value->1 as details,
              (select p.id from package_items p
               where p.tuple_id = (r.value->>0)::bigint and p.details = r.value->1) as stored_id
            from jsonb_array_elements(${param}) with ordinality as r(value, ord)),
          inserted as (
            insert into package_items (tuple_id, details)
            select i.tuple_id, i.details from input i where i.stored_id is null
            on conflict do nothing
            returning id, tuple_id, details)
          select i.ord, coalesce(i.stored_id, n.id) as id
          from input i
          left join inserted n on i.stored_id is null and n.tuple_id = i.tuple_id and n.details = i.details`.execute(
          db,
        );
        const unseen: number[] = [];
        for (const row of rows) {
          if (row.id === null) unseen.push(row.ord);
          else
            seenItems.set(batch[row.ord - 1]!.line, { itemId: row.id, tupleId: batch[row.ord - 1]!.row[0] });
        }
        if (unseen.length > 0) {
          const { rows: late } = await sql<{ ord: number; id: number | null }>`
            select r.ord, (select p.id from package_items p
                           where p.tuple_id = (r.value->>0)::bigint and p.details = r.value->1) as id
            from jsonb_array_elements(${param}) with ordinality as r(value, ord)
            where r.ord in (select (jsonb_array_elements_text(${jsonbParam(unseen)}))::bigint)`.execute(db);
          for (const row of late) {
            if (row.id !== null)
              seenItems.set(batch[row.ord - 1]!.line, {
                itemId: row.id,
                tupleId: batch[row.ord - 1]!.row[0],
              });
          }
        }
      }
      return tuples.created;
    } finally {
      for (const item of missing)
        if (this.#itemsInFlight.get(item.line) === flight) this.#itemsInFlight.delete(item.line);
      this.#tupleIds.publish(seenTuples);
      this.#itemIds.publish(seenItems);
      settle(seenItems);
    }
  }

  /** Tuple ids for these items, inserting the tuples not seen before; cached ones are not looked up. */
  async #internTuples(
    trx: Tx | Database['db'],
    items: readonly { tuple: MatchTarget; keyName: string }[],
    seen: Map<string, number>,
  ): Promise<{ ids: number[]; created: number }> {
    const keys = items.map(({ tuple }) => tupleKey(tuple));
    const missing = new Map<string, [string, string, string, string]>();
    items.forEach(({ tuple, keyName }, i) => {
      const key = keys[i]!;
      if (this.#tupleIds.get(key) === undefined) {
        missing.set(key, [tuple.ecosystem, tuple.name, tuple.version, keyName]);
      }
    });
    let created = 0;
    for (const batch of chunks([...missing.values()], ITEM_BATCH)) {
      const param = jsonbParam(batch);
      // Inserts and reads in one round trip; see #internItems for the second read.
      const { rows } = await sql<{
        id: number;
        ecosystem: string;
        name: string;
        version: string;
        created: boolean;
      }>`
        with input as (
          select r->>0 as ecosystem, r->>1 as name, r->>2 as version, r->>3 as key_name
          from jsonb_array_elements(${param}) as r),
        inserted as (
          insert into package_tuples (ecosystem, name, version, key_name)
          select i.ecosystem, i.name, i.version, i.key_name from input i
          where not exists (select 1 from package_tuples t
                            where t.ecosystem = i.ecosystem and t.name = i.name and t.version = i.version)
          on conflict do nothing
          returning id, ecosystem, name, version)
        select id, ecosystem, name, version, true as created from inserted
        union all
        select s.id, s.ecosystem, s.name, s.version, false as created
        from (select (select t.id from package_tuples t
                      where t.ecosystem = i.ecosystem and t.name = i.name and t.version = i.version) as id,
                i.ecosystem, i.name, i.version
              from input i) s
        where s.id is not null`.execute(trx);
      for (const row of rows) {
        seen.set(tupleKey(row), row.id);
        if (row.created) created++;
      }
      const late = batch.filter(
        ([ecosystem, name, version]) => !seen.has(tupleKey({ ecosystem, name, version })),
      );
      if (late.length > 0) {
        const { rows: again } = await sql<{
          id: number | null;
          ecosystem: string;
          name: string;
          version: string;
        }>`
          select (select t.id from package_tuples t
                  where t.ecosystem = r->>0 and t.name = r->>1 and t.version = r->>2) as id,
            r->>0 as ecosystem, r->>1 as name, r->>2 as version
          from jsonb_array_elements(${jsonbParam(late)}) as r`.execute(trx);
        for (const row of again) if (row.id !== null) seen.set(tupleKey(row), row.id);
      }
    }
    return { ids: keys.map((key) => seen.get(key) ?? this.#tupleIds.get(key)!), created };
  }

  /** The asset's current inventory, or undefined when none was ever received. */
  async inventoryOf(assetId: string): Promise<StoredInventory | undefined> {
    if (!UUID.test(assetId)) return undefined;
    const link = await this.#database.db
      .selectFrom('asset_inventories as ai')
      .innerJoin('inventory_sets as s', 's.id', 'ai.set_id')
      .select(['ai.set_id', 'ai.received_at', 'ai.hash', 's.hash as set_hash'])
      .where('ai.asset_id', '=', assetId)
      .executeTakeFirst();
    if (!link) return undefined;
    const items = await this.setItems(link.set_id);
    return {
      setId: link.set_id,
      setHash: link.set_hash,
      hash: link.hash,
      receivedAt: link.received_at.toISOString(),
      packages: items.map((item) => item.package),
    };
  }

  /** The asset's installed packages (empty when no inventory was received: see `inventoryOf`). */
  async packagesOf(assetId: string): Promise<InstalledPackage[]> {
    return (await this.inventoryOf(assetId))?.packages ?? [];
  }

  /** The items of one package set, in canonical order, with their tuple ids. */
  async setItems(setId: number): Promise<SetItemRow[]> {
    const cached = this.#setItems.get(setId);
    if (cached) {
      return cached.items.map((item, position) => ({
        tupleId: cached.tupleIds[position]!,
        tuple: item.tuple,
        package: packageOfItem(item),
      }));
    }
    const { rows } = await sql<{
      tuple_id: number;
      ecosystem: string;
      name: string;
      version: string;
      details: PackageDetails;
    }>`
      select p.tuple_id, t.ecosystem, t.name, t.version, p.details
      from inventory_sets s
      cross join unnest(s.item_ids) with ordinality as u(item_id, ord)
      join package_items p on p.id = u.item_id
      join package_tuples t on t.id = p.tuple_id
      where s.id = ${setId}
      order by u.ord`.execute(this.#database.db);
    return rows.map((row) => {
      const tuple = { ecosystem: row.ecosystem, name: row.name, version: row.version };
      return { tupleId: row.tuple_id, tuple, package: packageFromItem(tuple, row.details) };
    });
  }

  /**
   * Deletes package sets that no asset points at any more (every changed inventory leaves its
   * predecessor behind, 24 KB of ids for a 1,500-package host), once older than `graceHours`.
   * A set an upload is about to reuse is share-locked by it (replaceInventorySet) and skipped here;
   * one deleted first is simply written again by that upload. Tuples and items stay: they are
   * small, shared, and the id caches rely on them never going away. Audited when it deletes.
   */
  async pruneUnusedSets(graceHours: number, actor: AuditActor): Promise<number> {
    if (!Number.isInteger(graceHours) || graceHours < 0) {
      throw pwError('PW_ERR_VALIDATION', 'graceHours must be a whole number of hours, 0 or more', {
        field: 'graceHours',
      });
    }
    let deleted = 0;
    for (;;) {
      const batch = await this.#write('Pruning unused package sets', async (trx) => {
        const { rows } = await sql<{ id: number }>`
          delete from inventory_sets where id in (
            select s.id from inventory_sets s
            where s.created_at < now() - make_interval(hours => ${graceHours})
              and not exists (select 1 from asset_inventories ai where ai.set_id = s.id)
            order by s.id
            limit ${PRUNE_BATCH}
            for update skip locked)
          returning id`.execute(trx);
        if (rows.length > 0) {
          await new AuditLog(this.#database).append(
            {
              actor,
              action: 'inventory.sets.prune',
              target: { type: 'inventory_sets', id: 'unused' },
              details: { deleted: rows.length, graceHours },
            },
            trx,
          );
        }
        return rows.length;
      });
      deleted += batch;
      if (batch < PRUNE_BATCH) return deleted;
    }
  }

  /** Distinct tuple ids (integers, sorted) per asset: the input of fleet-scale matching. */
  async tuplesForAssets(assetIds: readonly string[]): Promise<Map<string, number[]>> {
    const result = new Map<string, number[]>();
    const valid = assetIds.filter((id) => UUID.test(id));
    for (const batch of chunks(valid, ITEM_BATCH)) {
      const { rows } = await sql<{ asset_id: string; tuples: number[] }>`
        select ai.asset_id, to_jsonb(s.tuple_ids) as tuples
        from asset_inventories ai join inventory_sets s on s.id = ai.set_id
        where ai.asset_id in (select (jsonb_array_elements_text(${jsonbParam(batch)}))::uuid)`.execute(
        this.#database.db,
      );
      for (const row of rows)
        result.set(
          row.asset_id,
          [...row.tuples].sort((a, b) => a - b),
        );
    }
    return result;
  }

  /**
   * Package sets holding any tuple under these (ecosystem, normalised name) keys, with the assets
   * that currently point at them: who is exposed when advisories for those packages change.
   */
  async setsWithPackages(
    keys: readonly [ecosystem: string, keyName: string][],
  ): Promise<Map<number, string[]>> {
    const sets = new Map<number, string[]>();
    for (const batch of chunks(keys, ITEM_BATCH)) {
      const { rows } = await sql<{ set_id: number; asset_id: string }>`
        select ai.set_id, ai.asset_id from asset_inventories ai
        where ai.set_id in (
          select s.id from inventory_sets s
          where s.tuple_ids && array(
            select t.id from jsonb_array_elements(${jsonbParam(batch)}) as k
            join package_tuples t on t.ecosystem = k->>0 and t.key_name = k->>1))`.execute(this.#database.db);
      for (const row of rows) {
        let assets = sets.get(row.set_id);
        if (!assets) sets.set(row.set_id, (assets = []));
        if (!assets.includes(row.asset_id)) assets.push(row.asset_id);
      }
    }
    return sets;
  }

  /** Current package set of each asset that has one. */
  async setsOfAssets(assetIds: readonly string[]): Promise<Map<number, string[]>> {
    const sets = new Map<number, string[]>();
    const valid = assetIds.filter((id) => UUID.test(id));
    for (const batch of chunks(valid, ITEM_BATCH)) {
      const { rows } = await sql<{ set_id: number; asset_id: string }>`
        select set_id, asset_id from asset_inventories
        where asset_id in (select (jsonb_array_elements_text(${jsonbParam(batch)}))::uuid)`.execute(
        this.#database.db,
      );
      for (const row of rows) {
        let assets = sets.get(row.set_id);
        if (!assets) sets.set(row.set_id, (assets = []));
        assets.push(row.asset_id);
      }
    }
    return sets;
  }

  /** Sources of an asset with the rule each was last merged by. */
  async sourcesOf(
    assetId: string,
  ): Promise<{ source: AssetSource; firstReportedAt: string; reportedAt: string; rule: MergeRule }[]> {
    if (!UUID.test(assetId)) return [];
    const rows = await this.#database.db
      .selectFrom('asset_sources')
      .selectAll()
      .where('asset_id', '=', assetId)
      .orderBy('first_reported_at')
      .orderBy('source')
      .execute();
    return rows.map((row) => ({
      source: row.source as AssetSource,
      firstReportedAt: row.first_reported_at.toISOString(),
      reportedAt: row.reported_at.toISOString(),
      rule: row.merge_rule as MergeRule,
    }));
  }
}
