import { sql } from 'kysely';
import type { Advisory, CveRecord, Finding, IntelLookup, MatchReport } from '@patchwarden/core';
import {
  AdvisoryIndex,
  allIds,
  cveIdsOf,
  matchEcosystem,
  matchPackages,
  normalizePackageName,
} from '@patchwarden/core';
import type { SetItemRow } from '../assets/asset-repository.ts';
import { AssetRepository } from '../assets/asset-repository.ts';
import type { Database } from '../database/open-database.ts';
import { PREPARED } from '../database/auto-prepare.ts';
import { IntelRepository } from '../intel/intel-repository.ts';
import { jsonbParam } from '../sql/jsonb-param.ts';
import { chunks } from '../util/batches.ts';
import type { ApplyResult, FindingCounts, FindingsBefore } from './finding-repository.ts';
import { countsOf, FINDING_COUNTS, FindingRepository } from './finding-repository.ts';

export interface RecomputeResult extends ApplyResult {
  assetId: string;
  /** The package set matched; absent when the asset has no inventory (nothing is changed then). */
  setId?: number;
  /** Findings the match produced (before one-per-package deduplication). */
  findings: number;
  /** Advisories loaded for the set's packages. */
  advisories: number;
}

export interface FleetRecomputeResult {
  /** Package sets matched (each once, whatever the number of assets sharing it). */
  sets: number;
  assets: number;
  results: RecomputeResult[];
}

interface SetMatch {
  report: MatchReport;
  advisories: number;
  tupleIdOf: (finding: Finding) => number | undefined;
}

const ID_CHUNK = 5_000;
/** Package keys whose advisories a FindingsService keeps indexed before it starts over. */
const MAX_INDEXED_KEYS = 200_000;
/**
 * Tuples whose findings a FindingsService keeps before it starts over: most hold none, and the
 * vulnerable ones a few findings of a kilobyte or two each, so about 100-200 MB at worst.
 */
const MAX_MEMO_TUPLES = 100_000;
/** Tuple ids known to need no advisory lookup: small integers, about 20 MB at this bound. */
const MAX_QUIET_TUPLES = 1_000_000;

/**
 * What a FindingsService keeps of stored intel, all of it read under one intel generation
 * (migration 0008): KEV, EPSS and CWE; CVE records fetched so far; the advisories of every package
 * key matched so far, indexed (ranges compiled) once for all sets, since hosts of a fleet share
 * most packages and building the index per inventory cost more than matching; and each tuple's
 * findings (matchPackages' memo). Replaced whole when the generation moves, never emptied in
 * place: a match still running on the old one finishes on it and cannot put older data into the
 * new one.
 */
interface IntelCache {
  generation: number;
  base: Promise<IntelLookup> | undefined;
  cves: Map<string, CveRecord | null>;
  index: AdvisoryIndex;
  indexedKeys: Set<string>;
  /** package_tuples ids that no advisory of this generation names (their keys are indexed). */
  quietTuples: Set<number>;
  tupleFindings: Map<string, readonly Omit<Finding, 'package'>[]>;
}

/**
 * Keeps stored findings in step with inventories and advisories.
 *
 * A package set is matched once and the result applied to every asset pointing at it, so a feed
 * delta that touches a package on a thousand hosts built from one image costs one match. Only the
 * advisories naming packages of the sets matched are loaded (`advisoriesForPackages`), once per
 * intel generation, never the whole store (see IntelCache).
 */
export class FindingsService {
  readonly #database: Database;
  readonly #assets: AssetRepository;
  readonly #findings: FindingRepository;
  readonly #intel: IntelRepository;
  #cache: IntelCache | undefined;

  constructor(database: Database) {
    this.#database = database;
    this.#assets = new AssetRepository(database);
    this.#findings = new FindingRepository(database);
    this.#intel = new IntelRepository(database);
  }

  /**
   * Drops what is kept of stored intel. Not needed for correctness (a change of stored intel, by
   * any process, moves the generation that every match checks), but frees the memory.
   */
  refreshIntel(): void {
    this.#cache = undefined;
  }

