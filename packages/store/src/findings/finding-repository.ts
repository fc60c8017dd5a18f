import { sql } from 'kysely';
import type { RawBuilder, Transaction } from 'kysely';
import type { Finding, FindingEvidence, SeverityLabel } from '@patchwarden/core';
import { PatchwardenError, pwError, schemeForEcosystem, SEVERITY_RANK } from '@patchwarden/core';
import type { Database } from '../database/open-database.ts';
import type { Schema } from '../schema/schema.ts';
import { jsonbParam } from '../sql/jsonb-param.ts';
import { chunks } from '../util/batches.ts';
import { sameJson } from '../util/same-json.ts';

type Tx = Transaction<Schema>;

export type FindingStatus = 'open' | 'fixed' | 'risk-accepted' | 'false-positive';
export const FINDING_STATUSES: readonly FindingStatus[] = Object.freeze([
  'open',
  'fixed',
  'risk-accepted',
  'false-positive',
]);

/** A finding as stored: the core Finding plus its life cycle on this asset. */
export interface StoredFinding {
  id: number;
  assetId: string;
  finding: Finding;
  tupleId?: number;
  status: FindingStatus;
  statusBy?: string;
  statusReason?: string;
  statusAt?: string;
  /** When it was first detected on this asset; never changed by a recompute. */
  firstSeen: string;
  /** When it stopped being detected (kept for accepted and false-positive ones too). */
  fixedAt?: string;
  updatedAt: string;
}

export interface ApplyResult {
  /** Newly detected. */
  opened: number;
  /** Were fixed, detected again. */
  reopened: number;
  /** Still detected, with a changed version, fix, severity or evidence. */
  updated: number;
  /** No longer detected. */
  fixed: number;
  unchanged: number;
  /** Set when nothing was applied because the matched package set is no longer the asset's. */
  superseded?: true;
}

export interface FindingQuery {
  assetId?: string;
  status?: FindingStatus | readonly FindingStatus[];
  severity?: SeverityLabel | readonly SeverityLabel[];
  /** Matches the canonical id or any alias (CVE, GHSA, ALSA...). */
  vulnerabilityId?: string;
}

export interface FindingPage {
  items: StoredFinding[];
  nextCursor?: string;
}

export interface PatchTimeQuery {
  /** Findings fixed at or after / before these instants (RFC 3339). */
  fixedFrom?: string;
  fixedBefore?: string;
  severity?: SeverityLabel | readonly SeverityLabel[];
  assetIds?: readonly string[];
}

export interface PatchTime {
  fixed: number;
  /** Mean and median of fixed_at - first_seen, in days; null when nothing was fixed. */
  meanDays: number | null;
  medianDays: number | null;
}

/** The system's own name in status_by, for changes no person made. */
export const FINDINGS_SYSTEM_ACTOR = 'system';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BATCH = 1_000;

interface FindingRow {
  id: number;
  asset_id: string;
  vulnerability_id: string;
  aliases: string[];
  ecosystem: string;
  package_name: string;
  package_version: string;
  tuple_id: number | null;
  fixed_version: string | null;
  severity: string;
  evidence: FindingEvidence[];
  detail: FindingDetail;
  status: string;
  status_by: string | null;
  status_reason: string | null;
  status_at: Date | null;
  first_seen: Date;
  fixed_at: Date | null;
  updated_at: Date;
}

/** The parts of a Finding that have no column of their own. */
type FindingDetail = Omit<Finding, 'id' | 'aliases' | 'fixedVersion' | 'severity' | 'evidence'> & {
  /** Other installed versions of the package carrying the same vulnerability (lockfiles). */
  otherVersions?: string[];
};

function findingKey(vulnerabilityId: string, ecosystem: string, name: string): string {
  return `${vulnerabilityId}\u0000${ecosystem}\u0000${name}`;
}

