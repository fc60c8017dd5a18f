import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * Vulnerability intelligence: advisories with their package and alias keys, CVE records, KEV,
 * EPSS, CWE, and the history of feed imports. Indexes follow the queries: by (ecosystem, name)
 * for matching, by alias for "which advisories are CVE-X", by `modified` for deltas.
 *
 * Migrations are frozen once released: they take `Kysely<unknown>` so that they never follow
 * later changes to the schema types.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('feed_sync')
    .addColumn('id', 'bigserial', (col) => col.primaryKey())
    .addColumn('feed', 'text', (col) => col.notNull())
    .addColumn('source', 'text', (col) => col.notNull())
    .addColumn('started_at', 'timestamptz', (col) => col.notNull())
    .addColumn('finished_at', 'timestamptz')
    .addColumn('ok', 'boolean', (col) => col.notNull())
    .addColumn('records', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('inserted', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('updated', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('unchanged', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('skipped', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('newest_modified', 'timestamptz')
    .addColumn('error', 'text')
    .addColumn('issues', 'jsonb', (col) => col.notNull().defaultTo(sql`'[]'::jsonb`))
    .execute();
  await db.schema
    .createIndex('feed_sync_feed_source_idx')
    .on('feed_sync')
    .columns(['feed', 'source', 'id'])
    .execute();

  await db.schema
    .createTable('advisories')
    .addColumn('pk', 'bigserial', (col) => col.primaryKey())
    .addColumn('source', 'text', (col) => col.notNull())
    .addColumn('id', 'text', (col) => col.notNull())
    .addColumn('modified', 'timestamptz', (col) => col.notNull())
    .addColumn('published', 'timestamptz')
    .addColumn('withdrawn', 'timestamptz')
    .addColumn('aliases', sql`text[]`, (col) => col.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('summary', 'text')
    .addColumn('body', 'jsonb', (col) => col.notNull())
    .addUniqueConstraint('advisories_source_id_key', ['source', 'id'])
    .execute();
  await db.schema.createIndex('advisories_modified_idx').on('advisories').column('modified').execute();

  // The primary keys lead with advisory_pk: they serve the cascade delete and the refresh of an
  // updated advisory's rows; the second index serves lookups and is index-only (pk included).
  await db.schema
    .createTable('advisory_packages')
    .addColumn('advisory_pk', 'bigint', (col) =>
      col.notNull().references('advisories.pk').onDelete('cascade'),
    )
    .addColumn('ecosystem', 'text', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('advisory_packages_pkey', ['advisory_pk', 'ecosystem', 'name'])
    .execute();
  await db.schema
    .createIndex('advisory_packages_ecosystem_name_idx')
    .on('advisory_packages')
    .columns(['ecosystem', 'name', 'advisory_pk'])
    .execute();

  await db.schema
    .createTable('advisory_aliases')
    .addColumn('advisory_pk', 'bigint', (col) =>
      col.notNull().references('advisories.pk').onDelete('cascade'),
    )
    .addColumn('alias', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('advisory_aliases_pkey', ['advisory_pk', 'alias'])
    .execute();
  await db.schema
    .createIndex('advisory_aliases_alias_idx')
    .on('advisory_aliases')
    .columns(['alias', 'advisory_pk'])
    .execute();

  await db.schema
    .createTable('cve_records')
    .addColumn('source', 'text', (col) => col.notNull())
    .addColumn('id', 'text', (col) => col.notNull())
    .addColumn('modified', 'timestamptz', (col) => col.notNull())
    .addColumn('body', 'jsonb', (col) => col.notNull())
    .addPrimaryKeyConstraint('cve_records_pkey', ['source', 'id'])
    .execute();
  await db.schema.createIndex('cve_records_id_idx').on('cve_records').column('id').execute();

  await db.schema
    .createTable('kev')
    .addColumn('cve_id', 'text', (col) => col.primaryKey())
    .addColumn('date_added', 'date', (col) => col.notNull())
    .addColumn('due_date', 'date')
    .addColumn('body', 'jsonb', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('epss')
    .addColumn('cve_id', 'text', (col) => col.primaryKey())
    .addColumn('score', 'double precision', (col) => col.notNull())
    .addColumn('percentile', 'double precision')
    .addColumn('score_date', 'date')
    .addColumn('model_version', 'text')
    .execute();

  await db.schema
    .createTable('cwe')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('description', 'text')
    .addColumn('abstraction', 'text')
    .addColumn('parents', sql`text[]`, (col) => col.notNull().defaultTo(sql`'{}'::text[]`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'cwe',
    'epss',
    'kev',
    'cve_records',
    'advisory_aliases',
    'advisory_packages',
    'advisories',
    'feed_sync',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
