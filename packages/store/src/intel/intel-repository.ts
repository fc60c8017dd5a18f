import { sql } from 'kysely';
import type { Transaction } from 'kysely';
import type { Advisory, CveRecord, CweEntry, EpssScore, KevEntry } from '@patchwarden/core';
import { matchEcosystem, normalizePackageName, PatchwardenError, pwError } from '@patchwarden/core';
import type { Database } from '../database/open-database.ts';
import type { Schema } from '../schema/schema.ts';
import { jsonbParam, jsonbText } from '../sql/jsonb-param.ts';
import { chunks, newestByKey } from '../util/batches.ts';
import { advisoryKey, aliasKeys, packageKeys, storableJson } from './advisory-rows.ts';
import { loadIntelLookup } from './load-intel-lookup.ts';
import type { LoadIntelOptions } from './load-intel-lookup.ts';
import type { StoredIntelLookup } from './stored-intel-lookup.ts';
import { MAX_KEPT_ISSUES } from './sync-status.ts';
import type { SyncRecord, SyncStatus } from './sync-status.ts';

export interface UpsertCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

export interface PackageKey {
  ecosystem: string;
  name: string;
}

export interface StreamOptions {
  /** Advisories per round trip (default 500); memory stays bounded by one batch. */
  batchSize?: number;
}

export interface IntelCounts {
  advisories: number;
  advisoryPackages: number;
  advisoryAliases: number;
  cves: number;
  kev: number;
  epss: number;
  cwe: number;
  syncs: number;
}

/** Advisories per INSERT: ~0.7 MB of JSON for Go's records, well inside one bind parameter. */
const ADVISORY_BATCH = 500;
/** Rows per INSERT for the small per-CVE tables (KEV, EPSS, CWE, CVE records). */
const ROW_BATCH = 5_000;
const DEFAULT_STREAM_BATCH = 500;

type Tx = Transaction<Schema>;
type Outcome = { inserted: boolean };

function tally(counts: UpsertCounts, batchSize: number, rows: readonly Outcome[]): void {
  for (const row of rows) {
    if (row.inserted) counts.inserted++;
    else counts.updated++;
  }
  counts.unchanged += batchSize - rows.length;
}

