import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * A package set's arrays (`item_ids`, `tuple_ids`: 1,500 bigints, 12 KB, each) are stored out of
 * line without compression. PostgreSQL's default for such values is to compress them with pglz
 * first, which took 2-3 ms of database CPU per stored inventory, more than all of its other
 * statements together, to save about half of 24 KB per distinct set. Existing rows keep their
 * compressed form (both read the same); new rows are written uncompressed.
 * Frozen once released (takes `Kysely<unknown>`, as 0001 does).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table inventory_sets
    alter column item_ids set storage external,
    alter column tuple_ids set storage external`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table inventory_sets
    alter column item_ids set storage extended,
    alter column tuple_ids set storage extended`.execute(db);
}
