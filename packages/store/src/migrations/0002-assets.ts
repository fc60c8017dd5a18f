import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * The asset inventory (CMDB), installed software and findings.
 *
 * Installed software follows DESIGN.md "Matching at fleet scale": distinct (ecosystem, name,
 * version) tuples with integer ids, content-addressed package sets built from them (a thousand
 * hosts from one image share one set), and one row per asset pointing at its current set.
 *
 * Identifiers (hostname, fqdn, macs, ips) are stored normalised by the core, so that merge
 * lookups are plain index probes. Text compared by the filter language goes through
 * `lower(x collate "C")` and `collate "C"` orderings, which fold and sort alike on PGlite and on
 * any PostgreSQL server, whatever its locale.
 *
 * Frozen once released (takes `Kysely<unknown>`, as 0001 does).
 */

const KINDS = [
  'server',
  'workstation',
  'network-device',
  'security-appliance',
  'iot-device',
  'handheld',
  'container-image',
  'application',
];
const SOURCES = ['agent', 'sbom', 'scanner', 'csv', 'json', 'manual'];
const RULES = ['fqdn', 'mac', 'hostname', 'ip', 'none'];
const SEVERITIES = ['critical', 'high', 'medium', 'low', 'negligible', 'unknown'];
const STATUSES = ['open', 'fixed', 'risk-accepted', 'false-positive'];