  /** The cache for the current intel generation: a new one when intel changed or it grew too big. */
  async #currentCache(known?: number): Promise<IntelCache> {
    const generation = known ?? (await this.#intel.generation());
    const cache = this.#cache;
    if (
      cache !== undefined &&
      cache.generation === generation &&
      cache.indexedKeys.size <= MAX_INDEXED_KEYS &&
      cache.quietTuples.size <= MAX_QUIET_TUPLES &&
      cache.tupleFindings.size <= MAX_MEMO_TUPLES
    ) {
      return cache;
    }
    this.#cache = {
      generation,
      base: undefined,
      cves: new Map(),
      index: new AdvisoryIndex(),
      indexedKeys: new Set(),
      quietTuples: new Set(),
      tupleFindings: new Map(),
    };
    return this.#cache;
  }

  async #lookup(cache: IntelCache, advisories: readonly Advisory[]): Promise<IntelLookup> {
    cache.base ??= this.#intel.loadIntelLookup({ cveIds: [] });
    const base = await cache.base;
    const { cves } = cache;
    const wanted = [...new Set(advisories.flatMap(cveIdsOf))].filter((id) => !cves.has(id));
    for (const batch of chunks(wanted, ID_CHUNK)) {
      for (const id of batch) cves.set(id, null);
      const { rows } = await sql<{ source: string; id: string; body: CveRecord }>`
        select source, id, body from cve_records
        where id in (select jsonb_array_elements_text(${jsonbParam(batch)}))`.execute(this.#database.db);
      // NVD's record wins over the CVE List's, as in loadIntelLookup.
      for (const row of rows)
        if (row.source === 'nvd' || cves.get(row.id) === null) cves.set(row.id, row.body);
    }
    return {
      cve: (id) => cves.get(id) ?? base.cve(id),
      kev: (id) => base.kev(id),
      epss: (id) => base.epss(id),
      cwe: (id) => base.cwe(id),
    };
  }

  async #matchSet(setId: number, generation?: number): Promise<SetMatch> {
    const cache = await this.#currentCache(generation);
    const items: SetItemRow[] = await this.#assets.setItems(setId);
    // Tuples known to be named by no advisory are skipped by id: a set shares nearly all of its
    // tuples with sets matched before, and a key string built and hashed per package per upload
    // was most of this method's cost.
    const keys = new Map<string, { ecosystem: string; name: string }>();
    const unsure: { tupleId: number; key: string }[] = [];
    for (const { tuple, tupleId } of items) {
      if (tuple.ecosystem === '' || cache.quietTuples.has(tupleId)) continue;
      const key = `${tuple.ecosystem}\u0000${tuple.name}`;
      keys.set(key, tuple);
      unsure.push({ tupleId, key });
    }
    // Only keys never indexed are looked up (a key without advisories is remembered too).
    const missing = [...keys].filter(([key]) => !cache.indexedKeys.has(key));
    if (missing.length > 0) {
      const loaded = await this.#intel.advisoriesForPackages(missing.map(([, key]) => key));
      for (const advisory of loaded) cache.index.upsert(advisory);
      for (const [key] of missing) cache.indexedKeys.add(key);
    }
    const { advisories, named } = advisoriesOf(cache.index, keys);
    for (const { tupleId, key } of unsure) if (!named.has(key)) cache.quietTuples.add(tupleId);
    if (advisories.length === 0) {
      // No advisory names any of the set's packages: nothing can match, so skip the walk (only
      // `findings` of the report is used here).
      const report: MatchReport = { findings: [], packages: items.length, distinctTuples: 0, unmatched: [] };
      return { report, advisories: 0, tupleIdOf: () => undefined };
    }
    // Before matching: a tuple's memoised findings were built with the CVE records loaded here.
    const lookup = await this.#lookup(cache, advisories);
    const report = matchPackages(
      items.map((item) => item.package),
      cache.index,
      lookup,
      cache.tupleFindings,
    );
    const tupleIds = new Map<string, number>();
    for (const item of items) {
      const pkg = item.package;
      tupleIds.set(`${pkg.ecosystem}\u0000${pkg.name}\u0000${pkg.version}`, item.tupleId);
    }
    return {
      report,
      advisories: advisories.length,
      tupleIdOf: (f) =>
        tupleIds.get(`${f.package.ecosystem}\u0000${f.package.name}\u0000${f.package.version}`),
    };
  }

  async #apply(
    assetId: string,
    setId: number,
    match: SetMatch,
    now: string,
    counts?: FindingCounts,
  ): Promise<RecomputeResult> {
    const applied = await this.#findings.applyMatchResults(
      assetId,
      match.report.findings,
      now,
      match.tupleIdOf,
      counts ? { setId, counts } : { setId },
    );
    return {
      assetId,
      setId,
      findings: match.report.findings.length,
      advisories: match.advisories,
      ...applied,
    };
  }

  /**
   * Matches the asset's current inventory and applies the result. An asset without an inventory
   * is left alone: "no packages known" must never mark its findings fixed. `options.setId` names
   * the set an upload has just linked (sparing a read); if a newer one replaced it meanwhile, the
   * result is `superseded` and that upload's recompute applies its own. `options.known` is what
   * the statement linking that set read for it (InventoryResult.findingsBefore), sparing a read.
   */
  async recomputeFindings(
    assetId: string,
    now: string,
    options: { setId?: number; known?: FindingsBefore } = {},
  ): Promise<RecomputeResult> {
    if (options.setId !== undefined) {
      const { generation, counts } = options.known ?? (await this.#findingsBefore(assetId));
      const match = await this.#matchSet(options.setId, generation);
      return this.#apply(assetId, options.setId, match, now, counts);
    }
    const entry = [...(await this.#assets.setsOfAssets([assetId])).keys()][0];
    if (entry === undefined) {
      return {
        assetId,
        findings: 0,
        advisories: 0,
        opened: 0,
        reopened: 0,
        updated: 0,
        fixed: 0,
        unchanged: 0,
      };
    }
    return this.#apply(assetId, entry, await this.#matchSet(entry), now);
  }

  /** One read for both the intel generation and what an empty match would change. */
  async #findingsBefore(assetId: string): Promise<FindingsBefore> {
    const { rows } = await sql<{
      generation: number | string;
      kept: number | string;
      changing: number | string;
    }>`
      ${sql.raw(PREPARED)} select (select n from intel_generation) as generation, ${FINDING_COUNTS}
      from findings where asset_id = ${assetId}::uuid`.execute(this.#database.db);
    return { generation: Number(rows[0]?.generation ?? 0), counts: countsOf(rows[0]) };
  }

  /**
   * Recomputes the assets that new or changed advisories may concern: those whose package set
   * holds a package the advisories name (package_tuples -> inventory_sets.tuple_ids ->
   * asset_inventories), and those with a stored finding for one of the advisories' ids (an
   * advisory that stopped naming a package must close its findings). Call it after storing the
   * advisories with IntelRepository.
   */
  async recomputeForAdvisories(advisories: readonly Advisory[], now: string): Promise<FleetRecomputeResult> {
    const keys = new Map<string, [string, string]>();
    for (const advisory of advisories) {
      for (const affected of advisory.affected) {
        const ecosystem = matchEcosystem(affected.ecosystem);
        const name = normalizePackageName(affected.ecosystem, affected.name);
        keys.set(`${ecosystem}\u0000${name}`, [ecosystem, name]);
      }
    }
    const sets = await this.#assets.setsWithPackages([...keys.values()]);
    const ids = [...new Set(advisories.flatMap(allIds))];
    const withFindings: string[] = [];
    for (const batch of chunks(ids, ID_CHUNK)) {
      const param = jsonbParam(batch);
      const { rows } = await sql<{ asset_id: string }>`
        select distinct asset_id from findings
        where vulnerability_id in (select jsonb_array_elements_text(${param}))
           or aliases ?| array(select jsonb_array_elements_text(${param}))`.execute(this.#database.db);
      withFindings.push(...rows.map((row) => row.asset_id));
    }
    for (const [setId, assetIds] of await this.#assets.setsOfAssets(withFindings)) {
      const known = sets.get(setId) ?? [];
      sets.set(setId, [...new Set([...known, ...assetIds])]);
    }
    const results: RecomputeResult[] = [];
    for (const [setId, assetIds] of [...sets].sort(([a], [b]) => a - b)) {
      const match = await this.#matchSet(setId);
      for (const assetId of [...assetIds].sort()) results.push(await this.#apply(assetId, setId, match, now));
    }
    return { sets: sets.size, assets: results.length, results };
  }
}

/**
 * The indexed advisories naming these packages (as advisoriesForPackages would load them), and
 * which of the packages' keys they name.
 */
function advisoriesOf(
  index: AdvisoryIndex,
  keys: ReadonlyMap<string, { ecosystem: string; name: string }>,
): { advisories: Advisory[]; named: Set<string> } {
  const found = new Map<string, Advisory>();
  const named = new Set<string>();
  for (const [key, { ecosystem, name }] of keys) {
    const entries = index.lookup(ecosystem, name);
    if (entries.length > 0) named.add(key);
    for (const { advisory } of entries) found.set(`${advisory.source}\u0000${advisory.id}`, advisory);
  }
  return { advisories: [...found.values()], named };
}