function timeMillis(value: string | undefined): number {
  return value === undefined ? Number.NEGATIVE_INFINITY : Date.parse(value);
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Vulnerability intelligence in the store. Every upsert is idempotent and incremental (a row is
 * replaced only by a newer one) and runs in one transaction per call: a failure anywhere leaves
 * the store as it was before the call.
 */
export class IntelRepository {
  readonly #database: Database;

  constructor(database: Database) {
    this.#database = database;
  }

  async upsertAdvisories(advisories: readonly Advisory[]): Promise<UpsertCounts> {
    const latest = newestByKey(
      advisories,
      advisoryKey,
      (a, b) => timeMillis(a.modified) > timeMillis(b.modified),
    );
    const counts: UpsertCounts = { inserted: 0, updated: 0, unchanged: advisories.length - latest.length };
    if (latest.length === 0) return counts;
    let failed: Advisory[] | undefined;
    try {
      await this.#database.transaction(async (trx) => {
        for (const batch of chunks(latest, ADVISORY_BATCH)) {
          failed = batch;
          tally(counts, batch.length, await this.#upsertAdvisoryBatch(trx, batch));
        }
        failed = undefined;
        if (counts.inserted + counts.updated > 0) await bumpGeneration(trx);
      });
    } catch (error) {
      if (error instanceof PatchwardenError) throw error;
      if (failed !== undefined) throw await this.#explainFailedBatch(failed, error);
      throw pwError('PW_ERR_DATABASE', `Storing advisories failed: ${reasonOf(error)}`, {}, error);
    }
    return counts;
  }

  /**
   * Postgres says what was wrong with a set-based INSERT but not in which row. After the rollback,
   * each advisory of the failed batch is cast on its own, to name the one the database refuses.
   */
  async #explainFailedBatch(batch: readonly Advisory[], error: unknown): Promise<PatchwardenError> {
    for (const advisory of batch) {
      try {
        await sql`select (j->>'modified')::timestamptz, (j->>'published')::timestamptz,
                         nullif(j->>'withdrawn', '')::timestamptz
                  from (select ${jsonbText(storableJson(advisory))} as j) as one`.execute(this.#database.db);
      } catch (refused) {
        const record = `${advisory.source}:${advisory.id}`;
        return pwError(
          'PW_ERR_DATABASE',
          `Storing advisory ${record} failed: ${reasonOf(refused)}`,
          { record },
          error,
        );
      }
    }
    const span = `${batch[0]!.source}:${batch[0]!.id} .. ${batch.at(-1)!.source}:${batch.at(-1)!.id}`;
    return pwError(
      'PW_ERR_DATABASE',
      `Storing advisories ${span} failed: ${reasonOf(error)}`,
      { record: span },
      error,
    );
  }

  async #upsertAdvisoryBatch(trx: Tx, batch: readonly Advisory[]): Promise<Outcome[]> {
    const json = `[${batch.map(storableJson).join(',')}]`;
    const { rows } = await sql<{ pk: number; source: string; id: string; inserted: boolean }>`
      insert into advisories as a (source, id, modified, published, withdrawn, aliases, summary, body)
      select b->>'source', b->>'id', (b->>'modified')::timestamptz, (b->>'published')::timestamptz,
             nullif(b->>'withdrawn', '')::timestamptz,
             array(select jsonb_array_elements_text(coalesce(b->'aliases', '[]'::jsonb))), b->>'summary', b
      from jsonb_array_elements(${jsonbText(json)}) as e(b)
      on conflict (source, id) do update
        set modified = excluded.modified, published = excluded.published, withdrawn = excluded.withdrawn,
            aliases = excluded.aliases, summary = excluded.summary, body = excluded.body
        where a.modified < excluded.modified
          -- Some feeds carry no modification time (Go's vulndb writes the zero time): there the
          -- content decides, or a corrected record could never replace the stored one.
          or (excluded.modified < '0002-01-01'::timestamptz and a.body is distinct from excluded.body)
      returning a.pk, a.source, a.id, (a.xmax = 0) as inserted`.execute(trx);
    if (rows.length === 0) return rows;

    // An updated advisory may have gained or lost packages and aliases: its key rows are rebuilt.
    const replaced = rows.filter((row) => !row.inserted).map((row) => row.pk);
    if (replaced.length > 0) {
      const pks = jsonbParam(replaced);
      await sql`delete from advisory_packages
        where advisory_pk in (select jsonb_array_elements_text(${pks})::bigint)`.execute(trx);
      await sql`delete from advisory_aliases
        where advisory_pk in (select jsonb_array_elements_text(${pks})::bigint)`.execute(trx);
    }
    const byKey = new Map(batch.map((advisory) => [advisoryKey(advisory), advisory]));
    const packages: [number, string, string][] = [];
    const aliases: [number, string][] = [];
    for (const row of rows) {
      const advisory = byKey.get(advisoryKey(row))!;
      for (const [ecosystem, name] of packageKeys(advisory)) packages.push([row.pk, ecosystem, name]);
      for (const alias of aliasKeys(advisory)) aliases.push([row.pk, alias]);
    }
    if (packages.length > 0) {
      await sql`insert into advisory_packages (advisory_pk, ecosystem, name)
        select (r->>0)::bigint, r->>1, r->>2 from jsonb_array_elements(${jsonbParam(packages)}) as r`.execute(
        trx,
      );
    }
    if (aliases.length > 0) {
      await sql`insert into advisory_aliases (advisory_pk, alias)
        select (r->>0)::bigint, r->>1 from jsonb_array_elements(${jsonbParam(aliases)}) as r`.execute(trx);
    }
    return rows;
  }

  /**
   * The intel generation (migration 0008): it moves with every write that changed stored intel,
   * in any process, so an in-memory copy older than it must be dropped.
   */
  async generation(): Promise<number> {
    const { rows } = await sql<{ n: number | string }>`select n from intel_generation`.execute(
      this.#database.db,
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** CVE records (NVD, CVE List), one per (source, id); a newer `modified` replaces. */
  async upsertCves(cves: readonly CveRecord[]): Promise<UpsertCounts> {
    const latest = newestByKey(
      cves,
      (cve) => `${cve.source}\u0000${cve.id}`,
      (a, b) => timeMillis(a.modified) > timeMillis(b.modified),
    );
    return this.#upsertRows('CVE records', cves.length, latest, (trx, batch) =>
      sql<Outcome>`
        insert into cve_records as c (source, id, modified, body)
        select b->>'source', b->>'id', (b->>'modified')::timestamptz, b
        from jsonb_array_elements(${jsonbParam(batch)}) as e(b)
        on conflict (source, id) do update set modified = excluded.modified, body = excluded.body
          where c.modified < excluded.modified
        returning (c.xmax = 0) as inserted`.execute(trx),
    );
  }

  /** KEV has no modification time: an entry is replaced when its content differs. */
  async upsertKev(entries: readonly KevEntry[]): Promise<UpsertCounts> {
    const latest = newestByKey(
      entries,
      (entry) => entry.cveId,
      () => true,
    );
    return this.#upsertRows('KEV entries', entries.length, latest, (trx, batch) =>
      sql<Outcome>`
        insert into kev as k (cve_id, date_added, due_date, body)
        select b->>'cveId', (b->>'dateAdded')::date, nullif(b->>'dueDate', '')::date, b
        from jsonb_array_elements(${jsonbParam(batch)}) as e(b)
        on conflict (cve_id) do update
          set date_added = excluded.date_added, due_date = excluded.due_date, body = excluded.body
          where k.body is distinct from excluded.body
        returning (k.xmax = 0) as inserted`.execute(trx),
    );
  }

  /**
   * EPSS scores, one per CVE: a later `score_date` wins. A score without a date (the oldest files)
   * replaces only another score without a date.
   */
  async upsertEpss(scores: readonly EpssScore[]): Promise<UpsertCounts> {
    const latest = newestByKey(
      scores,
      (score) => score.cveId,
      (a, b) => (a.date ?? '') >= (b.date ?? ''),
    );
    return this.#upsertRows('EPSS scores', scores.length, latest, (trx, batch) => {
      const rows = batch.map((s) => [
        s.cveId,
        s.epss,
        s.percentile ?? null,
        s.date ?? null,
        s.modelVersion ?? null,
      ]);
      return sql<Outcome>`
        insert into epss as s (cve_id, score, percentile, score_date, model_version)
        select r->>0, (r->>1)::float8, (r->>2)::float8, (r->>3)::date, r->>4
        from jsonb_array_elements(${jsonbParam(rows)}) as r
        on conflict (cve_id) do update
          set score = excluded.score, percentile = excluded.percentile,
              score_date = excluded.score_date, model_version = excluded.model_version
          where excluded.score_date > s.score_date
             or (s.score_date is null and (excluded.score_date is not null
                 or (excluded.score, excluded.percentile, excluded.model_version)
                    is distinct from (s.score, s.percentile, s.model_version)))
        returning (s.xmax = 0) as inserted`.execute(trx);
    });
  }

  /** CWE entries; catalogues differ in richness, so a known description or parent list is kept. */
  async upsertCwe(entries: readonly CweEntry[]): Promise<UpsertCounts> {
    const latest = newestByKey(
      entries,
      (entry) => entry.id,
      () => true,
    );
    return this.#upsertRows('CWE entries', entries.length, latest, (trx, batch) =>
      sql<Outcome>`
        with incoming as (
          select b->>'id' as id, b->>'name' as name, b->>'description' as description,
                 b->>'abstraction' as abstraction,
                 array(select jsonb_array_elements_text(coalesce(b->'parents', '[]'::jsonb))) as parents
          from jsonb_array_elements(${jsonbParam(batch)}) as e(b)
        )
        insert into cwe as w (id, name, description, abstraction, parents)
        select id, name, description, abstraction, parents from incoming
        on conflict (id) do update
          set name = excluded.name,
              description = coalesce(excluded.description, w.description),
              abstraction = coalesce(excluded.abstraction, w.abstraction),
              parents = case when cardinality(excluded.parents) > 0 then excluded.parents else w.parents end
          where (excluded.name, coalesce(excluded.description, w.description),
                 coalesce(excluded.abstraction, w.abstraction),
                 case when cardinality(excluded.parents) > 0 then excluded.parents else w.parents end)
                is distinct from (w.name, w.description, w.abstraction, w.parents)
        returning (w.xmax = 0) as inserted`.execute(trx),
    );
  }

  async #upsertRows<T>(
    what: string,
    received: number,
    latest: readonly T[],
    upsert: (trx: Tx, batch: readonly T[]) => Promise<{ rows: Outcome[] }>,
  ): Promise<UpsertCounts> {
    const counts: UpsertCounts = { inserted: 0, updated: 0, unchanged: received - latest.length };
    if (latest.length === 0) return counts;
    await this.#write(what, async (trx) => {
      for (const batch of chunks(latest, ROW_BATCH))
        tally(counts, batch.length, (await upsert(trx, batch)).rows);
      if (counts.inserted + counts.updated > 0) await bumpGeneration(trx);
    });
    return counts;
  }

  async #write(what: string, fn: (trx: Tx) => Promise<void>): Promise<void> {
    try {
      await this.#database.transaction(fn);
    } catch (error) {
      if (error instanceof PatchwardenError) throw error;
      throw pwError('PW_ERR_DATABASE', `Storing ${what} failed: ${reasonOf(error)}`, {}, error);
    }
  }

  /** Records one import run; returns its id. Only the first MAX_KEPT_ISSUES issues are kept. */
  async recordSync(status: SyncStatus): Promise<number> {
    const row = await this.#database.db
      .insertInto('feed_sync')
      .values({
        feed: status.feed,
        source: status.source,
        started_at: status.startedAt,
        finished_at: status.finishedAt ?? null,
        ok: status.ok,
        records: status.records,
        inserted: status.inserted,
        updated: status.updated,
        unchanged: status.unchanged,
        skipped: status.skipped,
        newest_modified: status.newestModified ?? null,
        error: status.error ?? null,
        issues: jsonbParam<string>(status.issues.slice(0, MAX_KEPT_ISSUES)),
      })
      .returning('id')
      .executeTakeFirstOrThrow()
      .catch((error: unknown) => {
        throw pwError(
          'PW_ERR_DATABASE',
          `Recording the ${status.feed} sync failed: ${reasonOf(error)}`,
          {},
          error,
        );
      });
    return row.id;
  }

  /**
   * Where the next incremental import of `source` starts: the newest `modified` any successful run
   * has seen. The maximum over runs, not the last run's value, so that an incremental run that
   * found nothing new (and saw no `modified`) does not reset the cursor.
   */
  async lastSuccessfulSync(feed: string, source: string): Promise<string | undefined> {
    const row = await this.#database.db
      .selectFrom('feed_sync')
      .select((eb) => eb.fn.max('newest_modified').as('newest'))
      .where('feed', '=', feed)
      .where('source', '=', source)
      .where('ok', '=', true)
      .executeTakeFirst();
    const newest = row?.newest as Date | null | undefined;
    return newest ? newest.toISOString() : undefined;
  }

  /** The most recent runs first. */
  async syncHistory(limit = 50): Promise<SyncRecord[]> {
    const rows = await this.#database.db
      .selectFrom('feed_sync')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => {
      const record: SyncRecord = {
        id: row.id,
        feed: row.feed,
        source: row.source,
        startedAt: row.started_at.toISOString(),
        ok: row.ok,
        records: row.records,
        inserted: row.inserted,
        updated: row.updated,
        unchanged: row.unchanged,
        skipped: row.skipped,
        issues: row.issues,
      };
      if (row.finished_at) record.finishedAt = row.finished_at.toISOString();
      if (row.newest_modified) record.newestModified = row.newest_modified.toISOString();
      if (row.error !== null) record.error = row.error;
      return record;
    });
  }

  /** Every advisory, `batchSize` at a time, in insertion order (keyset pagination on pk). */
  async *streamAdvisoryBatches(options: StreamOptions = {}): AsyncGenerator<Advisory[]> {
    const size = options.batchSize ?? DEFAULT_STREAM_BATCH;
    if (!Number.isInteger(size) || size < 1) {
      throw pwError('PW_ERR_USAGE', `batchSize must be a positive integer, not ${size}`, {
        field: 'batchSize',
      });
    }
    let after = 0;
    while (true) {
      const rows = await this.#database.db
        .selectFrom('advisories')
        .select(['pk', 'body'])
        .where('pk', '>', after)
        .orderBy('pk')
        .limit(size)
        .execute();
      if (rows.length > 0) yield rows.map((row) => row.body);
      if (rows.length < size) return;
      after = rows[rows.length - 1]!.pk;
    }
  }

  async *streamAdvisories(options: StreamOptions = {}): AsyncGenerator<Advisory> {
    for await (const batch of this.streamAdvisoryBatches(options)) yield* batch;
  }

  /** Advisories naming any of these packages (names compared as each ecosystem's registry does). */
  async advisoriesForPackages(keys: readonly PackageKey[]): Promise<Advisory[]> {
    const unique = newestByKey(
      keys.map((key): [string, string] => [
        matchEcosystem(key.ecosystem),
        normalizePackageName(key.ecosystem, key.name),
      ]),
      ([ecosystem, name]) => `${ecosystem}\u0000${name}`,
      () => false,
    );
    const found = new Map<number, Advisory>();
    for (const chunk of chunks(unique, ROW_BATCH)) {
      const { rows } = await sql<{ pk: number; body: Advisory }>`
        select a.pk, a.body from advisories a
        where a.pk in (
          select p.advisory_pk from jsonb_array_elements(${jsonbParam(chunk)}) as k
          join advisory_packages p on p.ecosystem = k->>0 and p.name = k->>1)`.execute(this.#database.db);
      for (const row of rows) found.set(row.pk, row.body);
    }
    return [...found.entries()].sort(([a], [b]) => a - b).map(([, body]) => body);
  }

  /** Advisories known by `id`, as their own id or as an alias ("which advisories are CVE-X"). */
  async advisoriesByAlias(id: string): Promise<Advisory[]> {
    const rows = await this.#database.db
      .selectFrom('advisories')
      .select('body')
      .where('pk', 'in', (eb) =>
        eb.selectFrom('advisory_aliases').select('advisory_pk').where('alias', '=', id),
      )
      .orderBy('pk')
      .execute();
    return rows.map((row) => row.body);
  }

  async counts(): Promise<IntelCounts> {
    const { rows } = await sql<IntelCounts>`
      select (select count(*) from advisories) as "advisories",
             (select count(*) from advisory_packages) as "advisoryPackages",
             (select count(*) from advisory_aliases) as "advisoryAliases",
             (select count(*) from cve_records) as "cves",
             (select count(*) from kev) as "kev",
             (select count(*) from epss) as "epss",
             (select count(*) from cwe) as "cwe",
             (select count(*) from feed_sync) as "syncs"`.execute(this.#database.db);
    return rows[0]!;
  }

  /** KEV, EPSS, CWE and CVE records in memory, behind the core's synchronous IntelLookup. */
  loadIntelLookup(options: LoadIntelOptions = {}): Promise<StoredIntelLookup> {
    return loadIntelLookup(this.#database.db, options);
  }
}

/** Moves the intel generation inside the transaction that changed intel (commits with it). */
async function bumpGeneration(trx: Tx): Promise<void> {
  await sql`update intel_generation set n = n + 1 where id = 1`.execute(trx);
}
