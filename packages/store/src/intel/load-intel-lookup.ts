import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { CveRecord, CweEntry, EpssScore, KevEntry } from '@patchwarden/core';
import type { Schema } from '../schema/schema.ts';
import { jsonbParam } from '../sql/jsonb-param.ts';
import { chunks } from '../util/batches.ts';
import { StoredIntelLookup } from './stored-intel-lookup.ts';

export interface LoadIntelOptions {
  /**
   * Load CVE records for these ids only (e.g. the aliases of matched advisories). Without it every
   * CVE record is loaded, which is fine for KEV/EPSS-sized data but not for all of NVD.
   */
  cveIds?: Iterable<string>;
}

/** Rows per round trip: keeps the transient row arrays small while loading 300k EPSS scores. */
const PAGE = 20_000;
const ID_CHUNK = 5_000;

async function loadEpss(db: Kysely<Schema>): Promise<Map<string, EpssScore>> {
  const scores = new Map<string, EpssScore>();
  let after = '';
  while (true) {
    const rows = await db
      .selectFrom('epss')
      .selectAll()
      .where('cve_id', '>', after)
      .orderBy('cve_id')
      .limit(PAGE)
      .execute();
    for (const row of rows) {
      const score: EpssScore = { cveId: row.cve_id, epss: row.score };
      if (row.percentile !== null) score.percentile = row.percentile;
      if (row.score_date !== null) score.date = row.score_date;
      if (row.model_version !== null) score.modelVersion = row.model_version;
      scores.set(row.cve_id, score);
    }
    if (rows.length < PAGE) return scores;
    after = rows[rows.length - 1]!.cve_id;
  }
}

async function loadKev(db: Kysely<Schema>): Promise<Map<string, KevEntry>> {
  const rows = await db.selectFrom('kev').select(['cve_id', 'body']).execute();
  return new Map(rows.map((row) => [row.cve_id, row.body]));
}

async function loadCwe(db: Kysely<Schema>): Promise<Map<string, CweEntry>> {
  const rows = await db.selectFrom('cwe').selectAll().execute();
  return new Map(
    rows.map((row) => {
      const entry: CweEntry = { id: row.id, name: row.name, parents: row.parents };
      if (row.description !== null) entry.description = row.description;
      if (row.abstraction !== null) entry.abstraction = row.abstraction;
      return [row.id, entry];
    }),
  );
}

type CveRow = { source: string; id: string; body: CveRecord };

/** NVD's record wins over the CVE List's: it carries NVD's own scoring and CPE configurations. */
function keepPreferred(cves: Map<string, CveRecord>, rows: readonly CveRow[]): void {
  for (const row of rows) {
    if (row.source === 'nvd' || !cves.has(row.id)) cves.set(row.id, row.body);
  }
}

async function loadCves(
  db: Kysely<Schema>,
  ids: Iterable<string> | undefined,
): Promise<Map<string, CveRecord>> {
  const cves = new Map<string, CveRecord>();
  if (ids !== undefined) {
    for (const chunk of chunks([...new Set(ids)], ID_CHUNK)) {
      const { rows } = await sql<CveRow>`
        select source, id, body from cve_records
        where id in (select jsonb_array_elements_text(${jsonbParam(chunk)}))`.execute(db);
      keepPreferred(cves, rows);
    }
    return cves;
  }
  let after: [string, string] = ['', ''];
  while (true) {
    const { rows } = await sql<CveRow>`
      select source, id, body from cve_records
      where (source, id) > (${after[0]}, ${after[1]})
      order by source, id
      limit ${sql.lit(PAGE)}`.execute(db);
    keepPreferred(cves, rows);
    if (rows.length < PAGE) return cves;
    const last = rows[rows.length - 1]!;
    after = [last.source, last.id];
  }
}

export async function loadIntelLookup(
  db: Kysely<Schema>,
  options: LoadIntelOptions = {},
): Promise<StoredIntelLookup> {
  const kev = await loadKev(db);
  const epss = await loadEpss(db);
  const cwe = await loadCwe(db);
  const cves = await loadCves(db, options.cveIds);
  return new StoredIntelLookup({ cves, kev, epss, cwe });
}
