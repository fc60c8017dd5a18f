import { sql } from 'kysely';
import type { RawBuilder, Transaction } from 'kysely';
import type {
  Asset,
  AssetOs,
  AssetSource,
  AttributeProvenance,
  BusinessImpact,
  MergeRule,
} from '@patchwarden/core';
import type { Schema } from '../schema/schema.ts';
import { jsonbParam } from '../sql/jsonb-param.ts';
import { chunks } from '../util/batches.ts';

/** An asset as read back: the row's columns plus its sources in first-report order. */
export interface AssetRow {
  id: string;
  name: string;
  kind: string;
  hostname: string | null;
  fqdn: string | null;
  ips: string[];
  macs: string[];
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
  services: string[];
  location: string | null;
  time_zone: string | null;
  tags: string[];
  asset_classes: string[];
  attribute_sources: AttributeProvenance;
  first_seen: Date | null;
  last_seen: Date | null;
  inventory_at: Date | null;
  reboot_required: boolean | null;
  sources: AssetSource[];
}

/** `a.*` plus the asset's sources; use with `from assets a`. */
export const ASSET_SELECT: RawBuilder<unknown> = sql`a.id, a.name, a.kind, a.hostname, a.fqdn, a.ips, a.macs,
  a.os_id, a.os_version_id, a.os_name, a.os_ecosystem, a.kernel, a.environment, a.business_impact,
  a.exposure, a.data_sensitivity, a.owner_team, a.services, a.location, a.time_zone, a.tags,
  a.asset_classes, a.attribute_sources, a.first_seen, a.last_seen, a.inventory_at, a.reboot_required,
  coalesce((select jsonb_agg(s.source order by s.first_reported_at, s.source)
            from asset_sources s where s.asset_id = a.id), '[]'::jsonb) as sources`;

export interface StoredAsset {
  asset: Asset;
  provenance: AttributeProvenance;
}

export function assetFromRow(row: AssetRow): StoredAsset {
  const asset: Asset = {
    id: row.id,
    name: row.name,
    kind: row.kind as Asset['kind'],
    ips: row.ips,
    macs: row.macs,
    services: row.services,
    tags: row.tags,
    assetClasses: row.asset_classes as Asset['assetClasses'],
    sources: row.sources,
  };
  if (row.hostname !== null) asset.hostname = row.hostname;
  if (row.fqdn !== null) asset.fqdn = row.fqdn;
  if (row.os_id !== null) {
    const os: AssetOs = { id: row.os_id };
    if (row.os_version_id !== null) os.versionId = row.os_version_id;
    if (row.os_name !== null) os.name = row.os_name;
    if (row.os_ecosystem !== null) os.ecosystem = row.os_ecosystem;
    asset.os = os;
  }
  if (row.kernel !== null) asset.kernel = row.kernel;
  if (row.environment !== null) asset.environment = row.environment;
  if (row.business_impact !== null) asset.businessImpact = row.business_impact as BusinessImpact;
  if (row.exposure !== null) asset.exposure = row.exposure as Asset['exposure'] & string;
  if (row.data_sensitivity !== null)
    asset.dataSensitivity = row.data_sensitivity as Asset['dataSensitivity'] & string;
  if (row.owner_team !== null) asset.ownerTeam = row.owner_team;
  if (row.location !== null) asset.location = row.location;
  if (row.time_zone !== null) asset.timeZone = row.time_zone;
  if (row.first_seen !== null) asset.firstSeen = row.first_seen.toISOString();
  if (row.last_seen !== null) asset.lastSeen = row.last_seen.toISOString();
  if (row.inventory_at !== null) asset.inventoryAt = row.inventory_at.toISOString();
  if (row.reboot_required !== null) asset.rebootRequired = row.reboot_required;
  return { asset, provenance: row.attribute_sources };
}

function orNull<T>(value: T | undefined): T | null {
  return value === undefined || value === '' ? null : value;
}

