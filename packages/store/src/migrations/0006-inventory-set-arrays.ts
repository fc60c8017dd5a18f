import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * A package set as one row instead of one row per package. Storing a 1,500-package inventory cost
 * 1,500 `inventory_set_items` rows (and their index entries), although consecutive uploads of a
 * host, and hosts of one image, share nearly every package.
 *
 * `package_items`: each distinct (tuple, details) pair once, fleet-wide, so a changed inventory
 * adds only the packages that changed. `inventory_sets.item_ids`: the set's items in canonical
 * order (array position = the old `position`). `inventory_sets.tuple_ids`: its distinct tuple ids,
 * sorted, the input of fleet matching; the GIN index answers "which sets hold any of these tuples"
 * (exposure to a new advisory) as the old `inventory_set_items_tuple_idx` did.
 *
 * Existing sets are converted in place, then `inventory_set_items` is dropped.
 * Frozen once released (takes `Kysely<unknown>`, as 0001 does).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('package_items')
    .addColumn('id', 'bigserial', (col) => col.primaryKey())
    .addColumn('tuple_id', 'bigint', (col) => col.notNull().references('package_tuples.id'))
    .addColumn('details', 'jsonb', (col) => col.notNull())
    .addUniqueConstraint('package_items_tuple_details_key', ['tuple_id', 'details'])
    .execute();

  await db.schema
    .alterTable('inventory_sets')
    .addColumn('item_ids', sql`bigint[]`)
    .addColumn('tuple_ids', sql`bigint[]`)
    .execute();

  await sql`insert into package_items (tuple_id, details)
    select distinct tuple_id, details from inventory_set_items
    order by tuple_id`.execute(db);
  await sql`update inventory_sets s set
      item_ids = coalesce((
        select array_agg(p.id order by i.position) from inventory_set_items i
        join package_items p on p.tuple_id = i.tuple_id and p.details = i.details
        where i.set_id = s.id), '{}'),
      tuple_ids = coalesce((
        select array_agg(distinct i.tuple_id order by i.tuple_id) from inventory_set_items i
        where i.set_id = s.id), '{}')`.execute(db);

  await sql`alter table inventory_sets
    alter column item_ids set not null, alter column tuple_ids set not null`.execute(db);
  await sql`create index inventory_sets_tuple_ids_idx on inventory_sets using gin (tuple_ids)`.execute(db);
  await db.schema.dropTable('inventory_set_items').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
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
  await sql`insert into inventory_set_items (set_id, position, tuple_id, details)
    select s.id, (u.ord - 1)::integer, p.tuple_id, p.details
    from inventory_sets s cross join unnest(s.item_ids) with ordinality as u(item_id, ord)
    join package_items p on p.id = u.item_id`.execute(db);
  await sql`drop index inventory_sets_tuple_ids_idx`.execute(db);
  await db.schema.alterTable('inventory_sets').dropColumn('item_ids').dropColumn('tuple_ids').execute();
  await db.schema.dropTable('package_items').execute();
}
