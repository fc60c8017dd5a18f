import type { Kysely } from 'kysely';

/**
 * Patch policies and patch-type overrides.
 *
 * Every saved policy is a new row of `policy_versions`, never an update: the history is the
 * table, and "the current policy" is its highest version. The YAML text is kept as it was applied
 * (comments included, for export); `document` is the parsed form the engine evaluates.
 * `patch_type_overrides` holds a person's classification of one patch (ecosystem, package, fixed
 * version), the latest decision winning; every change is also in the audit log.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('policy_versions')
    .addColumn('version', 'serial', (col) => col.primaryKey())
    .addColumn('yaml', 'text', (col) => col.notNull())
    .addColumn('document', 'jsonb', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull())
    .addColumn('created_by', 'text', (col) => col.notNull())
    .addColumn('comment', 'text')
    .execute();

  await db.schema
    .createTable('patch_type_overrides')
    .addColumn('ecosystem', 'text', (col) => col.notNull())
    .addColumn('package', 'text', (col) => col.notNull())
    .addColumn('fixed_version', 'text', (col) => col.notNull())
    .addColumn('type', 'text', (col) => col.notNull())
    .addColumn('reason', 'text', (col) => col.notNull())
    .addColumn('by', 'text', (col) => col.notNull())
    .addColumn('at', 'timestamptz', (col) => col.notNull())
    .addPrimaryKeyConstraint('patch_type_overrides_pkey', ['ecosystem', 'package', 'fixed_version'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('patch_type_overrides').execute();
  await db.schema.dropTable('policy_versions').execute();
}