function toStored(row: FindingRow): StoredFinding {
  const { otherVersions: _others, ...detail } = row.detail;
  const finding: Finding = {
    ...detail,
    id: row.vulnerability_id,
    aliases: row.aliases,
    severity: row.severity as SeverityLabel,
    evidence: row.evidence,
  };
  if (row.fixed_version !== null) finding.fixedVersion = row.fixed_version;
  const stored: StoredFinding = {
    id: row.id,
    assetId: row.asset_id,
    finding,
    status: row.status as FindingStatus,
    firstSeen: row.first_seen.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
  if (row.tuple_id !== null) stored.tupleId = row.tuple_id;
  if (row.status_by !== null) stored.statusBy = row.status_by;
  if (row.status_reason !== null) stored.statusReason = row.status_reason;
  if (row.status_at !== null) stored.statusAt = row.status_at.toISOString();
  if (row.fixed_at !== null) stored.fixedAt = row.fixed_at.toISOString();
  return stored;
}

/** The columns a recompute may refresh, as one JSON value to compare and write. */
function descriptive(finding: Finding, tupleId: number | undefined, otherVersions: string[]) {
  const { id: _id, aliases, fixedVersion, severity, evidence, ...rest } = finding;
  const detail: FindingDetail = { ...rest };
  if (otherVersions.length > 0) detail.otherVersions = otherVersions;
  return {
    vulnerability_id: finding.id,
    aliases,
    ecosystem: finding.package.ecosystem,
    package_name: finding.package.name,
    package_version: finding.package.version,
    tuple_id: tupleId ?? null,
    fixed_version: fixedVersion ?? null,
    severity,
    evidence,
    detail,
  };
}

type Descriptive = ReturnType<typeof descriptive>;

const DESCRIPTIVE_FIELDS = [
  'vulnerability_id',
  'aliases',
  'ecosystem',
  'package_name',
  'package_version',
  'tuple_id',
  'fixed_version',
  'severity',
  'evidence',
  'detail',
] as const satisfies readonly (keyof FindingRow & keyof Descriptive)[];

/** Whether a stored finding already says what the new match says (then it is left alone). */
function sameDescriptive(row: FindingRow, next: Descriptive): boolean {
  return DESCRIPTIVE_FIELDS.every((field) => sameJson(row[field], next[field]));
}

/**
 * One finding per (vulnerability, ecosystem, package name) on an asset, as the unique key says.
 * A package installed in several versions (lockfiles) keeps the lowest, which needs the fix most;
 * the others are noted in the detail.
 */
function dedupe(
  findings: readonly Finding[],
  tupleIdOf: (finding: Finding) => number | undefined,
): Map<string, Descriptive> {
  const groups = new Map<string, Finding[]>();
  for (const finding of findings) {
    const key = findingKey(finding.id, finding.package.ecosystem, finding.package.name);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(finding);
  }
  const out = new Map<string, Descriptive>();
  for (const [key, group] of groups) {
    const scheme = schemeForEcosystem(group[0]!.package.ecosystem);
    const sorted = [...group].sort((a, b) => {
      const x = a.package.version;
      const y = b.package.version;
      if (scheme && scheme.isValid(x) && scheme.isValid(y)) return scheme.compare(x, y);
      return x < y ? -1 : x > y ? 1 : 0;
    });
    const lowest = sorted[0]!;
    const others = [...new Set(sorted.slice(1).map((f) => f.package.version))].filter(
      (version) => version !== lowest.package.version,
    );
    out.set(key, descriptive(lowest, tupleIdOf(lowest), others));
  }
  return out;
}

function toList<T extends string>(value: T | readonly T[] | undefined): readonly T[] | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? [value] : (value as readonly T[]);
}

/**
 * An asset's stored findings, and how many of them an empty match would change (open ones to
 * fix, present ones to mark gone). An empty match on an asset with none to change changes
 * nothing: the common case of a host whose packages no advisory names is answered by this one
 * read, without a transaction or lock. (Findings another recompute commits meanwhile are its to
 * keep, as if it had run after this one.)
 */
export interface FindingCounts {
  kept: number;
  changing: number;
}

/** What a recompute reads before matching: the intel generation, and FindingCounts. */
export interface FindingsBefore {
  generation: number;
  counts: FindingCounts;
}

/** The select list of FindingCounts over `findings` rows, for callers that read it with more. */
export const FINDING_COUNTS = sql`count(*) as kept,
  count(*) filter (where status = 'open' or (status <> 'fixed' and fixed_at is null)) as changing`;

export function countsOf(
  row: { kept?: string | number | null; changing?: string | number | null } | undefined,
): FindingCounts {
  return { kept: Number(row?.kept ?? 0), changing: Number(row?.changing ?? 0) };
}

