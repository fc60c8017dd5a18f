import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import type { Advisory, CveRecord, KevEntry } from '@patchwarden/core';
import type { SyncIssue } from '../intel/sync-status.ts';
import type { AssetsSchema } from './assets-schema.ts';
import type { AuthSchema } from './auth-schema.ts';
import type { PolicySchema } from './policy-schema.ts';

/** timestamptz: read as a Date, written as a Date or an RFC 3339 string. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** `date` is read as its `YYYY-MM-DD` text (see type-parsers.ts), never as a local-midnight Date. */
type CalendarDate = ColumnType<string, string, string>;
/** bigserial ids are read as numbers (see type-parsers.ts). */
type SerialId = Generated<number>;

export interface FeedSyncTable {
  id: SerialId;
  feed: string;
  /** The file path or URL that was imported. */
  source: string;
  started_at: Timestamp;
  finished_at: NullableTimestamp;
  ok: boolean;
  records: number;
  inserted: number;
  updated: number;
  unchanged: number;
  skipped: number;
  newest_modified: NullableTimestamp;
  error: string | null;
  issues: JSONColumnType<SyncIssue[]>;
}

export interface AdvisoriesTable {
  pk: SerialId;
  source: string;
  id: string;
  modified: Timestamp;
  published: NullableTimestamp;
  withdrawn: NullableTimestamp;
  aliases: ColumnType<string[], string[] | undefined, string[]>;
  summary: string | null;
  /** The whole normalised Advisory; the columns beside it are copies for querying. */
  body: JSONColumnType<Advisory>;
}

export interface AdvisoryPackagesTable {
  advisory_pk: number;
  ecosystem: string;
  /** Normalised with `normalizePackageName`, so a lookup by the installed name finds it. */
  name: string;
}

export interface AdvisoryAliasesTable {
  advisory_pk: number;
  /** Every id the advisory is known by, its own id included. */
  alias: string;
}

export interface CveRecordsTable {
  source: string;
  id: string;
  modified: Timestamp;
  body: JSONColumnType<CveRecord>;
}

export interface KevTable {
  cve_id: string;
  date_added: CalendarDate;
  due_date: ColumnType<string | null, string | null, string | null>;
  body: JSONColumnType<KevEntry>;
}

export interface EpssTable {
  cve_id: string;
  score: number;
  percentile: number | null;
  score_date: ColumnType<string | null, string | null, string | null>;
  model_version: string | null;
}

export interface CweTable {
  id: string;
  name: string;
  description: string | null;
  abstraction: string | null;
  parents: ColumnType<string[], string[] | undefined, string[]>;
}

/** The whole schema as Kysely sees it; migrations under src/migrations/ create it. */
export interface Schema extends AuthSchema, AssetsSchema, PolicySchema {
  feed_sync: FeedSyncTable;
  advisories: AdvisoriesTable;
  advisory_packages: AdvisoryPackagesTable;
  advisory_aliases: AdvisoryAliasesTable;
  cve_records: CveRecordsTable;
  kev: KevTable;
  epss: EpssTable;
  cwe: CweTable;
}