/** The JSON one asset is written as (keys are the column names; see `writeAssets`). */
function assetJson({ asset, provenance }: StoredAsset): Record<string, unknown> {
  return {
    id: asset.id,
    name: asset.name,
    kind: asset.kind,
    hostname: orNull(asset.hostname),
    fqdn: orNull(asset.fqdn),
    ips: asset.ips,
    macs: asset.macs,
    os_id: orNull(asset.os?.id),
    os_version_id: orNull(asset.os?.versionId),
    os_name: orNull(asset.os?.name),
    os_ecosystem: orNull(asset.os?.ecosystem),
    kernel: orNull(asset.kernel),
    environment: orNull(asset.environment),
    business_impact: orNull(asset.businessImpact),
    exposure: orNull(asset.exposure),
    data_sensitivity: orNull(asset.dataSensitivity),
    owner_team: orNull(asset.ownerTeam),
    services: asset.services,
    location: orNull(asset.location),
    time_zone: orNull(asset.timeZone),
    tags: asset.tags,
    asset_classes: asset.assetClasses,
    attribute_sources: provenance,
    first_seen: orNull(asset.firstSeen),
    last_seen: orNull(asset.lastSeen),
    reboot_required: asset.rebootRequired ?? null,
  };
}

const WRITE_BATCH = 500;

/**
 * Inserts or replaces assets, 500 per statement. `inventory_at` is not written: only a received
 * inventory moves it (AssetRepository.replaceInventory).
 */
export async function writeAssets(trx: Transaction<Schema>, assets: readonly StoredAsset[]): Promise<void> {
  for (const batch of chunks(assets, WRITE_BATCH)) {
    await sql`
      insert into assets as a (id, name, kind, hostname, fqdn, ips, macs, os_id, os_version_id, os_name,
        os_ecosystem, kernel, environment, business_impact, exposure, data_sensitivity, owner_team, services,
        location, time_zone, tags, asset_classes, attribute_sources, first_seen, last_seen, reboot_required,
        updated_at)
      select (r->>'id')::uuid, r->>'name', r->>'kind', r->>'hostname', r->>'fqdn', r->'ips', r->'macs',
        r->>'os_id', r->>'os_version_id', r->>'os_name', r->>'os_ecosystem', r->>'kernel', r->>'environment',
        (r->>'business_impact')::smallint, r->>'exposure', r->>'data_sensitivity', r->>'owner_team',
        r->'services', r->>'location', r->>'time_zone', r->'tags', r->'asset_classes', r->'attribute_sources',
        (r->>'first_seen')::timestamptz, (r->>'last_seen')::timestamptz, (r->>'reboot_required')::boolean, now()
      from jsonb_array_elements(${jsonbParam(batch.map(assetJson))}) as e(r)
      on conflict (id) do update set
        name = excluded.name, kind = excluded.kind, hostname = excluded.hostname, fqdn = excluded.fqdn,
        ips = excluded.ips, macs = excluded.macs, os_id = excluded.os_id, os_version_id = excluded.os_version_id,
        os_name = excluded.os_name, os_ecosystem = excluded.os_ecosystem, kernel = excluded.kernel,
        environment = excluded.environment, business_impact = excluded.business_impact,
        exposure = excluded.exposure, data_sensitivity = excluded.data_sensitivity,
        owner_team = excluded.owner_team, services = excluded.services, location = excluded.location,
        time_zone = excluded.time_zone, tags = excluded.tags, asset_classes = excluded.asset_classes,
        attribute_sources = excluded.attribute_sources, first_seen = excluded.first_seen,
        last_seen = excluded.last_seen, reboot_required = excluded.reboot_required, updated_at = now()`.execute(
      trx,
    );
  }
}

export interface SourceReport {
  assetId: string;
  source: AssetSource;
  reportedAt: string;
  rule: MergeRule;
}

/** Records who reported which asset and by which rule it was recognised. */
export async function writeSourceReports(
  trx: Transaction<Schema>,
  reports: readonly SourceReport[],
): Promise<void> {
  // One statement may not touch a row twice: the last report per (asset, source) stands for all.
  const latest = new Map<string, SourceReport>();
  for (const report of reports) latest.set(`${report.assetId}\u0000${report.source}`, report);
  for (const batch of chunks([...latest.values()], WRITE_BATCH)) {
    const rows = batch.map((r) => [r.assetId, r.source, r.reportedAt, r.rule]);
    await sql`
      insert into asset_sources as s (asset_id, source, first_reported_at, reported_at, merge_rule)
      select (r->>0)::uuid, r->>1, (r->>2)::timestamptz, (r->>2)::timestamptz, r->>3
      from jsonb_array_elements(${jsonbParam(rows)}) as r
      on conflict (asset_id, source) do update set
        first_reported_at = least(s.first_reported_at, excluded.first_reported_at),
        reported_at = greatest(s.reported_at, excluded.reported_at),
        merge_rule = excluded.merge_rule`.execute(trx);
  }
}