function oneOf(column: string, values: readonly string[]) {
  return sql.raw(`${column} in (${values.map((v) => `'${v}'`).join(', ')})`);
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('assets')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('kind', 'text', (col) => col.notNull().check(oneOf('kind', KINDS)))
    .addColumn('hostname', 'text')
    .addColumn('fqdn', 'text')
    .addColumn('ips', 'jsonb', (col) => col.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('macs', 'jsonb', (col) => col.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('os_id', 'text')
    .addColumn('os_version_id', 'text')
    .addColumn('os_name', 'text')
    .addColumn('os_ecosystem', 'text')
    .addColumn('kernel', 'text')
    .addColumn('environment', 'text')
    .addColumn('business_impact', 'smallint', (col) => col.check(sql`business_impact between 1 and 5`))
    .addColumn('exposure', 'text', (col) =>
      col.check(oneOf('exposure', ['internet', 'internal', 'isolated'])),
    )
    .addColumn('data_sensitivity', 'text', (col) =>
      col.check(oneOf('data_sensitivity', ['public', 'internal', 'confidential', 'restricted'])),
    )
    .addColumn('owner_team', 'text')
    .addColumn('services', 'jsonb', (col) => col.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('location', 'text')
    .addColumn('time_zone', 'text')
    .addColumn('tags', 'jsonb', (col) => col.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('asset_classes', 'jsonb', (col) => col.notNull().defaultTo(sql`'[]'::jsonb`))
    // Which source set each single-valued attribute (the core's trust table decides overwrites).
    .addColumn('attribute_sources', 'jsonb', (col) => col.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('first_seen', 'timestamptz')
    .addColumn('last_seen', 'timestamptz')
    .addColumn('inventory_at', 'timestamptz')
    .addColumn('reboot_required', 'boolean')
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
  // Keyset pagination of lists (name, id), merge lookups by identifier, common filters.
  await sql`create index assets_name_id_idx on assets ((name collate "C"), id)`.execute(db);
  await db.schema.createIndex('assets_fqdn_idx').on('assets').column('fqdn').execute();
  await db.schema.createIndex('assets_hostname_idx').on('assets').column('hostname').execute();
  await db.schema.createIndex('assets_macs_idx').on('assets').using('gin').column('macs').execute();
  await db.schema.createIndex('assets_ips_idx').on('assets').using('gin').column('ips').execute();
  await db.schema.createIndex('assets_environment_idx').on('assets').column('environment').execute();
  await db.schema.createIndex('assets_inventory_at_idx').on('assets').column('inventory_at').execute();

  // One row per (asset, source): who reported it, first and last, and by which rule the last
  // report was recognised as this asset. Asset.sources is read from here, in first-report order.
  await db.schema
    .createTable('asset_sources')
    .addColumn('asset_id', 'uuid', (col) => col.notNull().references('assets.id').onDelete('cascade'))
    .addColumn('source', 'text', (col) => col.notNull().check(oneOf('source', SOURCES)))
    .addColumn('first_reported_at', 'timestamptz', (col) => col.notNull())
    .addColumn('reported_at', 'timestamptz', (col) => col.notNull())
    .addColumn('merge_rule', 'text', (col) => col.notNull().check(oneOf('merge_rule', RULES)))
    .addPrimaryKeyConstraint('asset_sources_pkey', ['asset_id', 'source'])
    .execute();
  await db.schema
    .createIndex('asset_sources_source_idx')
    .on('asset_sources')
    .columns(['source', 'asset_id'])
    .execute();

  // A tuple is what the matcher compares (core `matchTargetOf`): for Debian, Ubuntu and Alpine the
  // source package and version, else the package as installed. `key_name` is the name normalised
  // as advisories are keyed (`normalizePackageName`), so a feed delta finds its tuples directly.
  await db.schema
    .createTable('package_tuples')
    .addColumn('id', 'bigserial', (col) => col.primaryKey())
    .addColumn('ecosystem', 'text', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('version', 'text', (col) => col.notNull())
    .addColumn('key_name', 'text', (col) => col.notNull())
    .addUniqueConstraint('package_tuples_ecosystem_name_version_key', ['ecosystem', 'name', 'version'])
    .execute();
  await db.schema
    .createIndex('package_tuples_key_idx')
    .on('package_tuples')
    .columns(['ecosystem', 'key_name', 'id'])
    .execute();

  await db.schema
    .createTable('inventory_sets')
    .addColumn('id', 'bigserial', (col) => col.primaryKey())
    .addColumn('hash', 'text', (col) => col.notNull().unique())
    .addColumn('packages', 'integer', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();

  // `details` holds what the tuple does not say (binary name and version, arch, purl, package
  // manager, file): stored once per set, so its size does not grow with the number of hosts.
  await db.schema
    .createTable('inventory_set_items')
    .addColumn('set_id', 'bigint', (col) => col.notNull().references('inventory_sets.id').onDelete('cascade'))
    .addColumn('position', 'integer', (col) => col.notNull())
    .addColumn('tuple_id', 'bigint', (col) => col.notNull().references('package_tuples.id'))
    .addColumn('details', 'jsonb', (col) => col.notNull())
    .addPrimaryKeyConstraint('inventory_set_items_pkey', ['set_id', 'position'])
    .execute();
  await db.schema
    .createIndex('inventory_set_items_tuple_idx')
    .on('inventory_set_items')
    .columns(['tuple_id', 'set_id'])
    .execute();

  // `hash` is what the reporter computed (the agent's inventoryHash), so that a check-in can be
  // answered "unchanged" without the set; the set's own hash is its content address.
  await db.schema
    .createTable('asset_inventories')
    .addColumn('asset_id', 'uuid', (col) => col.primaryKey().references('assets.id').onDelete('cascade'))
    .addColumn('set_id', 'bigint', (col) => col.notNull().references('inventory_sets.id'))
    .addColumn('received_at', 'timestamptz', (col) => col.notNull())
    .addColumn('hash', 'text', (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('asset_inventories_set_idx')
    .on('asset_inventories')
    .columns(['set_id', 'asset_id'])
    .execute();

  await db.schema
    .createTable('findings')
    .addColumn('id', 'bigserial', (col) => col.primaryKey())
    .addColumn('asset_id', 'uuid', (col) => col.notNull().references('assets.id').onDelete('cascade'))
    .addColumn('vulnerability_id', 'text', (col) => col.notNull())
    .addColumn('aliases', 'jsonb', (col) => col.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('ecosystem', 'text', (col) => col.notNull())
    .addColumn('package_name', 'text', (col) => col.notNull())
    .addColumn('package_version', 'text', (col) => col.notNull())
    .addColumn('tuple_id', 'bigint', (col) => col.references('package_tuples.id'))
    .addColumn('fixed_version', 'text')
    .addColumn('severity', 'text', (col) => col.notNull().check(oneOf('severity', SEVERITIES)))
    .addColumn('evidence', 'jsonb', (col) => col.notNull())
    // The rest of the core Finding: package details, CVSS, CWEs, KEV, EPSS, summary.
    .addColumn('detail', 'jsonb', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull().defaultTo('open').check(oneOf('status', STATUSES)))
    .addColumn('status_by', 'text')
    .addColumn('status_reason', 'text')
    .addColumn('status_at', 'timestamptz')
    .addColumn('first_seen', 'timestamptz', (col) => col.notNull())
    .addColumn('fixed_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull())
    .addUniqueConstraint('findings_asset_vulnerability_package_key', [
      'asset_id',
      'vulnerability_id',
      'ecosystem',
      'package_name',
    ])
    .execute();
  await db.schema
    .createIndex('findings_status_severity_idx')
    .on('findings')
    .columns(['status', 'severity', 'id'])
    .execute();
  await db.schema
    .createIndex('findings_vulnerability_idx')
    .on('findings')
    .column('vulnerability_id')
    .execute();
  await db.schema.createIndex('findings_aliases_idx').on('findings').using('gin').column('aliases').execute();
  await sql`create index findings_fixed_at_idx on findings (fixed_at) where fixed_at is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'findings',
    'asset_inventories',
    'inventory_set_items',
    'inventory_sets',
    'package_tuples',
    'asset_sources',
    'assets',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
