import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import type { PatchType, PolicyDocument } from '@patchwarden/core';

/** timestamptz: read as a Date, written as a Date or an RFC 3339 string. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface PolicyVersionsTable {
  version: Generated<number>;
  /** The text as applied, comments included. */
  yaml: string;
  document: JSONColumnType<PolicyDocument>;
  created_at: Timestamp;
  created_by: string;
  comment: string | null;
}

export interface PatchTypeOverridesTable {
  ecosystem: string;
  package: string;
  fixed_version: string;
  type: PatchType;
  reason: string;
  by: string;
  at: Timestamp;
}

/** The tables of migration 0004-policy. */
export interface PolicySchema {
  policy_versions: PolicyVersionsTable;
  patch_type_overrides: PatchTypeOverridesTable;
}