function nothingChanges(counts: FindingCounts): ApplyResult | undefined {
  if (counts.changing > 0) return undefined;
  return { opened: 0, reopened: 0, updated: 0, fixed: 0, unchanged: counts.kept };
}

/**
 * Findings per asset with their life cycle. Match results are applied incrementally: what is new
 * opens with `first_seen`, what stays keeps it, what disappears is marked fixed with `fixed_at`
 * (risk-accepted and false-positive ones keep their status and get `fixed_at`), and a fixed one
 * that comes back is reopened.
 */
export class FindingRepository {
  readonly #database: Database;

  constructor(database: Database) {
    this.#database = database;
  }

  /**
   * Applies one match of the asset's packages. With `options.setId` (the package set matched), the
   * result is applied only if that set is still the asset's inventory once the asset's findings are
   * locked: a newer upload's recompute owns the findings then, whichever of the two runs first, and
   * this one changes nothing (`superseded`).
   */
  async applyMatchResults(
    assetId: string,
    findings: readonly Finding[],
    now: string,
    tupleIdOf: (finding: Finding) => number | undefined = () => undefined,
    options: { setId?: number; counts?: FindingCounts } = {},
  ): Promise<ApplyResult> {
    if (!UUID.test(assetId)) throw pwError('PW_ERR_NOT_FOUND', `No asset ${assetId}`, { record: assetId });
    const incoming = dedupe(findings, tupleIdOf);
    try {
      if (incoming.size === 0) {
        const nothing = nothingChanges(options.counts ?? (await this.findingCounts(assetId)));
        if (nothing) return nothing;
      }
      return await this.#database.transaction((trx) =>
        this.#apply(trx, assetId, incoming, now, options.setId),
      );
    } catch (error) {
      if (error instanceof PatchwardenError) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw pwError(
        'PW_ERR_DATABASE',
        `Storing findings of asset ${assetId} failed: ${reason}`,
        { record: assetId },
        error,
      );
    }
  }

  /** What an empty match would change: see FindingCounts. */
  async findingCounts(assetId: string): Promise<FindingCounts> {
    const { rows } = await sql<{ kept: string | number; changing: string | number }>`
      select ${FINDING_COUNTS}
      from findings where asset_id = ${assetId}::uuid`.execute(this.#database.db);
    return countsOf(rows[0]);
  }

  async #apply(
    trx: Tx,
    assetId: string,
    incoming: Map<string, Descriptive>,
    now: string,
    setId: number | undefined,
  ): Promise<ApplyResult> {
    // Recomputes of one asset run one at a time, so two never both insert the same finding.
    await sql`select pg_advisory_xact_lock(hashtextextended(${`patchwarden:findings:${assetId}`}, 0))`.execute(
      trx,
    );
    // Read after the lock, so that it sees the inventory of a recompute that held it.
    if (setId !== undefined) {
      const { rows } = await sql<{ set_id: string | number }>`
        select set_id from asset_inventories where asset_id = ${assetId}::uuid`.execute(trx);
      if (rows[0] === undefined || Number(rows[0].set_id) !== setId) {
        return { opened: 0, reopened: 0, updated: 0, fixed: 0, unchanged: 0, superseded: true };
      }
    }
    const { rows: existing } = await sql<FindingRow>`
      select * from findings where asset_id = ${assetId}::uuid`.execute(trx);
    const result: ApplyResult = { opened: 0, reopened: 0, updated: 0, fixed: 0, unchanged: 0 };
    const seen = new Set<string>();
    const updates: { id: number; values: Descriptive }[] = [];
    const reopen: number[] = [];
    const present: number[] = [];
    const gone: number[] = [];
    const fix: number[] = [];
    for (const row of existing) {
      const key = findingKey(row.vulnerability_id, row.ecosystem, row.package_name);
      const next = incoming.get(key);
      if (next) {
        seen.add(key);
        const changed = !sameDescriptive(row, next);
        if (changed) updates.push({ id: row.id, values: next });
        if (row.status === 'fixed') {
          reopen.push(row.id);
          result.reopened++;
        } else {
          if (row.fixed_at !== null) present.push(row.id);
          if (changed) result.updated++;
          else result.unchanged++;
        }
      } else if (row.status === 'open') {
        fix.push(row.id);
        result.fixed++;
      } else {
        if (row.status !== 'fixed' && row.fixed_at === null) gone.push(row.id);
        result.unchanged++;
      }
    }
    const inserts = [...incoming].filter(([key]) => !seen.has(key)).map(([, values]) => values);
    result.opened = inserts.length;

    for (const batch of chunks(inserts, BATCH)) {
      await sql`
        insert into findings (asset_id, vulnerability_id, aliases, ecosystem, package_name, package_version,
          tuple_id, fixed_version, severity, evidence, detail, status, first_seen, updated_at)
        select ${assetId}::uuid, r->>'vulnerability_id', r->'aliases', r->>'ecosystem', r->>'package_name',
          r->>'package_version', (r->>'tuple_id')::bigint, r->>'fixed_version', r->>'severity', r->'evidence',
          r->'detail', 'open', ${now}::timestamptz, ${now}::timestamptz
        from jsonb_array_elements(${jsonbParam(batch)}) as e(r)`.execute(trx);
    }
    for (const batch of chunks(updates, BATCH)) {
      await sql`
        update findings f set aliases = r->'aliases', package_version = r->>'package_version',
          tuple_id = (r->>'tuple_id')::bigint, fixed_version = r->>'fixed_version', severity = r->>'severity',
          evidence = r->'evidence', detail = r->'detail', updated_at = ${now}::timestamptz
        from (select (x->>'id')::bigint as id, x->'values' as r
              from jsonb_array_elements(${jsonbParam(batch)}) as x) as u
        where f.id = u.id`.execute(trx);
    }
    const setStatus = async (ids: number[], assignments: RawBuilder<unknown>): Promise<void> => {
      for (const batch of chunks(ids, BATCH)) {
        await sql`update findings set ${assignments}, updated_at = ${now}::timestamptz
          where id in (select (jsonb_array_elements_text(${jsonbParam(batch)}))::bigint)`.execute(trx);
      }
    };
    await setStatus(
      fix,
      sql`status = 'fixed', fixed_at = ${now}::timestamptz, status_by = ${FINDINGS_SYSTEM_ACTOR},
          status_reason = 'no longer detected', status_at = ${now}::timestamptz`,
    );
    await setStatus(
      reopen,
      sql`status = 'open', fixed_at = null, status_by = ${FINDINGS_SYSTEM_ACTOR},
          status_reason = 'detected again', status_at = ${now}::timestamptz`,
    );
    // Accepted and false-positive findings keep their status; fixed_at says whether they are present.
    await setStatus(gone, sql`fixed_at = ${now}::timestamptz`);
    await setStatus(present, sql`fixed_at = null`);
    return result;
  }

  async get(id: number): Promise<StoredFinding | undefined> {
    if (!Number.isSafeInteger(id)) return undefined;
    const { rows } = await sql<FindingRow>`select * from findings where id = ${id}`.execute(
      this.#database.db,
    );
    return rows[0] ? toStored(rows[0]) : undefined;
  }

  /**
   * A person's decision. `risk-accepted` and `false-positive` need a reason. Setting `open` on a
   * finding that is no longer detected stores `fixed` (it reopens when detected again); setting
   * `fixed` on one still detected lasts until the next recompute reopens it: evidence wins.
   */
  async setStatus(
    id: number,
    status: FindingStatus,
    by: string,
    reason: string | undefined,
    now: string,
  ): Promise<StoredFinding | undefined> {
    if (!FINDING_STATUSES.includes(status)) {
      throw pwError(
        'PW_ERR_INVALID_RECORD',
        `status must be one of ${FINDING_STATUSES.join(', ')}, not "${status}"`,
        {
          field: 'status',
        },
      );
    }
    if (by.trim() === '')
      throw pwError('PW_ERR_INVALID_RECORD', 'status_by must name who decided', { field: 'by' });
    if ((status === 'risk-accepted' || status === 'false-positive') && (reason ?? '').trim() === '') {
      throw pwError('PW_ERR_INVALID_RECORD', `a ${status} decision needs a reason`, { field: 'reason' });
    }
    if (!Number.isSafeInteger(id)) return undefined;
    const { rows } = await sql<FindingRow>`
      update findings set
        status = case when ${status} = 'open' and fixed_at is not null then 'fixed' else ${status} end,
        fixed_at = case when ${status} = 'fixed' then coalesce(fixed_at, ${now}::timestamptz) else fixed_at end,
        status_by = ${by}, status_reason = ${reason ?? null}, status_at = ${now}::timestamptz,
        updated_at = ${now}::timestamptz
      where id = ${id}
      returning *`.execute(this.#database.db);
    return rows[0] ? toStored(rows[0]) : undefined;
  }

  /** A page of findings, newest id last (keyset on id). */
  async list(query: FindingQuery = {}, page: { limit?: number; cursor?: string } = {}): Promise<FindingPage> {
    const limit = page.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw pwError('PW_ERR_BAD_REQUEST', `limit must be an integer from 1 to 1000, not ${limit}`, {
        field: 'limit',
      });
    }
    const after = page.cursor === undefined ? 0 : Number(page.cursor);
    if (!Number.isSafeInteger(after) || after < 0) {
      throw pwError('PW_ERR_BAD_REQUEST', 'Invalid page cursor', { field: 'cursor' });
    }
    if (query.assetId !== undefined && !UUID.test(query.assetId)) return { items: [] };
    const statuses = toList(query.status);
    const severities = toList(query.severity);
    const conditions = [sql`f.id > ${after}`];
    if (query.assetId !== undefined) conditions.push(sql`f.asset_id = ${query.assetId}::uuid`);
    if (statuses)
      conditions.push(sql`f.status in (select jsonb_array_elements_text(${jsonbParam(statuses)}))`);
    if (severities)
      conditions.push(sql`f.severity in (select jsonb_array_elements_text(${jsonbParam(severities)}))`);
    if (query.vulnerabilityId !== undefined) {
      conditions.push(
        sql`(f.vulnerability_id = ${query.vulnerabilityId} or f.aliases ? ${query.vulnerabilityId})`,
      );
    }
    const { rows } = await sql<FindingRow>`
      select * from findings f where ${sql.join(conditions, sql` and `)}
      order by f.id limit ${sql.lit(limit + 1)}`.execute(this.#database.db);
    const items = rows.slice(0, limit).map(toStored);
    return rows.length > limit ? { items, nextCursor: String(items.at(-1)!.id) } : { items };
  }

  /** Open findings per severity for an asset (or the fleet), worst first. */
  async openCounts(assetId?: string): Promise<Partial<Record<SeverityLabel, number>>> {
    const { rows } = await sql<{ severity: SeverityLabel; count: number }>`
      select severity, count(*) as count from findings
      where status = 'open' ${assetId === undefined ? sql`` : sql`and asset_id = ${assetId}::uuid`}
      group by severity`.execute(this.#database.db);
    const counts: Partial<Record<SeverityLabel, number>> = {};
    for (const row of [...rows].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity])) {
      counts[row.severity] = row.count;
    }
    return counts;
  }

  /** Mean and median time to patch (fixed_at - first_seen) of findings fixed in a window. */
  async meanTimeToPatch(query: PatchTimeQuery = {}): Promise<PatchTime> {
    const conditions = [sql`status = 'fixed'`, sql`fixed_at is not null`];
    if (query.fixedFrom !== undefined) conditions.push(sql`fixed_at >= ${query.fixedFrom}::timestamptz`);
    if (query.fixedBefore !== undefined) conditions.push(sql`fixed_at < ${query.fixedBefore}::timestamptz`);
    const severities = toList(query.severity);
    if (severities)
      conditions.push(sql`severity in (select jsonb_array_elements_text(${jsonbParam(severities)}))`);
    if (query.assetIds !== undefined) {
      conditions.push(
        sql`asset_id in (select (jsonb_array_elements_text(${jsonbParam(query.assetIds.filter((id) => UUID.test(id)))}))::uuid)`,
      );
    }
    const { rows } = await sql<{ fixed: number; mean: number | null; median: number | null }>`
      select count(*) as fixed,
             avg(extract(epoch from fixed_at - first_seen))::float8 / 86400 as mean,
             (percentile_cont(0.5) within group (order by extract(epoch from fixed_at - first_seen)))::float8 / 86400 as median
      from findings where ${sql.join(conditions, sql` and `)}`.execute(this.#database.db);
    const row = rows[0]!;
    return { fixed: row.fixed, meanDays: row.mean, medianDays: row.median };
  }
}
