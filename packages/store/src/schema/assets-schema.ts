import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import type { FindingEvidence } from '@patchwarden/core';

/** timestamptz: read as a Date, written as a Date or an RFC 3339 string. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** bigserial ids are read as numbers (see type-parsers.ts). */
type SerialId = Generated<number>;
/** jsonb written as JSON text (see sql/jsonb-param.ts) and read parsed. */
type Json<T extends object> = JSONColumnType<T, string, string>;

export interface AssetsTable {
  id: Generated<string>;
  name: string;
  kind: string;
  hostname: string | null;
  fqdn: string | null;
  ips: Json<string[]>;
  macs: Json<string[]>;
  os_id: string | null;
  os_version_id: string | null;
  os_name: string | null;
  os_ecosystem: string | null;
  kernel: string | null;
  environment: string | null;
  business_impact: number | null;
  exposure: string | null;
  data_sensitivity: string | null;
  owner_team: string | null;
  services: Json<string[]>;
  location: string | null;
  time_zone: string | null;
  tags: Json<string[]>;
  asset_classes: Json<string[]>;
  /** The core's AttributeProvenance: which source set each single-valued attribute. */
  attribute_sources: Json<Record<string, string>>;
  first_seen: NullableTimestamp;
  last_seen: NullableTimestamp;
  inventory_at: NullableTimestamp;
  reboot_required: boolean | null;
  updated_at: Generated<Date>;
}

export interface AssetSourcesTable {
  asset_id: string;
  source: string;
  first_reported_at: Timestamp;
  reported_at: Timestamp;
  merge_rule: string;
}

export interface PackageTuplesTable {
  id: SerialId;
  ecosystem: string;
  name: string;
  version: string;
  key_name: string;
}

export interface InventorySetsTable {
  id: SerialId;
  /** `sha256:<hex>` of the set's canonical rows (see inventory-sets.ts). */
  hash: string;
  packages: number;
  created_at: Generated<Date>;
  /** package_items ids in canonical order (migration 0006). */
  item_ids: number[];
  /** Distinct tuple ids, sorted. */
  tuple_ids: number[];
}

/** One distinct (tuple, details) pair, shared by every set that holds it (migration 0006). */
export interface PackageItemsTable {
  id: SerialId;
  tuple_id: number;
  details: Json<Record<string, unknown>>;
}

export interface AssetInventoriesTable {
  asset_id: string;
  set_id: number;
  received_at: Timestamp;
  hash: string;
}

export interface FindingsTable {
  id: SerialId;
  asset_id: string;
  vulnerability_id: string;
  aliases: Json<string[]>;
  ecosystem: string;
  package_name: string;
  package_version: string;
  tuple_id: number | null;
  fixed_version: string | null;
  severity: string;
  evidence: Json<FindingEvidence[]>;
  detail: Json<Record<string, unknown>>;
  status: Generated<string>;
  status_by: string | null;
  status_reason: string | null;
  status_at: NullableTimestamp;
  first_seen: Timestamp;
  fixed_at: NullableTimestamp;
  updated_at: Timestamp;
}

/** The CMDB, installed software and findings (migration 0002-assets). */
export interface AssetsSchema {
  assets: AssetsTable;
  asset_sources: AssetSourcesTable;
  package_tuples: PackageTuplesTable;
  inventory_sets: InventorySetsTable;
  package_items: PackageItemsTable;
  asset_inventories: AssetInventoriesTable;
  findings: FindingsTable;
}
